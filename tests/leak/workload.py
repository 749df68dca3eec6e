"""The leak sweep's Python workload (scripts/leak-sweep.sh): every kind of secret made,
used, printed the ways a program prints things (str, repr, exceptions), and ended, with
CD_LOG=debug. Nothing here may put a secret in its output; the sweep checks.

    CD_BASE_URL=... CD_API_TOKEN=... CD_LOG=debug python tests/leak/workload.py
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

import clouddigit
from clouddigit import Client, ClientCredentials


def show(what: str, value: object) -> None:
    print(f"{what}: str={value!s} repr={value!r}")


def fails(what: str, call) -> None:  # type: ignore[no-untyped-def]
    try:
        call()
    except Exception as e:  # noqa: BLE001 - every error is shown, whatever its type
        print(f"{what}: {type(e).__name__}: {e} | {e!r}")
    else:
        print(f"{what}: no error")


def main() -> int:
    base = os.environ["CD_BASE_URL"]
    admin = Client(allow_insecure_http=True)
    show("whoami", admin.whoami().token)
    made = admin.tokens.create({"name": f"leak-py-{os.getpid()}", "projects": ["web"], "expiry": "30d"})
    show("created", made)
    show("secret", made.secret)
    user = Client(token=made.secret.reveal(), allow_insecure_http=True, env=False, base_url=base, debug=True)
    show("as the new token", user.whoami().token)
    rotated = admin.tokens.rotate(made.token.id)
    show("rotation", rotated)
    newer = Client(token=rotated.secret.reveal(), allow_insecure_http=True, env=False, base_url=base, debug=True)
    show("as the replacement", newer.whoami().token)
    sa = admin.service_accounts.create({"name": f"leak-py-sa-{os.getpid()}", "project": "web", "role": "member"})
    show("service account", sa)
    key = admin.service_accounts.access_keys.create(sa.service_account.id)
    show("access key", key)
    creds = ClientCredentials(
        organization="acme", client_id=sa.client_id, client_secret=sa.client_secret.reveal()
    )
    show("client credentials", creds)
    bearer = Client(client_credentials=creds, allow_insecure_http=True, env=False, base_url=base, debug=True)
    show("as the account", bearer.whoami().token)
    # A reset over plain HTTP, as a script would do it; only the secret's prefix is printed.
    req = urllib.request.Request(
        f"{base}/iam/service-accounts/{sa.service_account.id}/secret",
        method="POST",
        headers={"Authorization": f"Bearer {os.environ['CD_API_TOKEN']}"},
    )
    with urllib.request.urlopen(req) as r:  # noqa: S310 - the sandbox on loopback
        reset = json.load(r)
    print(f"reset: new secret {reset['client_secret'][:10]}…")
    admin.tokens.revoke(rotated.token.id)
    admin.tokens.revoke(made.token.id)
    fails("the revoked replacement", lambda: newer.whoami())
    fails("a stale bearer after the reset", lambda: bearer.whoami())
    fails("a secret with a wrong checksum", lambda: clouddigit.parse_token_secret(made.secret.reveal()[:-1] + "0"))
    fails("a token for the wrong API", lambda: Client(token=made.secret.reveal(), allow_insecure_http=True, env=False, base_url=base + "/nope").whoami())
    fails("the audit log with the new token", lambda: next(iter(user.audit.list())))
    admin.service_accounts.delete(sa.service_account.id)
    print("python workload done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
