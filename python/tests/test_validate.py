"""Runs tests/vectors/validate_token.json and validate_service_account.json against the
installed clouddigit wheel, comparing results exactly as tests/rust/validate.rs does."""

from datetime import datetime, timezone

import pytest

from clouddigit import (
    ClouddigitError,
    EvaluateError,
    Issue,
    ServiceAccountValidation,
    TokenValidation,
    validate_service_account,
    validate_token,
)
from conftest import listed_codes, load_vectors

TOKEN_CASES = load_vectors("validate_token.json")["cases"]
SA_CASES = load_vectors("validate_service_account.json")["cases"]

ALL_CODES = listed_codes("validate")


def rfc3339(t: "datetime | None") -> "str | None":
    if t is None:
        return None
    assert t.tzinfo is not None and t.utcoffset() == timezone.utc.utcoffset(None)
    return t.isoformat().replace("+00:00", "Z")


def preview_json(result: "TokenValidation | ServiceAccountValidation") -> dict:
    """The preview as the core's JSON spells it."""
    p = result.preview
    if isinstance(result, TokenValidation):
        return {
            "expires_at": rfc3339(p.expires_at),
            "lifetime_days": p.lifetime_days,
            "scopes": [{"project": s.project, "role": s.role, "permissions": s.permissions} for s in p.scopes],
            "summary": p.summary,
        }
    return {"tag_selector": p.tag_selector, "allowed_ips": p.allowed_ips, "permissions": p.permissions, "summary": p.summary}


def project_issues(issues: "list[Issue]", want: "list[list[str]]") -> "list[list[str]]":
    """[field, code], plus the suggestion where the vector names one."""
    out = []
    for i, issue in enumerate(issues):
        row = [issue.field, issue.code]
        if i < len(want) and len(want[i]) > 2:
            row.append(issue.suggestion or "")
        out.append(row)
    return out


def check(result, expect: dict, codes: set) -> None:
    for key in ("errors", "warnings"):
        issues = getattr(result, key)
        codes.update(i.code for i in issues)
        assert project_issues(issues, expect[key]) == expect[key], key
        assert all(isinstance(i, Issue) and i.message for i in issues), f"{key}: every issue needs a message"
    assert result.valid is expect["valid"]
    preview = preview_json(result)
    assert preview["summary"], "preview.summary missing"
    for k, want in (expect.get("preview") or {}).items():
        have = preview.get(k)
        if k != "scopes":
            assert have == want, f"preview.{k}"
            continue
        assert [s["project"] for s in have] == [s["project"] for s in want], "preview.scopes projects"
        for hs, ws in zip(have, want):
            if "permissions" in ws:
                assert hs["permissions"] == ws["permissions"], f"preview.scopes[{ws['project']}].permissions"
            else:
                assert hs["permissions"], f"preview.scopes[{ws['project']}] should not be empty"


REACHED: set = set()


def test_vectors_files_have_cases():
    assert len(TOKEN_CASES) >= 30 and len(SA_CASES) >= 15


@pytest.mark.parametrize("case", TOKEN_CASES, ids=[c["name"] for c in TOKEN_CASES])
def test_validate_token_vector(case):
    result = validate_token(case["input"])
    assert isinstance(result, TokenValidation)
    check(result, case["expect"], REACHED)
    assert validate_token(case["input"]) == result


@pytest.mark.parametrize("case", SA_CASES, ids=[c["name"] for c in SA_CASES])
def test_validate_service_account_vector(case):
    result = validate_service_account(case["input"])
    assert isinstance(result, ServiceAccountValidation)
    check(result, case["expect"], REACHED)


def test_every_code_is_reached():
    codes: set = set()
    for c in TOKEN_CASES:
        r = validate_token(c["input"])
        codes.update(i.code for i in [*r.errors, *r.warnings])
    for c in SA_CASES:
        s = validate_service_account(c["input"])
        codes.update(i.code for i in [*s.errors, *s.warnings])
    assert [c for c in ALL_CODES if c not in codes] == []
    assert codes <= set(ALL_CODES)


def test_expires_at_is_an_aware_utc_datetime_and_datetimes_are_accepted():
    request = dict(TOKEN_CASES[0]["input"], now=datetime(2026, 11, 23, 10, tzinfo=timezone.utc))
    result = validate_token(request)
    assert result.preview.expires_at == datetime(2026, 12, 23, 10, tzinfo=timezone.utc)
    assert result.preview.lifetime_days == 30
    never = dict(request, draft=dict(request["draft"], expiry="never"))
    assert validate_token(never).preview.expires_at is None


def test_reprs_are_readable():
    result = validate_token(TOKEN_CASES[0]["input"])
    assert repr(result) == "TokenValidation(valid=True, errors=[], warnings=[])"
    assert repr(result.preview).startswith('TokenPreview(expires_at="2026-12-23T10:00:00Z", lifetime_days=30, scopes=1, ')
    assert repr(result.preview.scopes[0]).startswith('ScopePreview(project="web", role="member", permissions=')
    bad = dict(TOKEN_CASES[0]["input"], draft=dict(TOKEN_CASES[0]["input"]["draft"], name=""))
    r = validate_token(bad)
    assert repr(r) == 'TokenValidation(valid=False, errors=["name_required"], warnings=[])'
    assert repr(r.errors[0]) == 'Issue(field="name", code="name_required")'
    sa = validate_service_account(SA_CASES[0]["input"])
    assert repr(sa).startswith("ServiceAccountValidation(valid=True")
    assert repr(sa.preview).startswith('ServiceAccountPreview(tag_selector={"env": "prod"}, permissions=')


@pytest.mark.parametrize(
    "request_",
    [
        42,
        {"draft": {"name": 3}, "owner": {}, "now": "2026-11-23T10:00:00Z"},
        {"draft": {"name": "x"}},
        {"draft": {"nme": "x"}, "owner": TOKEN_CASES[0]["input"]["owner"], "now": "2026-11-23T10:00:00Z"},
    ],
)
def test_wrong_shape_raises_naming_the_field(request_):
    with pytest.raises(EvaluateError) as info:
        validate_token(request_)
    err = info.value
    assert isinstance(err, ClouddigitError) and isinstance(err, ValueError)
    assert (err.code, err.field) == ("invalid_input", "request")
    assert str(err).startswith("request: ")
    with pytest.raises(EvaluateError) as info:
        validate_service_account(request_)
    assert (info.value.code, info.value.field) == ("invalid_input", "request")


def test_unknown_field_is_named_in_the_message():
    request = {"draft": {"nme": "x"}, "owner": TOKEN_CASES[0]["input"]["owner"], "now": "2026-11-23T10:00:00Z"}
    with pytest.raises(EvaluateError, match="nme"):
        validate_token(request)


def test_wrong_shape_names_the_path_inside_the_argument():
    owner = TOKEN_CASES[0]["input"]["owner"]
    with pytest.raises(EvaluateError) as info:
        validate_token({"draft": {"name": 3}, "owner": owner, "now": "2026-11-23T10:00:00Z"})
    assert (info.value.code, info.value.field) == ("invalid_input", "request")
    assert str(info.value).startswith("request: draft.name: invalid type: integer `3`")
    bad_existing = {"draft": {"name": "x"}, "owner": owner, "now": "2026-11-23T10:00:00Z", "existing_tokens": [{"id": 1}]}
    with pytest.raises(EvaluateError, match=r"^request: existing_tokens\[0\]\.id: "):
        validate_token(bad_existing)

