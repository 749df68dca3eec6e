"""List your tokens, create a short-lived downscoped one, check it locally, revoke it.

    CD_BASE_URL=http://127.0.0.1:8787/v1 CD_API_TOKEN=$(cat .clouddigit-sandbox-token) \
        python examples/client.py
"""

from __future__ import annotations

import sys

import clouddigit
from clouddigit import Client, PermissionDeniedError, ValidationError


def main() -> int:
    client = Client()  # CD_API_TOKEN or ~/.config/cd/token; CD_BASE_URL; CD_LOG=debug
    me = client.whoami()
    print(f"signed in as {me.owner.get('email') or me.owner['id']} with {me.token.prefix}")
    for token in client.tokens.list():
        print(f"  {token.name:<24} {token.prefix}  {token.status:<8} expires {token.expires_at}")
    try:
        created = client.tokens.create(
            {"name": "example-reader", "projects": ["web"], "permissions": ["compute.servers.list"], "expiry": "30d"}
        )
    except ValidationError as e:
        for f in e.field_errors:
            print(f"{f['field']}: {f['message']}", file=sys.stderr)
        return 2
    print(f"created {created.token.name}: {created.secret}  (printed redacted; reveal() reads it)")
    reader = Client(token=created.secret.reveal())
    decision: clouddigit.Decision = reader.can("compute.servers.create", "web")
    print(f"may it create servers? {decision.allowed} ({decision.reason})")
    try:
        next(iter(reader.audit.list()))
    except PermissionDeniedError as e:
        print(f"audit log refused as expected: {e.code}")
    client.tokens.revoke(created.token.id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
