"""Decide a few calls for a downscoped token offline, with clouddigit.

    python examples/authorize.py [token secret]

Prints each decision and, for a denial, the failing checks; checks the secret's format
(offline, no call) when one is given.
"""

import sys
from typing import Optional

from clouddigit import (
    Decision,
    EvaluateError,
    PreparedToken,
    TokenFormatError,
    authorize_many,
    expand_permission,
    parse_token_secret,
    resolve_route,
)
from clouddigit.types import OwnerState, Request, Token

TOKEN: Token = {
    "id": "tok_ci0001",
    "name": "ci-deploy",
    "prefix": "cd_a1B2c3",
    "owner": {"type": "user", "id": "u_alice"},
    "organization": "acme",
    "projects": ["web"],
    "permissions": ["compute.servers.*", "storage.objects.get"],
    "created_at": "2026-11-01T00:00:00Z",
    "expires_at": "2027-02-01T00:00:00Z",
    "allowed_ips": ["203.0.113.0/24"],
}
OWNER: OwnerState = {
    "type": "user",
    "id": "u_alice",
    "organization": "acme",
    "status": "active",
    "project_roles": {"web": "member", "data": "read_only"},
}
NOW = "2026-11-23T10:00:00Z"
REQUESTS: list[Request] = [
    {"action": "compute.servers.list", "project": "web", "ip": "203.0.113.7", "time": NOW},
    {"method": "POST", "path": "/v1/compute/servers/s-1/start", "project": "web", "ip": "203.0.113.7", "time": NOW},
    {"action": "compute.servers.list", "project": "data", "ip": "203.0.113.7", "time": NOW},
    {"action": "storage.buckets.delete", "project": "web", "ip": "203.0.113.7", "time": NOW},
    {"action": "compute.servers.list", "project": "web", "ip": "198.51.100.1", "time": NOW},
]


def show(request: Request, decision: Decision) -> None:
    what = request.get("action") or f"{request.get('method')} {request.get('path')}"
    verdict = "allow" if decision.allowed else f"deny ({decision.reason})"
    print(f"{what} in {request.get('project')}: {verdict}")
    if not decision.allowed:
        for check in decision.checks:
            if check.outcome == "fail":
                print(f"    {check.check}: {check.detail}")


def main(argv: list[str]) -> int:
    if argv:
        try:
            print(f"secret format ok: {parse_token_secret(argv[0]).prefix}…")
        except TokenFormatError as err:
            print(f"{err.code}: {err}", file=sys.stderr)
            return 1
    try:
        prepared = PreparedToken(TOKEN)
    except EvaluateError as err:
        print(f"{err.code} at {err.field}: {err}", file=sys.stderr)
        return 1
    print(f"{prepared!r}: {len(expand_permission('compute.servers.*'))} compute.servers permissions")
    route: Optional[str] = resolve_route("POST", "/v1/compute/servers/s-1/start")
    print(f"POST /v1/compute/servers/s-1/start needs {route}")
    for request, decision in zip(REQUESTS, authorize_many(prepared, OWNER, REQUESTS)):
        show(request, decision)
    print("may use in web:", ", ".join(prepared.effective_permissions(OWNER, "web")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
