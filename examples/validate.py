"""Validate a "New API token" draft offline, as the console does while you type.

    python examples/validate.py [token name]

Prints every error and warning with its field, then the preview; exits 1 when the
draft would be rejected.
"""

import sys

from clouddigit import Issue, validate_token
from clouddigit.types import OwnerState, TokenDraft, TokenRequest

OWNER: OwnerState = {
    "type": "user",
    "id": "u_alice",
    "email": "alice@acme.test",
    "organization": "acme",
    "status": "active",
    "project_roles": {"web": "member", "data": "read_only"},
}


def show(kind: str, issue: Issue) -> None:
    hint = f" (suggestion: {issue.suggestion})" if issue.suggestion else ""
    print(f"{kind} {issue.field}: {issue.message} [{issue.code}]{hint}")


def main(argv: list[str]) -> int:
    draft: TokenDraft = {
        "name": argv[0] if argv else "ci-deploy",
        "projects": ["web", "data"],
        "permissions": ["compute.servers.list", "compute.server.get"],
        "expiry": "90d",
        "allowed_ips": "203.0.113.0/24, 10.0.0.1/8",
    }
    request: TokenRequest = {"draft": draft, "owner": OWNER, "now": "2026-11-23T10:00:00Z"}
    result = validate_token(request)
    for error in result.errors:
        show("error  ", error)
    for warning in result.warnings:
        show("warning", warning)
    preview = result.preview
    expires = preview.expires_at.isoformat() if preview.expires_at else "never"
    print(f"expires: {expires} ({preview.lifetime_days} days)")
    for scope in preview.scopes:
        print(f"  {scope.project or '(organization)'} as {scope.role}: {', '.join(scope.permissions) or 'nothing'}")
    print(("valid: " if result.valid else "not valid: ") + preview.summary)
    return 0 if result.valid else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
