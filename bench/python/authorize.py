"""Python: prepared-token decisions through `clouddigit` against `cedarpy` on the same
scenario as bench/node/scenario.mjs. Run: scripts/bench-hosts.sh."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timezone
from typing import Any, Callable

import cedarpy
import clouddigit

NOW = "2026-11-23T10:00:00Z"
CIDRS = ["10.0.0.0/8", "192.0.2.0/24", "203.0.113.0/24"]


def median_ns(fn: Callable[[], Any], n: int = 20000, rounds: int = 21) -> float:
    for _ in range(n):
        fn()
    per = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        per.append((time.perf_counter_ns() - t0) / n)
    return statistics.median(per)


def main() -> None:
    catalog = clouddigit.catalog()
    member = [p.name for p in catalog.permissions if p.role in ("read_only", "member")]
    perms = member[:64]
    token = {
        "id": "tok", "name": "bench", "prefix": "cd_bench0", "owner": {"type": "user", "id": "u1"},
        "organization": "org", "projects": ["web", "data", "ops"], "permissions": perms,
        "created_at": NOW, "expires_at": "2026-12-23T10:00:00Z", "allowed_ips": CIDRS,
        "revoked_at": None, "rotated_at": None, "grace_ends_at": None,
    }
    owner = {"type": "user", "id": "u1", "email": "", "organization": "org", "status": "active",
             "org_role": None, "project_roles": {"ops": "member"}}
    request = {"action": "compute.servers.list", "project": "ops", "ip": "203.0.113.9", "time": NOW}
    when = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)

    prepared = clouddigit.PreparedToken(token)
    powner = clouddigit.PreparedOwner(owner)
    assert prepared.check(powner, "compute.servers.list", "ops", "203.0.113.9", when) == "allowed"
    assert prepared.authorize(owner, request).allowed

    policy = (
        'permit (principal == Token::"tok", action in Action::"token_set", resource) when {\n'
        '  action in Action::"role_member" && principal.projects.contains(resource.project) &&\n'
        "  context.now < principal.expires_at && ("
        + " || ".join(f'context.ip.isInRange(ip("{c}"))' for c in CIDRS)
        + ")\n};"
    )
    entities: list[dict[str, Any]] = [
        {"uid": {"type": "Token", "id": "tok"}, "attrs": {"projects": ["web", "data", "ops"], "expires_at": 1798020000}, "parents": []},
        {"uid": {"type": "Server", "id": "s1"}, "attrs": {"project": "ops"}, "parents": []},
        {"uid": {"type": "Action", "id": "token_set"}, "attrs": {}, "parents": []},
        {"uid": {"type": "Action", "id": "role_member"}, "attrs": {}, "parents": []},
    ]
    for p in member:
        parents = [{"type": "Action", "id": "role_member"}]
        if p in perms:
            parents.append({"type": "Action", "id": "token_set"})
        entities.append({"uid": {"type": "Action", "id": p}, "attrs": {}, "parents": parents})
    creq = {
        "principal": 'Token::"tok"', "action": 'Action::"compute.servers.list"', "resource": 'Server::"s1"',
        "context": {"now": 1795428000, "ip": {"__extn": {"fn": "ip", "arg": "203.0.113.9"}}},
    }
    result = cedarpy.is_authorized(creq, policy, entities)
    assert result.decision == cedarpy.Decision.Allow, result

    rows = [
        ("clouddigit PreparedToken.check (hot path)", median_ns(lambda: prepared.check(powner, "compute.servers.list", "ops", "203.0.113.9", when))),
        ("clouddigit PreparedToken.authorize (explained)", median_ns(lambda: prepared.authorize(owner, request), n=2000)),
        ("cedarpy is_authorized", median_ns(lambda: cedarpy.is_authorized(creq, policy, entities), n=200, rounds=11)),
    ]
    for name, ns in rows:
        print(f"{name:<48} median {ns / 1000:9.3f} µs")
    print(f"ratio cedarpy / clouddigit hot path: {rows[2][1] / rows[0][1]:.1f}x")
    print(f"ratio cedarpy / clouddigit explained: {rows[2][1] / rows[1][1]:.1f}x")


if __name__ == "__main__":
    main()
