"""Runs tests/vectors/authorize.json against the installed clouddigit wheel, comparing
decisions exactly as tests/rust/authorize.rs does."""

import threading

import pytest

from clouddigit import (
    ClouddigitError,
    Decision,
    EvaluateError,
    PreparedToken,
    authorize,
    authorize_many,
    catalog,
    effective_permissions,
    expand_permission,
    resolve_route,
)
from conftest import listed_codes, load_vectors

FILE = load_vectors("authorize.json")
CASES = FILE["cases"]
EFFECTIVE = FILE["effective"]
REASONS = listed_codes("authorize")
REQUEST = {"time": "2026-11-23T10:00:00Z", "action": "compute.servers.list", "project": "web"}


def project(decision: Decision, expect: dict) -> dict:
    """What the Rust runner compares: allowed, reason, failed checks and (when named) permission."""
    out = {
        "allowed": decision.allowed,
        "reason": decision.reason,
        "failed": [c.check for c in decision.checks if c.outcome == "fail"],
    }
    if "permission" in expect:
        out["permission"] = decision.permission
    return out


def test_vectors_file_has_cases():
    assert len(CASES) >= 40 and EFFECTIVE


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_authorize_vector(case):
    token = FILE["tokens"][case["token"]]
    owner = FILE["owners"][case["owner"]]
    policy = case.get("policy")
    decision = authorize(token, owner, case["request"], policy)
    assert project(decision, case["expect"]) == case["expect"]
    assert decision.failed == case["expect"]["failed"]
    # Every reason but `allowed` is a check.
    assert len(decision.checks) == len(REASONS) - 1 and decision.message
    assert all(c.detail for c in decision.checks)
    prepared = PreparedToken(token)
    assert prepared.authorize(owner, case["request"], policy=policy) == decision
    assert authorize(prepared, owner, case["request"], policy) == decision


def test_every_reason_is_reached():
    seen = {
        authorize(FILE["tokens"][c["token"]], FILE["owners"][c["owner"]], c["request"], c.get("policy")).reason
        for c in CASES
    }
    assert [r for r in REASONS if r not in seen] == []


@pytest.mark.parametrize("case", EFFECTIVE, ids=[c["name"] for c in EFFECTIVE])
def test_effective_vector(case):
    token = FILE["tokens"][case["token"]]
    owner = FILE["owners"][case["owner"]]
    assert effective_permissions(token, owner, case["project"]) == case["permissions"]
    assert PreparedToken(token).effective_permissions(owner, project=case["project"]) == case["permissions"]


