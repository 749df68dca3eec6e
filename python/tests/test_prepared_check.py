"""`PreparedToken.check` (the hot path) agrees with `authorize(...).reason` on every
authorize vector it can express (no resource tags, organization or policy)."""

from datetime import datetime, timedelta, timezone

import pytest

from clouddigit import ClouddigitError, EvaluateError, PreparedOwner, PreparedToken, authorize
from conftest import load_vectors

FILE = load_vectors("authorize.json")
CASES = [
    c
    for c in FILE["cases"]
    if "policy" not in c and not ({"resource_tags", "organization"} & c["request"].keys())
]
NOW = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


def action_of(request: dict) -> str:
    return request.get("action") or f"{request['method']} {request['path']}"


def test_most_vectors_are_expressible():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check_agrees_with_authorize(case):
    token, owner, request = FILE["tokens"][case["token"]], FILE["owners"][case["owner"]], case["request"]
    want = authorize(token, owner, request).reason
    assert want == case["expect"]["reason"]
    prepared, powner = PreparedToken(token), PreparedOwner(owner)
    args = (powner, action_of(request), request.get("project"), request.get("ip"))
    assert prepared.check(*args, request["time"]) == want
    when = datetime.fromisoformat(request["time"].replace("Z", "+00:00"))
    assert prepared.check(*args, time=when) == want
    assert prepared.check(*args, time=when.astimezone(timezone(timedelta(hours=-5)))) == want


def test_time_none_is_now():
    powner = PreparedOwner(FILE["owners"]["alice"])
    expired = dict(FILE["tokens"]["alice_inherit"], expires_at="2001-01-01T00:00:00Z")
    assert PreparedToken(expired).check(powner, "compute.servers.list", "web") == "expired"
    forever = dict(FILE["tokens"]["alice_inherit"], expires_at=None)
    assert PreparedToken(forever).check(powner, "compute.servers.list", "web", time=None) == "allowed"


def test_cached_times_do_not_leak_between_values():
    prepared = PreparedToken(dict(FILE["tokens"]["alice_inherit"], expires_at="2026-12-01T00:00:00Z"))
    powner = PreparedOwner(FILE["owners"]["alice"])
    for _ in range(3):
        assert prepared.check(powner, "compute.servers.list", "web", time=NOW) == "allowed"
        assert prepared.check(powner, "compute.servers.list", "web", time=NOW + timedelta(days=30)) == "expired"
        assert prepared.check(powner, "compute.servers.list", "web", time="2026-11-23T10:00:00Z") == "allowed"
        assert prepared.check(powner, "compute.servers.list", "web", time="2026-12-02T10:00:00Z") == "expired"


def test_bad_time_and_owner_raise():
    prepared = PreparedToken(FILE["tokens"]["alice_inherit"])
    powner = PreparedOwner(FILE["owners"]["alice"])
    with pytest.raises(EvaluateError) as info:
        prepared.check(powner, "compute.servers.list", "web", time=datetime(2026, 11, 23, 10))
    assert (info.value.code, info.value.field) == ("invalid_input", "time")
    with pytest.raises(EvaluateError) as info:
        prepared.check(powner, "compute.servers.list", "web", time="yesterday")
    assert (info.value.code, info.value.field) == ("invalid_input", "time")
    assert "yesterday" in str(info.value)
    with pytest.raises(TypeError):
        prepared.check(powner, "compute.servers.list", "web", time=1795428000)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        prepared.check(FILE["owners"]["alice"], "compute.servers.list")  # type: ignore[arg-type]
    with pytest.raises(EvaluateError) as info:
        PreparedOwner({"type": "user"})  # type: ignore[typeddict-item]
    assert isinstance(info.value, ClouddigitError)
    assert (info.value.code, info.value.field) == ("invalid_input", "owner")


def test_unparsable_ip_counts_as_none_and_routes_resolve():
    alice = PreparedToken(dict(FILE["tokens"]["alice_inherit"], allowed_ips=["203.0.113.0/24"]))
    powner = PreparedOwner(FILE["owners"]["alice"])
    assert alice.check(powner, "compute.servers.list", "web", "203.0.113.9", NOW) == "allowed"
    assert alice.check(powner, "compute.servers.list", "web", "not an ip", NOW) == "ip_not_allowed"
    assert alice.check(powner, "compute.servers.list", "web", None, NOW) == "ip_not_allowed"
    assert alice.check(powner, "GET /v1/compute/servers", "web", "203.0.113.9", NOW) == "allowed"
    assert alice.check(powner, "compute.nothing", "web", "203.0.113.9", NOW) == "unknown_action"


def test_prepared_owner_repr_and_attributes():
    powner = PreparedOwner(FILE["owners"]["alice"])
    assert (powner.type, powner.id) == ("user", FILE["owners"]["alice"]["id"])
    assert repr(powner) == f'PreparedOwner(type="user", id="{powner.id}")'
    sa = next(o for o in FILE["owners"].values() if o["type"] == "service_account")
    assert PreparedOwner(sa).type == "service_account"
