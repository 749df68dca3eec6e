"""OIDC workload identity with a faked CI environment: a local server stands in for
GitHub Actions' token endpoint (checking the request token and the audience), for the
organization's token endpoint (answering the RFC 8693 exchange) and for the API; the
client is made from the process environment as a CI job would make it."""

from __future__ import annotations

import asyncio
import http.server
import json
import pathlib
import threading
import urllib.parse
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from clouddigit import AsyncClient, AuthenticationError, Client

REQUEST_TOKEN = "gh-request-token-s3cr3t"
AUDIENCE = "https://iam.clouddigit.ai/acme"
SERVICE_ACCOUNT = "sa_deploy"
VARS = [
    "CD_API_TOKEN",
    "CD_BASE_URL",
    "CD_SERVICE_ACCOUNT",
    "CD_ORGANIZATION",
    "CD_OIDC_AUDIENCE",
    "CD_OIDC_TOKEN_FILE",
    "CD_OIDC_TOKEN_ENV",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITLAB_OIDC_TOKEN",
]
TOKEN = {
    "id": "tok_1",
    "name": "ci",
    "prefix": "cd_AbC123",
    "owner": {"type": "service_account", "id": "sa_deploy"},
    "organization": "acme",
    "projects": ["web"],
    "permissions": "inherit",
    "created_at": "2026-11-23T10:00:00Z",
    "expires_at": None,
    "allowed_ips": [],
    "status": "active",
    "kind": "api",
}


def jwt(n: int) -> str:
    return f"eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJjaS0{n}In0.c2lnbmF0dXJl{n}"


class FakeCloud:
    """The CI platform's token endpoint, the organization's token endpoint and the API."""

    def __init__(self) -> None:
        self.actions: List[Tuple[str, Optional[str]]] = []
        self.exchanges: List[Dict[str, str]] = []
        self.api: List[str] = []
        self.refuse: List[str] = []
        self.revoked: List[str] = []
        self.issued = 0
        self.minted = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                with outer.lock:
                    status, payload = outer.answer(self.command, self.path, self.headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _answer  # noqa: N815 (the stdlib's names)
            do_POST = _answer  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, method: str, path: str, headers: Any, body: str) -> Tuple[int, Any]:
        url = urllib.parse.urlsplit(path)
        auth = headers.get("Authorization")
        if url.path == "/_apis/pipelines/idtoken":
            self.actions.append((path, auth))
            if auth != f"Bearer {REQUEST_TOKEN}":
                return 401, {"message": "bad request token"}
            q = dict(urllib.parse.parse_qsl(url.query))
            if q.get("api-version") != "2.0" or q.get("audience") != AUDIENCE:
                return 400, {"message": "audience"}
            self.issued += 1
            return 200, {"count": 1, "value": jwt(self.issued)}
        if method == "POST" and url.path == "/realms/acme/protocol/openid-connect/token":
            form = dict(urllib.parse.parse_qsl(body))
            self.exchanges.append(form)
            if (
                headers.get("Content-Type") != "application/x-www-form-urlencoded"
                or form.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange"
                or form.get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt"
                or form.get("audience") != SERVICE_ACCOUNT
            ):
                return 400, {"error": "invalid_request", "error_description": "form"}
            if form.get("subject_token") in self.refuse:
                return 400, {"error": "invalid_grant", "error_description": f"no trust matches {form['subject_token']}"}
            self.minted += 1
            return 200, {
                "access_token": f"minted-{self.minted}",
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": 900,
            }
        if url.path == "/v1/iam/tokens/tok_1":
            bearer = (auth or "").removeprefix("Bearer ")
            self.api.append(bearer)
            if not bearer.startswith("minted-") or bearer in self.revoked:
                return 401, {"code": "unauthenticated", "message": "no"}
            return 200, TOKEN
        return 404, {"code": "not_found", "message": "no"}


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloud]:
    for k in VARS:
        monkeypatch.delenv(k, raising=False)
    c = FakeCloud()
    yield c
    c.httpd.shutdown()


def github_env(monkeypatch: pytest.MonkeyPatch, cloud: FakeCloud, request_token: str) -> None:
    for k, v in {
        "CD_BASE_URL": f"{cloud.url}/v1",
        "CD_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "CD_ORGANIZATION": "acme",
        "CD_OIDC_AUDIENCE": AUDIENCE,
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{cloud.url}/_apis/pipelines/idtoken?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request_token,
    }.items():
        monkeypatch.setenv(k, v)