def test_authorize_many_matches_one_by_one_and_runs_in_threads():
    by_token: dict[tuple[str, str], list[dict]] = {}
    for c in CASES:
        if "policy" not in c:
            by_token.setdefault((c["token"], c["owner"]), []).append(c)
    for (token_name, owner_name), cases in by_token.items():
        prepared = PreparedToken(FILE["tokens"][token_name])
        owner = FILE["owners"][owner_name]
        decisions = authorize_many(prepared, owner, [c["request"] for c in cases])
        assert [project(d, c["expect"]) for d, c in zip(decisions, cases)] == [c["expect"] for c in cases]

    prepared = PreparedToken(FILE["tokens"]["alice_inherit"])
    requests = [REQUEST] * 2000
    results: list[list[Decision]] = []
    threads = [
        threading.Thread(target=lambda: results.append(authorize_many(prepared, FILE["owners"]["alice"], requests)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(len(r) == 2000 and all(d.allowed for d in r) for r in results)


def test_authorize_many_names_the_bad_request():
    prepared = PreparedToken(FILE["tokens"]["alice_inherit"])
    with pytest.raises(EvaluateError) as info:
        authorize_many(prepared, FILE["owners"]["alice"], [REQUEST, {"time": REQUEST["time"]}])
    assert info.value.code == "missing_action"
    assert info.value.field == "requests[1]"


def test_misspelt_permission_raises_with_field_and_suggestion():
    token = dict(FILE["tokens"]["alice_down"], permissions=["compute.servers.list", "compute.server.get"])
    with pytest.raises(EvaluateError) as info:
        PreparedToken(token)
    err = info.value
    assert isinstance(err, ClouddigitError) and isinstance(err, ValueError)
    assert err.code == "unknown_permission"
    assert err.field == "permissions[1]"
    assert err.suggestion == "compute.servers.get"
    assert "did you mean compute.servers.get?" in str(err)


def test_bad_allowed_ip_missing_action_and_wrong_shape_raise():
    owner = FILE["owners"]["alice"]
    bad_ip = dict(FILE["tokens"]["alice_inherit"], allowed_ips=["10.0.0.1/8"])
    with pytest.raises(EvaluateError) as info:
        authorize(bad_ip, owner, REQUEST)
    assert (info.value.code, info.value.field) == ("invalid_allowed_ip", "allowed_ips[0]")
    assert info.value.suggestion is None
    with pytest.raises(EvaluateError) as info:
        authorize(FILE["tokens"]["alice_inherit"], owner, {"time": REQUEST["time"]})
    assert (info.value.code, info.value.field) == ("missing_action", "request")
    with pytest.raises(EvaluateError) as info:
        authorize(FILE["tokens"]["alice_inherit"], {"type": "user"}, REQUEST)
    assert (info.value.code, info.value.field) == ("invalid_input", "owner")
    with pytest.raises(TypeError, match="got object"):
        authorize(FILE["tokens"]["alice_inherit"], owner, {"time": object()})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        authorize(FILE["tokens"]["alice_inherit"], dict(owner, project_roles={1: "member"}), REQUEST)
    with pytest.raises(ValueError, match="out of range"):
        authorize(FILE["tokens"]["alice_inherit"], owner, REQUEST, {"max_lifetime_days": 2**70})


def test_datetimes_are_accepted():
    from datetime import datetime, timezone

    request = dict(REQUEST, time=datetime(2026, 11, 23, 10, tzinfo=timezone.utc))
    decision = authorize(FILE["tokens"]["alice_inherit"], FILE["owners"]["alice"], request)
    assert decision.allowed
    expired = dict(FILE["tokens"]["alice_inherit"], expires_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert authorize(expired, FILE["owners"]["alice"], request).reason == "expired"


def test_reprs_are_readable_and_never_show_a_secret():
    secret = "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA"
    token = dict(FILE["tokens"]["alice_inherit"], prefix=secret[:9])
    prepared = PreparedToken(token)
    decision = prepared.authorize(FILE["owners"]["alice"], REQUEST)
    assert repr(prepared) == f'PreparedToken(id="{token["id"]}", name="{token["name"]}", prefix="cd_a1B2c3")'
    assert repr(decision) == 'Decision(allowed=True, reason="allowed", permission="compute.servers.list", failed=[])'
    assert repr(decision.checks[0]).startswith('CheckResult(check="revoked", outcome="pass", detail=')
    everything = repr(prepared) + repr(decision) + "".join(repr(c) for c in decision.checks) + decision.message
    assert secret[9:17] not in everything and secret[9:] not in everything


def test_catalog_routes_and_wildcards():
    c = catalog()
    assert [r.name for r in c.roles] == ["read_only", "member", "admin", "org_admin", "org_owner"]
    assert c.roles[0].inherits is None and c.roles[1].inherits == "read_only"
    assert len(c.permissions) > 100 and all(p.routes for p in c.permissions)
    # Routes are plain dicts of clouddigit.types.Route.
    assert all(sorted(r) == ["method", "path"] for p in c.permissions for r in p.routes)
    assert repr(c).startswith(f'Catalog(version="{c.version}", roles=5, permissions=')
    assert resolve_route("GET", "/v1/compute/servers/s-1") == "compute.servers.get"
    assert resolve_route("get", "/v1/compute/servers/?page=2") == "compute.servers.list"
    assert resolve_route("GET", "/v1/compute/nothing") is None
    servers = expand_permission("compute.servers.*")
    names = [p.name for p in c.permissions]
    assert len(servers) > 1 and servers == [n for n in names if n.startswith("compute.servers.")]
    assert expand_permission("compute.servers.list") == ["compute.servers.list"]
    assert expand_permission("nope.*") == [] and expand_permission("*") == []
