"""Runs tests/vectors/allowed_ips.json against the installed clouddigit wheel."""

import pytest

import clouddigit
from clouddigit import (
    AllowedIpsError,
    AllowList,
    ClouddigitError,
    InvalidIpError,
    check_allowed_ips,
)
from conftest import listed_codes, load_vectors

CASES = load_vectors("allowed_ips.json")["cases"]


def project_error(e):
    out = {"index": e.index, "text": e.text, "code": e.code}
    if e.suggestion is not None:
        out["suggestion"] = e.suggestion
    return out


def project_warning(w):
    out = {"index": w.index, "code": w.code}
    if w.related_index is not None:
        out["related_index"] = w.related_index
    return out


def test_wheel_is_installed_not_source_tree():
    assert "site-packages" in clouddigit.__file__


def test_vectors_file_has_cases():
    assert len(CASES) >= 20


def test_every_error_and_warning_code_is_reached():
    reports = [check_allowed_ips(c["input"]) for c in CASES]
    errors = {e.code for r in reports for e in r.errors}
    warnings = {w.code for r in reports for w in r.warnings}
    assert [c for c in listed_codes("allowed_ips_errors") if c not in errors] == []
    assert [c for c in listed_codes("allowed_ips_warnings") if c not in warnings] == []


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case):
    report = check_allowed_ips(case["input"])
    assert [e.network for e in report.entries] == case["networks"]
    assert [project_error(e) for e in report.errors] == case["errors"]
    assert [project_warning(w) for w in report.warnings] == case["warnings"]
    assert report.is_valid == (not case["errors"])
    assert all(item.message for item in [*report.errors, *report.warnings])

    if not case["errors"]:
        allow = AllowList(case["input"])
        assert allow.networks == case["networks"]
        assert len(allow) == len(case["networks"])
        for ip, allowed in case.get("contains", {}).items():
            assert allow.contains(ip) is allowed, ip
            assert (ip in allow) is allowed
        for ip in case.get("invalid_addresses", []):
            with pytest.raises(InvalidIpError) as info:
                allow.contains(ip)
            assert isinstance(info.value, ValueError)
            assert info.value.code == "invalid_ip"
            assert info.value.text == ip
    else:
        with pytest.raises(AllowedIpsError) as info:
            AllowList(case["input"])
        err = info.value
        assert isinstance(err, ClouddigitError) and isinstance(err, ValueError)
        assert err.code == "invalid_allowed_ips"
        assert [project_error(e) for e in err.errors] == case["errors"]
        assert str(err).startswith("allowed_ips: ")


def test_reprs_are_readable():
    report = check_allowed_ips("10.0.0.1/8, 10.0.0.0/8, 10.1.0.0/16")
    assert repr(report) == "AllowedIpsReport(entries=2, errors=1, warnings=1)"
    assert repr(report.errors[0]) == (
        'AllowedIpEntryError(index=0, text="10.0.0.1/8", code="host_bits_set", suggestion="10.0.0.0/8")'
    )
    assert repr(AllowList("192.0.2.7")) == 'AllowList("192.0.2.7/32")'


def test_wrong_argument_type_is_a_type_error():
    with pytest.raises(TypeError):
        check_allowed_ips(42)  # type: ignore[arg-type]