def test_github_actions_from_the_environment_one_exchange_for_many_calls(
    cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_env(monkeypatch, cloud, REQUEST_TOKEN)
    # A stale stored token does not win over the named service account.
    monkeypatch.setenv("CD_API_TOKEN", "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA")
    client = Client()
    for _ in range(3):
        assert client.tokens.get("tok_1").id == "tok_1"
    assert len(cloud.actions) == 1
    assert cloud.actions[0][1] == f"Bearer {REQUEST_TOKEN}"
    assert [f["subject_token"] for f in cloud.exchanges] == [jwt(1)]
    assert cloud.api == ["minted-1"] * 3
    assert "s3cr3t" not in repr(client)


def test_asyncio_calls_at_once_share_one_exchange(cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    github_env(monkeypatch, cloud, REQUEST_TOKEN)

    async def run() -> List[str]:
        client = AsyncClient()
        got = await asyncio.gather(*(client.tokens.get("tok_1") for _ in range(4)))
        return [t.id for t in got]

    assert asyncio.run(run()) == ["tok_1"] * 4
    assert (len(cloud.actions), len(cloud.exchanges)) == (1, 1)
    assert cloud.api == ["minted-1"] * 4


def test_a_wrong_request_token_is_github_refusing_named_without_the_token(
    cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_env(monkeypatch, cloud, "gh-other-s3cr3t")
    client = Client()
    with pytest.raises(AuthenticationError) as info:
        client.tokens.get("tok_1")
    e = info.value
    assert (e.code, e.status) == ("oidc_token_unavailable", 401)
    assert "GitHub Actions" in str(e)
    assert "s3cr3t" not in f"{e} {e!r}"
    assert cloud.exchanges == []


def test_a_projected_token_file_is_read_again_for_the_next_exchange(
    cloud: FakeCloud, tmp_path: pathlib.Path
) -> None:
    file = tmp_path / "token"
    file.write_text(jwt(101) + "\n")
    client = Client(
        base_url=f"{cloud.url}/v1",
        service_account=SERVICE_ACCOUNT,
        organization="acme",
        oidc_token_file=str(file),
        env=False,
    )
    client.tokens.get("tok_1")
    # The kubelet rotates the file; the API stops taking the first bearer.
    file.write_text(jwt(102))
    cloud.revoked.append("minted-1")
    client.tokens.get("tok_1")
    assert [f["subject_token"] for f in cloud.exchanges] == [jwt(101), jwt(102)]
    assert cloud.api == ["minted-1", "minted-1", "minted-2"]


def test_a_gitlab_id_token_refused_is_invalid_grant_without_the_jwt(
    cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.refuse.append(jwt(7))
    for k, v in {
        "CD_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "CD_ORGANIZATION": "acme",
        "CD_OIDC_TOKEN_ENV": "GITLAB_OIDC_TOKEN",
        "GITLAB_OIDC_TOKEN": jwt(7),
    }.items():
        monkeypatch.setenv(k, v)
    client = Client(base_url=f"{cloud.url}/v1")
    with pytest.raises(AuthenticationError) as info:
        client.tokens.get("tok_1")
    e = info.value
    assert (e.code, e.status) == ("invalid_grant", 400)
    assert "token exchange failed: no trust matches eyJ…" in str(e)
    assert "c2lnbmF0dXJl" not in f"{e} {e!r}"
    assert len(cloud.exchanges) == 1


def test_an_async_oidc_token_provider_is_asked_with_the_audience(cloud: FakeCloud) -> None:
    asked: List[Optional[str]] = []

    async def provider(audience: Optional[str]) -> str:
        asked.append(audience)
        return jwt(55)

    async def run() -> None:
        client = AsyncClient(
            base_url=f"{cloud.url}/v1",
            service_account=SERVICE_ACCOUNT,
            organization="acme",
            oidc_audience=AUDIENCE,
            oidc_token_provider=provider,
            env=False,
        )
        await client.tokens.get("tok_1")

    asyncio.run(run())
    assert asked == [AUDIENCE]
    assert cloud.exchanges[0]["subject_token"] == jwt(55)
