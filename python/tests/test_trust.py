"""Runs tests/vectors/oidc.json (JWTs signed by PyJWT) through the installed wheel's
check_trust, reading the report into the vector's terms exactly as
core/tests/oidc_vectors.rs does, and tests/vectors/trust_validate.json through
validate_trust as tests/rust/trust_validate.rs does; and the `clouddigit trust` command."""

import json
from datetime import datetime, timezone

import pytest

from clouddigit import (
    ClouddigitError,
    EvaluateError,
    check_trust,
    trust_preset,
    trust_presets,
    validate_trust,
)
from conftest import listed_codes, load_vectors
from test_cli import run, write

OIDC = load_vectors("oidc.json")
TRUST_VALIDATE = load_vectors("trust_validate.json")
SEEN_CODES = set()


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def verdict(report) -> dict:
    """The report in the vector's terms: the signature, the trust, and otherwise the first
    failed check of the last trust (`malformed` when the token could not be read)."""
    failure = None
    if report["trust"] is None:
        if report["claims"] is None:
            failure = "malformed"
        else:
            last = report["matches"][-1]
            failure = next(c["check"] for c in last["checks"] if not c["passed"])
    return {"signature": report["signature"], "trust": report["trust"], "failure": failure}


def test_oidc_vectors_have_cases():
    assert len(OIDC["cases"]) >= 20


@pytest.mark.parametrize("case", OIDC["cases"], ids=[c["name"] for c in OIDC["cases"]])
def test_oidc_vector(case):
    jwks = json.dumps(OIDC["jwks"])
    report = check_trust(case["jwt"], case["trusts"], at(case["now"]), jwks)
    assert verdict(report) == case["expect"], report["message"]
    assert report["accepted"] == (report["trust"] is not None and report["signature"] == "ok")
    assert case["jwt"] not in json.dumps(report)
    # The JWKS as a dict, and the time as text, read alike.
    same = check_trust(case["jwt"], case["trusts"], at(case["now"]).isoformat(), OIDC["jwks"])
    assert same == report
    # Without the JWKS the claims are read alike and the signature is not checked.
    unchecked = check_trust(case["jwt"], case["trusts"], at(case["now"]))
    assert unchecked["trust"] == report["trust"] and unchecked["matches"] == report["matches"]
    if report["claims"] is not None:
        assert unchecked["signature"] == "not_checked"
        assert unchecked["accepted"] == (report["trust"] is not None)


def test_every_check_is_explained():
    case = next(c for c in OIDC["cases"] if c["name"] == "environment subject matches the deploy trust")
    r = check_trust(case["jwt"], case["trusts"], at(case["now"]), OIDC["jwks"])
    assert r["accepted"] and r["trust"] == "trust_deploy"
    assert [m["trust"] for m in r["matches"]] == ["trust_main", "trust_deploy"]
    main, deploy = r["matches"]
    assert not main["matched"] and deploy["matched"]
    failed = [c for c in main["checks"] if not c["passed"]]
    assert [c["check"] for c in failed] == ["subject"]
    assert "does not match" in failed[0]["detail"]
    assert {c["check"] for c in deploy["checks"]} >= {"issuer", "audience", "expiry", "subject", "claim"}
    claims = r["claims"]
    assert claims is not None
    assert claims["sub"] == "repo:acme/web:environment:prod"
    assert claims["alg"] == "RS256" and claims["aud"] == ["https://iam.clouddigit.ai/acme"]
    assert "signature verified" in r["message"]


def test_one_trust_or_a_list():
    case = OIDC["cases"][0]
    one = check_trust(case["jwt"], case["trusts"][1], at(case["now"]))
    assert one["trust"] == case["trusts"][1]["id"] and len(one["matches"]) == 1


def test_arguments_of_the_wrong_shape_raise_without_the_token():
    case = OIDC["cases"][0]
    jwt = case["jwt"]
    # The token and the trusts swapped: the trusts are a string, which serde would quote.
    with pytest.raises(EvaluateError) as e:
        check_trust("x.y.z", jwt)
    assert e.value.code == "invalid_input" and e.value.field == "trusts"
    # Only the string given as the token is cut out; here the token went elsewhere.
    with pytest.raises(EvaluateError) as e:
        check_trust(jwt, [{"name": "t", "issuer": "https://x", "audiences": [jwt]}, {"id": [jwt]}])
    assert e.value.field == "trusts" and "trusts[1].id" in str(e.value)
    assert jwt not in str(e.value) and jwt not in repr(e.value.args)
    with pytest.raises(EvaluateError) as e:
        check_trust(jwt, [{"name": "t", "issuer": "https://x", "audiences": ["a"], "subjet": "s"}])
    assert "unknown field `subjet`" in str(e.value)
    with pytest.raises(EvaluateError) as e:
        check_trust(jwt, case["trusts"], now=jwt)
    assert e.value.field == "now" and jwt not in str(e.value)
    with pytest.raises(EvaluateError) as e:
        check_trust(jwt, case["trusts"], now=datetime(2026, 1, 1))
    assert e.value.field == "now" and isinstance(e.value, ClouddigitError)
    # Not a JWT, a JWKS that is none: reports, not errors.
    r = check_trust("cd_not_a_jwt", case["trusts"])
    assert r["signature"] == "malformed_jwt" and r["claims"] is None and not r["accepted"]
    r = check_trust(jwt, case["trusts"], at(case["now"]), {"keys": 3})
    assert r["signature"] == "bad_jwks" and not r["accepted"]


