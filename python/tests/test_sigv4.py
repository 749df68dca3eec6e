"""Runs tests/vectors/sigv4.json (botocore-signed S3 requests) and sigv4_aws_suite.json
(the AWS SigV4 test suite's cases S3 signs alike) through the installed wheel's
sigv4_verify and sigv4_explain, as core/tests/sigv4_vectors.rs does."""

import datetime as dt

import pytest

from clouddigit import ClouddigitError, SigV4Error, sigv4_explain, sigv4_verify
from conftest import load_vectors

FILES = ["sigv4.json", "sigv4_aws_suite.json"]
CASES = [(f, c) for f in FILES for c in load_vectors(f)["cases"]]
SECRET = "cdsk/EXAMPLE+secret0123456789abcdefghijklm"
SEEN = set()


def pasted(r):
    """A vector's request as a person pastes it: a URL, header pairs, the body's hash."""
    query = f"?{r['query']}" if r["query"] else ""
    request = {"method": r["method"], "url": f"http://example.test{r['path']}{query}", "headers": r["headers"]}
    if "body_sha256" in r:
        request["body_sha256"] = r["body_sha256"]
    return request


def test_vector_files_have_cases():
    for f in FILES:
        assert len(load_vectors(f)["cases"]) >= 20, f


@pytest.mark.parametrize("file,case", CASES, ids=[f"{f}:{c['name']}" for f, c in CASES])
def test_sigv4_vector(file, case):
    request = pasted(case["request"])
    verdict = sigv4_verify(request, case["secret"], case["now"])
    got = "ok" if verdict["ok"] else verdict["code"]
    SEEN.add(got)
    assert got == case["expect"], verdict
    assert (verdict["message"] is None) == verdict["ok"]
    if verdict["message"] is not None:
        assert case["secret"] not in verdict["message"]
    if case["expect"] in ("ok", "SignatureDoesNotMatch"):
        x = sigv4_explain(request, case["secret"])
        assert x["matches"] == (case["expect"] == "ok")
        assert x["matches"] == (x["expected_signature"] == x["given_signature"])
        if "canonical_request" in case:
            assert x["canonical_request"] == case["canonical_request"]


def test_every_code_is_reached():
    # Runs after the vectors (pytest keeps file order).
    all_codes = {"ok", "AccessDenied", "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError",
                 "RequestTimeTooSkewed", "SignatureDoesNotMatch"}
    assert all_codes - SEEN == set()


def test_times_as_datetime_tuples_as_pairs_and_a_dict_of_headers():
    case = load_vectors("sigv4.json")["cases"][0]
    request = pasted(case["request"])
    now = dt.datetime.fromisoformat(case["now"].replace("Z", "+00:00"))
    assert sigv4_verify(request, case["secret"], now)["ok"]
    as_tuples = dict(request, headers=[tuple(h) for h in request["headers"]])
    as_dict = dict(request, headers=dict(request["headers"]))
    assert sigv4_explain(as_tuples, case["secret"]) == sigv4_explain(request, case["secret"])
    assert sigv4_explain(as_dict, case["secret"]) == sigv4_explain(request, case["secret"])
    # Far from its signing time, it is refused for the clock.
    assert sigv4_verify(request, case["secret"])["code"] == "RequestTimeTooSkewed"


def test_no_signature_is_a_sigv4_error_with_the_s3_code():
    with pytest.raises(SigV4Error) as raised:
        sigv4_explain({"method": "GET", "url": "/bucket/key"}, SECRET)
    err = raised.value
    assert isinstance(err, ClouddigitError) and isinstance(err, ValueError)
    assert (err.code, err.field) == ("MissingSecurityHeader", "request")
    assert sigv4_verify({"method": "GET", "url": "/"}, SECRET) == {
        "ok": False, "code": "MissingSecurityHeader", "message": "the request is not signed"}


def test_no_message_holds_the_secret():
    pasted_secret = {"method": "GET", "url": "/", "headers": {"Authorization": SECRET, "X-Amz-Date": "20261124T120000Z"}}
    verdict = sigv4_verify(pasted_secret, SECRET)
    assert verdict["code"] == "AuthorizationHeaderMalformed" and SECRET not in verdict["message"]
    # serde names an unknown key in its message: the secret as one is cut out.
    with pytest.raises(SigV4Error) as raised:
        sigv4_explain({"method": "GET", "url": "/", SECRET: 1}, SECRET)
    assert raised.value.code == "invalid_input" and raised.value.field == "request"
    assert SECRET not in str(raised.value) and "[secret]" in str(raised.value)
    with pytest.raises(SigV4Error) as raised:
        sigv4_verify({"method": "GET", "url": "/"}, SECRET, "yesterday")
    assert (raised.value.code, raised.value.field) == ("invalid_input", "now")
    assert str(raised.value).startswith("now: ")
