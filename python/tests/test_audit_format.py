"""Runs tests/vectors/audit_format.json through the installed wheel's audit_record and
hashed_token, as core/tests/audit_format_vectors.rs does: every record must equal the
file's `expect` exactly."""

import base64
import copy
import hashlib
from datetime import datetime, timezone

import pytest

from clouddigit import ClouddigitError, EvaluateError, audit_record, hashed_token
from conftest import load_vectors

FILE = load_vectors("audit_format.json")
CASES = FILE["cases"]
MIN_CASES = 15


def test_the_file_has_enough_cases_and_every_format():
    assert len(CASES) >= MIN_CASES, len(CASES)
    assert {c["format"] for c in CASES} == {"json", "ocsf", "cloudtrail"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_audit_format_vector(case):
    assert audit_record(case["event"], case["format"], case["context"]) == case["expect"]


def test_hashed_token_is_the_secrets_sha256_in_base64():
    with_secret = [c for c in CASES if "secret" in c]
    assert len(with_secret) >= 2
    for c in with_secret:
        secret = c["secret"]
        # Independently of the core: the standard library's SHA-256 and base64.
        expected = base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode()
        assert c["event"]["hashed_token"] == expected, c["name"]
        assert hashed_token(secret) == expected, c["name"]
        assert secret not in repr(c["expect"])


def test_hashed_token_of_non_ascii_and_empty_secrets():
    for secret in ["", "cd_ünïcødé_秘密"]:
        assert hashed_token(secret) == base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode()


def test_an_aware_datetime_is_a_time_too():
    case = next(c for c in CASES if c["format"] == "ocsf")
    event = dict(case["event"], time=datetime.fromisoformat(case["event"]["time"].replace("Z", "+00:00")))
    assert event["time"].tzinfo == timezone.utc
    assert audit_record(event, "ocsf", case["context"]) == case["expect"]


def _raises(event, fmt, context, field):
    with pytest.raises(EvaluateError) as info:
        audit_record(event, fmt, context)
    err = info.value
    assert isinstance(err, ClouddigitError) and isinstance(err, ValueError)
    assert (err.code, err.field) == ("invalid_input", field)
    assert str(err).startswith(f"{field}: "), str(err)
    return str(err)


def test_an_unknown_format_names_the_field():
    c = CASES[0]
    message = _raises(c["event"], "xml", c["context"], "format")
    assert "xml" in message and "ocsf" in message
    _raises(c["event"], "OCSF", c["context"], "format")
    _raises(c["event"], 3, c["context"], "format")


def test_an_event_of_the_wrong_shape_names_the_field():
    c = CASES[0]
    no_status = copy.deepcopy(c["event"])
    del no_status["status"]
    assert "status" in _raises(no_status, c["format"], c["context"], "event")
    bad_status = dict(c["event"], status="ok")
    assert "status" in _raises(bad_status, c["format"], c["context"], "event")
    bad_time = dict(c["event"], time="yesterday")
    assert "time" in _raises(bad_time, c["format"], c["context"], "event")
    _raises("not an event", c["format"], c["context"], "event")


def test_a_context_of_the_wrong_shape_names_the_field():
    c = CASES[0]
    context = {k: v for k, v in c["context"].items() if k != "region"}
    assert "region" in _raises(c["event"], c["format"], context, "context")