@pytest.mark.parametrize("case", TRUST_VALIDATE["cases"], ids=[c["name"] for c in TRUST_VALIDATE["cases"]])
def test_trust_validate_vector(case):
    got = validate_trust(case["spec"], TRUST_VALIDATE["account_projects"])
    for key in ("errors", "warnings"):
        have = [[i["field"], i["code"]] for i in got[key]]
        SEEN_CODES.update(i["code"] for i in got[key])
        assert all(i["message"] for i in got[key]), key
        assert have == case["expect"][key], f"{case['why']}: {key}"


def test_every_trust_validate_code_is_reached():
    assert len(SEEN_CODES) > 0, "run with the vector tests"
    assert [c for c in listed_codes("trust_validate") if c not in SEEN_CODES] == []


def test_presets_draft_trusts_that_validate_once_named_and_pinned():
    presets = trust_presets()
    assert [p["preset"] for p in presets] == [
        "github_branch",
        "github_environment",
        "github_pull_request",
        "gitlab_branch",
        "kubernetes_service_account",
    ]
    for p in presets:
        spec = trust_preset(p["preset"], "acme/web", "main", "https://iam.clouddigit.ai/acme")
        assert spec["issuer"] == p["issuer"]
        assert [e["code"] for e in validate_trust(spec)["errors"]][0] == "name_required"
        spec["name"] = "deploy"
        if p["id_claim"]:
            spec["claims"][p["id_claim"]] = "4242"
        assert validate_trust(spec) == {"errors": [], "warnings": []}
    assert trust_preset("github_environment", "acme/web", "prod", "aud")["subject"] == "repo:acme/web:environment:prod"
    with pytest.raises(EvaluateError) as e:
        trust_preset("jenkins", "a", "b", "c")
    assert e.value.field == "preset" and str(e.value).startswith('preset: "jenkins" is not one of github_branch, ')
    with pytest.raises(EvaluateError) as e:
        validate_trust({"name": "x"})
    assert e.value.field == "spec" and "issuer" in str(e.value)


def test_cli_trust_check_exit_statuses_and_output(tmp_path):
    case = next(c for c in OIDC["cases"] if c["name"] == "RS256 token from main matches the branch trust")
    jwt = case["jwt"]
    trusts = write(tmp_path / "trusts.json", case["trusts"])
    jwks = write(tmp_path / "jwks.json", OIDC["jwks"])
    token = write(tmp_path / "token.jwt", jwt + "\n")
    now = at(case["now"]).isoformat().replace("+00:00", "Z")
    base = ["trust", "check", "--trust", trusts, "--now", now]
    r = run(*base, "--jwt", token, "--jwks", jwks)
    assert r.returncode == 0, r.stderr
    assert "signature: ok" in r.stdout and r.stdout.endswith("accepted by trust trust_main (signature verified)\n")
    assert "trust trust_deploy: does not match" in r.stdout and "FAIL  subject" in r.stdout
    # From standard input, without a JWKS: the output says the signature was not checked.
    r = run(*base, "--jwt", "-", stdin=jwt)
    assert r.returncode == 0, r.stderr
    assert "signature: NOT CHECKED" in r.stdout and "NOT checked" in r.stdout
    r = run(*base, "--jwt", "-", "--json", stdin=jwt)
    assert json.loads(r.stdout)["signature"] == "not_checked"
    # Refused: a trust that does not match.
    other = next(c for c in OIDC["cases"] if c["name"] == "another repository")
    r = run(*base, "--jwt", "-", "--jwks", jwks, stdin=other["jwt"])
    assert r.returncode == 1 and r.stdout.endswith("refused: none of the 2 trusts matches\n")
    # Bad input: one line, never the token.
    r = run(*base, "--jwt", trusts)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith(f"clouddigit trust: {trusts}: ")
    r = run(*base, "--jwt", token, "--jwks", token)
    assert r.returncode == 2 and jwt not in r.stderr and jwt not in r.stdout
    for r in (run(*base, "--jwt", token, "--jwks", jwks), run(*base, "--jwt", token)):
        assert jwt not in r.stdout and jwt not in r.stderr


def test_cli_trust_validate(tmp_path):
    bad = next(c for c in TRUST_VALIDATE["cases"] if c["name"] == "several problems at once, in the form's order")
    r = run("trust", "validate", write(tmp_path / "t.json", bad["spec"]), "--account-projects", "web,api")
    assert r.returncode == 1
    assert [line.split()[-1] for line in r.stdout.splitlines() if line.startswith("error")] == [
        f"[{code}]" for _, code in bad["expect"]["errors"]
    ]
    good = TRUST_VALIDATE["cases"][0]
    r = run("trust", "validate", write(tmp_path / "g.json", good["spec"]), "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == {"errors": [], "warnings": []}


def test_type_names_are_exported():
    import clouddigit

    for name in ("Trust", "TrustSpec", "TrustValidation", "TrustCheckReport"):
        assert name in clouddigit.__all__ and hasattr(clouddigit, name)
