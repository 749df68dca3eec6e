"""Leaked-token reports against a real sandbox, from a reporter that is not our code: the
key pair, its identifier and every signature are made with `cryptography`, the way a
secret scanner (GitHub's partner program) makes them, and the hashes are checked with
`hashlib`. What a signed report does (revoke with everything made through the token, or
quarantine), and that a forged or tampered one does nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sandbox_harness import Sandbox  # noqa: E402

URL = "https://github.com/acme/web/blob/4f2e1d0/config/settings.py"


class Reporter:
    """A secret scanner: an ECDSA P-256 key, GitHub's headers, a signature over the
    exact bytes sent."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        public = self.key.public_key()
        self.pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        der = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.key_id = hashlib.sha256(der).hexdigest()

    def __repr__(self) -> str:
        return f"Reporter({self.key_id[:12]})"

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()

    def headers(self, body: bytes) -> Dict[str, str]:
        return {
            "Github-Public-Key-Identifier": self.key_id,
            "Github-Public-Key-Signature": self.sign(body),
        }


def call(sbx: Sandbox, method: str, path: str, body: Optional[bytes] = None,
         headers: Optional[Dict[str, str]] = None, token: Optional[str] = None) -> Tuple[int, Any]:
    """One call; the status and the JSON answer, errors included."""
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(sbx.url + path, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def report(sbx: Sandbox, reporter: Reporter, alerts: List[Dict[str, str]]) -> Tuple[int, Any]:
    body = json.dumps(alerts).encode()
    return call(sbx, "POST", "/v1/secret-scanning/alerts", body, reporter.headers(body))


def alert(token: str) -> Dict[str, str]:
    return {"token": token, "type": "clouddigit_api_token", "url": URL, "source": "commit"}


def mint(sbx: Sandbox, user: str, name: str) -> Tuple[str, str]:
    """A never-expiring web token of `user`: (secret, id)."""
    r = sbx.api("POST", f"/_sandbox/users/{user}/tokens",
                {"name": name, "projects": ["web"], "expires_at": None})
    return str(r["secret"]), str(r["token"]["id"])


def status_of(sbx: Sandbox, token: str) -> Tuple[int, str]:
    status, body = call(sbx, "GET", "/v1/iam/whoami", token=token)
    return status, (body or {}).get("code", "")


@pytest.fixture()
def sbx() -> Iterator[Sandbox]:
    s = Sandbox()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture()
def github(sbx: Sandbox) -> Reporter:
    reporter = Reporter()
    made = sbx.api("POST", "/v1/secret-scanning/keys", {"name": "github", "key": reporter.pem})
    assert made["key_identifier"] == reporter.key_id
    return reporter


def test_the_trusted_key_is_published_in_githubs_format(sbx: Sandbox, github: Reporter) -> None:
    status, body = call(sbx, "GET", "/v1/secret-scanning/keys")
    assert status == 200
    assert body == {"public_keys": [{"key_identifier": github.key_id, "key": github.pem, "is_current": True}]}


def test_a_signed_report_revokes_the_token_and_what_it_made(sbx: Sandbox, github: Reporter) -> None:
    leaked, leaked_id = mint(sbx, "u_dev", "laptop")
    other, _ = mint(sbx, "u_dev", "desktop")
    child = sbx.api("POST", "/v1/iam/tokens",
                    {"name": "ci", "projects": ["web"], "expires_in_days": 7}, token=leaked)
    child_secret = str(child["secret"])
    assert status_of(sbx, child_secret)[0] == 200

    status, body = report(sbx, github, [alert(leaked), alert("cd_" + "0" * 42)])
    assert status == 200
    digest = hashlib.sha256(leaked.encode()).digest()
    assert body[0] == {
        "token_hash": digest.hex(),
        "hashed_token": base64.b64encode(digest).decode(),
        "token_type": "clouddigit_api_token",
        "label": "true_positive",
        "url": URL,
        "action": "revoked",
    }
    assert body[1]["label"] == "false_positive" and body[1]["action"] == "none"
    assert leaked[9:] not in json.dumps(body)

    # Refused from the next call on, and so is what it made.
    assert status_of(sbx, leaked) == (401, "revoked")
    assert status_of(sbx, child_secret)[0] == 401
    assert status_of(sbx, other)[0] == 200

    token = sbx.api("GET", f"/v1/iam/tokens/{leaked_id}", token=other)
    assert token["revocation"]["reason"] == "leaked"
    assert token["revocation"]["url"] == URL
    assert token["revocation"]["reporter"] == "secret-scanning:github"

    events = sbx.audit(actor="secret-scanning:github", token_prefix=leaked[:9])
    assert len(events) == 1
    assert events[0]["token_id"] == leaked_id
    assert events[0]["detail"].startswith(f"revoked: leaked at {URL} (source commit)")


def test_forged_and_tampered_reports_do_nothing(sbx: Sandbox, github: Reporter) -> None:
    leaked, _ = mint(sbx, "u_dev", "laptop")
    body = json.dumps([alert(leaked)]).encode()
    impostor = Reporter()
    status, answer = call(sbx, "POST", "/v1/secret-scanning/alerts", body, impostor.headers(body))
    assert (status, answer["code"]) == (401, "unknown_key")
    # GitHub's key id, the impostor's signature.
    forged = {"Github-Public-Key-Identifier": github.key_id,
              "Github-Public-Key-Signature": impostor.sign(body)}
    status, answer = call(sbx, "POST", "/v1/secret-scanning/alerts", body, forged)
    assert (status, answer["code"]) == (401, "bad_signature")
    # Signed, then changed in transit.
    tampered = body.replace(b'"commit"', b'"content"')
    status, answer = call(sbx, "POST", "/v1/secret-scanning/alerts", tampered, github.headers(body))
    assert (status, answer["code"]) == (401, "bad_signature")
    status, answer = call(sbx, "POST", "/v1/secret-scanning/alerts", body)
    assert (status, answer["code"]) == (401, "missing_signature")
    assert status_of(sbx, leaked) == (200, "")


def test_a_quarantining_policy_keeps_reads_and_stops_writes(sbx: Sandbox, github: Reporter) -> None:
    sbx.api("PUT", "/_sandbox/policy", {"policy": {"leaked_token_action": "quarantine"}})
    leaked, leaked_id = mint(sbx, "u_dev", "laptop")
    other, _ = mint(sbx, "u_dev", "desktop")
    status, body = report(sbx, github, [alert(leaked)])
    assert status == 200 and body[0]["action"] == "quarantined"

    status, _ = call(sbx, "GET", "/v1/compute/servers?project=web", token=leaked)
    assert status == 200
    server = json.dumps({"project": "web", "name": "web-7"}).encode()
    status, answer = call(sbx, "POST", "/v1/compute/servers", server, token=leaked)
    assert (status, answer["code"]) == (403, "quarantined")
    assert URL in answer["message"]

    rotated = sbx.api("POST", f"/v1/iam/tokens/{leaked_id}/rotate", token=other)
    fresh = str(rotated["secret"])
    assert "quarantine" not in rotated["token"]
    status, _ = call(sbx, "POST", "/v1/compute/servers", server, token=fresh)
    assert status == 201
    assert status_of(sbx, leaked) == (401, "rotated")
