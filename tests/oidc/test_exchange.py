"""The OIDC token exchange (RFC 8693) against a real sandbox, with an issuer that is not
the sandbox's: a discovery document and JWKS served on loopback by this test, keys from
`cryptography`, tokens signed by PyJWT. And the sandbox's own development issuer, with a
key rotation."""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sandbox_harness import Sandbox  # noqa: E402

AUD = "https://iam.clouddigit.ai/acme"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


class Issuer:
    """A CI platform's OIDC issuer in miniature: discovery, a JWKS whose keys the test
    rotates, and a count of JWKS fetches."""

    def __init__(self) -> None:
        self.keys: List[Tuple[str, Any, str]] = [("k1", rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")]
        self.fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/keys"}
                elif self.path == "/keys":
                    issuer.fetches += 1
                    body = {"keys": [issuer.jwk(kid, k, alg) for kid, k, alg in issuer.keys]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def jwk(kid: str, key: Any, alg: str) -> Dict[str, Any]:
        algo = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
        d = json.loads(algo.to_jwk(key.public_key()))
        d.update({"kid": kid, "alg": alg, "use": "sig"})
        return dict(d)

    def token(self, kid: Optional[str] = None, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        body: Dict[str, Any] = {
            "iss": self.url, "aud": AUD, "iat": now, "nbf": now, "exp": now + 300,
            "jti": f"jti-{time.time_ns()}", "sub": "repo:acme/web:ref:refs/heads/main",
            "repository": "acme/web", "repository_owner_id": "4242", "run_id": "31337",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        kid = kid or self.keys[-1][0]
        k, alg = next(((k, a) for i, k, a in self.keys if i == kid), (self.keys[-1][1], self.keys[-1][2]))
        return jwt.encode(body, key or k, algorithm=alg, headers={"kid": kid})

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    s = Sandbox()
    yield s
    s.close()


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    i = Issuer()
    yield i
    i.close()


def exchange(box: Sandbox, account: str, token: str, **extra: str) -> Tuple[int, Dict[str, Any]]:
    form = {"grant_type": EXCHANGE, "subject_token": token, "subject_token_type": JWT_TYPE, "audience": account}
    form.update(extra)
    req = urllib.request.Request(
        f"{box.url}/realms/acme/protocol/openid-connect/token",
        data=urllib.parse.urlencode(form).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def call(box: Sandbox, token: str, path: str = "/v1/iam/whoami") -> int:
    req = urllib.request.Request(box.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def make_trust(box: Sandbox, account: str, issuer_url: str, **over: Any) -> Dict[str, Any]:
    spec: Dict[str, Any] = {"name": "web-main", "issuer": issuer_url, "audiences": [AUD],
                            "subject": "repo:acme/web:ref:refs/heads/*", "claims": {"repository_owner_id": "4242"}}
    spec.update(over)
    return dict(box.api("POST", f"/v1/iam/service-accounts/{account}/trusts", spec))


def test_a_matching_token_is_exchanged_and_works_until_it_expires(box: Sandbox, issuer: Issuer) -> None:
    sa = box.account("ci-web", "member")
    trust = make_trust(box, sa, issuer.url, lifetime_minutes=5)
    assert [t["id"] for t in box.api("GET", f"/v1/iam/service-accounts/{sa}/trusts")["trusts"]] == [trust["id"]]
    status, body = exchange(box, sa, issuer.token())
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["expires_in"] == 300
    token = body["access_token"]
    assert call(box, token) == 200
    assert call(box, token, "/v1/compute/servers?project=web") == 200
    # Audited with the trust and the pipeline's identity.
    events = box.audit(token_prefix=token[:9])
    assert events and "repo:acme/web:ref:refs/heads/main" in (events[0].get("detail") or "")
    assert "31337" in (events[0].get("detail") or "") and trust["id"] in (events[0].get("detail") or "")
    box.advance(301)
    try:
        assert call(box, token) == 401
    finally:
        box.reset_clock()


def test_refusals(box: Sandbox, issuer: Issuer) -> None:
    sa = box.account("ci-refusals", "member")
    make_trust(box, sa, issuer.url)

    def refused(token: str, error: str = "invalid_grant", account: str = sa) -> str:
        status, body = exchange(box, account, token)
        assert status == 400 and body["error"] == error, body
        assert token not in json.dumps(body)
        return str(body["error_description"])

    refused(issuer.token(iss="https://token.actions.githubusercontent.com"))
    refused(issuer.token(aud="sts.amazonaws.com"))
    refused(issuer.token(exp=int(time.time()) - 120))
    refused(issuer.token(nbf=int(time.time()) + 600))
    refused(issuer.token(sub="repo:acme/web:pull_request"))
    refused(issuer.token(sub="repo:evil/web:ref:refs/heads/main"))
    refused(issuer.token(repository_owner_id="9999"))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "signature" in refused(issuer.token(key=other))
    # An unknown kid fetches the keys once more, and a second one within 30 s does not.
    before = issuer.fetches
    assert "kid" in refused(issuer.token(kid="nope", key=other))
    assert "kid" in refused(issuer.token(kid="nope-2", key=other))
    assert issuer.fetches == before + 1
    # A replayed token.
    t = issuer.token()
    assert exchange(box, sa, t)[0] == 200
    assert "already exchanged" in refused(t)
    refused("not-a-jwt")
    refused(issuer.token(), "invalid_target", account="sa_missing")
    status, body = exchange(box, sa, issuer.token(), subject_token_type="urn:x")
    assert status == 400 and body["error"] == "invalid_request"
    # Disabled, then enabled again.
    box.api("POST", f"/v1/iam/service-accounts/{sa}/disable")
    assert "not active" in refused(issuer.token())
    box.api("POST", f"/v1/iam/service-accounts/{sa}/enable")
    assert exchange(box, sa, issuer.token())[0] == 200


def test_key_rotation_refetches_the_jwks_once(box: Sandbox) -> None:
    issuer = Issuer()  # its own: the refusals test spent this issuer's refresh
    sa = box.account("ci-rotation", "member")
    make_trust(box, sa, issuer.url)
    assert exchange(box, sa, issuer.token())[0] == 200
    issuer.keys.append(("k2", ec.generate_private_key(ec.SECP256R1()), "ES256"))
    before = issuer.fetches
    status, body = exchange(box, sa, issuer.token(kid="k2"))
    assert status == 200, body
    assert issuer.fetches == before + 1


def test_a_removed_trust_takes_its_tokens_with_it(box: Sandbox, issuer: Issuer) -> None:
    sa = box.account("ci-removed", "member")
    trust = make_trust(box, sa, issuer.url)
    status, body = exchange(box, sa, issuer.token())
    token = body["access_token"]
    assert call(box, token) == 200
    box.api("DELETE", f"/v1/iam/service-accounts/{sa}/trusts/{trust['id']}")
    assert call(box, token) == 401
    assert exchange(box, sa, issuer.token())[0] == 400
    # Deleting the account ends its trusts too.
    trust = make_trust(box, sa, issuer.url, name="again")
    token = exchange(box, sa, issuer.token())[1]["access_token"]
    box.api("DELETE", f"/v1/iam/service-accounts/{sa}")
    assert call(box, token) == 401


def test_a_minted_token_cannot_make_anything_longer_lived(box: Sandbox, issuer: Issuer) -> None:
    sa = box.account("ci-admin", "admin")
    make_trust(box, sa, issuer.url, lifetime_minutes=10)
    token = exchange(box, sa, issuer.token())[1]["access_token"]
    req = urllib.request.Request(
        f"{box.url}/v1/iam/service-accounts/{sa}/tokens",
        data=json.dumps({"name": "longer", "projects": ["web"], "expires_in_days": 30}).encode(),
        method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    body = json.loads(e.value.read())
    assert e.value.code == 422 and any(x["code"] == "exceeds_caller_expiry" for x in body["errors"]), body


def test_trust_validation_errors_name_the_field(box: Sandbox, issuer: Issuer) -> None:
    sa = box.account("ci-invalid", "member")
    with pytest.raises(AssertionError) as e:
        make_trust(box, sa, issuer.url, subject=None, claims={})
    assert "422" in str(e.value) and "condition_required" in str(e.value)
    with pytest.raises(AssertionError) as e:
        make_trust(box, sa, "ftp://ci.example", name="x")
    assert "issuer_invalid" in str(e.value)


def test_the_development_issuer(box: Sandbox) -> None:
    iss = box.url + "/_sandbox/oidc"
    with urllib.request.urlopen(iss + "/.well-known/openid-configuration", timeout=30) as r:
        assert json.loads(r.read())["issuer"] == iss
    sa = box.account("ci-dev", "member")
    make_trust(box, sa, iss, subject="repo:acme/web:environment:prod", claims={})
    mint = lambda **c: box.api("POST", "/_sandbox/oidc/token", {"claims": dict(aud=AUD, **c)})["token"]  # noqa: E731
    old = mint(sub="repo:acme/web:environment:prod")
    assert exchange(box, sa, old)[0] == 200
    box.api("POST", "/_sandbox/oidc/rotate")
    assert exchange(box, sa, mint(sub="repo:acme/web:environment:prod"))[0] == 200
    assert exchange(box, sa, mint(sub="repo:acme/web:environment:staging"))[0] == 400


def test_the_python_sdk_exchanges_through_a_trust(box: Sandbox, issuer: Issuer) -> None:
    """The package's client, given a token provider, exchanges with the real sandbox."""
    import clouddigit

    sa = box.account("ci-sdk", "member")
    make_trust(box, sa, issuer.url)
    asked: List[Optional[str]] = []

    def provider(audience: Optional[str]) -> str:
        asked.append(audience)
        return issuer.token()

    client = clouddigit.Client(base_url=box.url + "/v1", organization="acme", service_account=sa,
                               oidc_audience=AUD, oidc_token_provider=provider)
    me = client.whoami()
    assert me.token.name == "oidc:web-main" and asked == [AUD]
    assert [t.name for t in client.tokens.list()] is not None
    assert client.can("compute.servers.list", "web").allowed
    assert not client.can("compute.servers.list", "data").allowed
    assert len(asked) == 1  # the minted token is cached, not exchanged per call


def test_a_github_actions_job_gets_a_token_with_no_secret(box: Sandbox, issuer: Issuer, monkeypatch: Any) -> None:
    """What README.md's GitHub Actions step runs: the job's environment only, a stand-in
    for GitHub's token endpoint on loopback, the real sandbox."""
    import clouddigit

    sa = box.account("ci-actions", "member")
    make_trust(box, sa, issuer.url)
    seen: List[Dict[str, str]] = []

    class Actions(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            seen.append({"auth": self.headers.get("Authorization", ""), "audience": q.get("audience", [""])[0]})
            ok = self.headers.get("Authorization") == "Bearer request-token-123"
            data = json.dumps({"value": issuer.token()} if ok else {"message": "bad"}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Actions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for k in ("CD_API_TOKEN", "CD_TOKEN_FILE"):
            monkeypatch.delenv(k, raising=False)
        monkeypatch.setenv("HOME", "/nonexistent")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"http://127.0.0.1:{server.server_address[1]}/token?api-version=2.0")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token-123")
        monkeypatch.setenv("CD_BASE_URL", box.url + "/v1")
        monkeypatch.setenv("CD_ORGANIZATION", "acme")
        monkeypatch.setenv("CD_SERVICE_ACCOUNT", sa)
        monkeypatch.setenv("CD_OIDC_AUDIENCE", AUD)
        me = clouddigit.Client().whoami()
        assert me.token.name == "oidc:web-main"
        assert seen == [{"auth": "Bearer request-token-123", "audience": AUD}]
    finally:
        server.shutdown()
