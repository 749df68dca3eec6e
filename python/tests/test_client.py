"""The Python SDK against the real sandbox: the same scenarios as the Rust SDK's tests
(client/tests/sandbox.rs), through the installed wheel, sync and asyncio."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import stat
import threading
import time
from typing import Iterator, List

import pytest

import clouddigit
from clouddigit import (
    AsyncClient,
    AuthenticationError,
    Client,
    ClientCredentials,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryInfo,
    ServerError,
    ValidationError,
)

from sandbox_harness import Sandbox, sandbox_bin

pytestmark = pytest.mark.skipif(not sandbox_bin().exists(), reason="build the sandbox first (cargo build -p clouddigit-sandbox)")


@pytest.fixture
def sbx() -> Iterator[Sandbox]:
    s = Sandbox()
    try:
        yield s
    finally:
        s.close()


def client(sbx: Sandbox, token: str, **kw: object) -> Client:
    return Client(base_url=sbx.base, token=token, env=False, **kw)  # type: ignore[arg-type]


def test_create_use_rotate_grace_revoke(sbx: Sandbox) -> None:
    owner = client(sbx, sbx.owner)
    created = owner.tokens.create(
        {"name": "laptop", "projects": ["web", "data"], "expiry": "90d", "allowed_ips": "127.0.0.0/8"}
    )
    secret = created.secret.reveal()
    # Printing, repr and f-strings show the prefix only.
    for shown in (str(created), repr(created), f"{created.secret}", repr(created.secret)):
        assert secret[9:] not in shown
    assert created.token.prefix == secret[:9]
    assert created.token.expires_at is not None and created.token.expires_at.tzinfo is not None

    first = client(sbx, secret)
    me = first.whoami()
    assert me.token.id == created.token.id and me.ip == "127.0.0.1"

    rotation = first.tokens.rotate(created.token.id)
    assert rotation.replaces.grace_ends_at is not None
    second = client(sbx, rotation.secret.reveal())
    first.whoami()
    second.whoami()

    sbx.advance(8 * 86400)
    with pytest.raises(AuthenticationError):
        first.whoami()
    second.whoami()

    second.tokens.revoke(rotation.token.id)
    with pytest.raises(AuthenticationError) as e:
        second.whoami()
    assert e.value.status == 401 and e.value.request_id
    assert not isinstance(e.value, OSError)  # not mistaken for a network failure
    assert rotation.secret.reveal()[9:] not in str(e.value)


def test_a_bad_draft_fails_before_any_call(sbx: Sandbox) -> None:
    dev = client(sbx, sbx.user_token("u_dev", ["web"]))
    with pytest.raises(ValidationError) as e:
        dev.tokens.create(
            {"name": "x", "projects": "all", "permissions": ["compute.servers.lsit"], "allowed_ips": "10.0.0.0/8\n300.1.1.1"}
        )
    assert e.value.status is None
    assert isinstance(e.value, ValueError)
    fields = {f["field"] for f in e.value.field_errors}
    assert {"projects", "permissions[0]", "allowed_ips[1]"} <= fields
    assert len(list(dev.tokens.list())) == 1
    tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).date().isoformat()
    v = dev.tokens.validate({"name": "deploy-bot", "projects": ["web"], "expiry": {"custom": tomorrow}})
    assert v.valid and {w.code for w in v.warnings} >= {"name_suggests_automation"}
    # The calling token (30 days) bounds what it makes: the SDK says so before sending.
    v = dev.tokens.validate({"name": "deploy-bot", "projects": ["web"], "expiry": "never"})
    assert not v.valid and {w.code for w in v.warnings} >= {"expiry_never"}
    assert [(e.field, e.code) for e in v.errors] == [("expiry", "exceeds_caller_expiry")]
    with pytest.raises(ValidationError) as e:
        dev.tokens.create({"name": "forever", "projects": ["web"], "expiry": "never"})
    assert [f["code"] for f in e.value.field_errors] == ["exceeds_caller_expiry"]


def test_downscoped_403_and_can_agree(sbx: Sandbox) -> None:
    owner = client(sbx, sbx.owner)
    t = owner.tokens.create({"name": "reader", "projects": ["web"], "permissions": ["iam.tokens.list"]})
    c = client(sbx, t.secret.reveal())
    assert next(iter(c.tokens.list())).name
    with pytest.raises(PermissionDeniedError) as e:
        next(iter(c.audit.list()))
    assert (e.value.code, e.value.status) == ("not_in_token_permissions", 403)
    d = c.can("audit.events.list", "web")
    assert not d.allowed and d.reason == "not_in_token_permissions"
    assert c.can("iam.tokens.list", "web").allowed


def test_lists_follow_pages_and_export(sbx: Sandbox) -> None:
    owner = client(sbx, sbx.owner)
    for i in range(5):
        owner.tokens.create({"name": f"t{i}", "projects": ["web"]})
    names = [t.name for t in owner.tokens.list(limit=2)]
    assert len(names) == 6 and len(set(names)) == 6
    events = []
    for ev in owner.audit.list(limit=3):
        events.append(ev)
        if len(events) == 7:
            break
    assert len(events) == 7
    assert all(a.time >= b.time for a, b in zip(events, events[1:]))
    lines = owner.audit.export()
    assert len(lines.splitlines()) >= 7
    assert all(json.loads(line)["request_id"] for line in lines.splitlines())
    assert sbx.owner[9:] not in lines


def test_a_429_storm_and_a_long_wait(sbx: Sandbox) -> None:
    seen: List[RetryInfo] = []
    c = client(sbx, sbx.owner, on_retry=seen.append)
    sbx.faults(count=2, status=429, retry_after_ms=150)
    c.whoami()
    assert [(r.wait_ms, r.cause) for r in seen] == [(150, "HTTP 429"), (150, "HTTP 429")]
    sbx.faults(count=1, status=429, retry_after="120")
    started = time.monotonic()
    with pytest.raises(RateLimitError) as e:
        c.whoami()
    assert e.value.retry_after_ms == 120_000
    assert time.monotonic() - started < 5


def test_server_errors_and_dropped_connections(sbx: Sandbox) -> None:
    seen: List[RetryInfo] = []
    c = client(sbx, sbx.owner, on_retry=seen.append)
    sbx.faults(count=2, status=503)
    c.whoami()
    assert len(seen) == 2
    seen.clear()
    sbx.faults(count=3, status=503)
    with pytest.raises(ServerError) as e:
        c.whoami()
    assert e.value.retries == 2 and len(seen) == 2
    seen.clear()
    sbx.faults(count=1, status=503, should_retry=False)
    with pytest.raises(ServerError):
        c.whoami()
    assert seen == []
    sbx.faults(count=1, drop=True)
    c.whoami()
    assert len(seen) == 1


def test_an_interrupted_create_makes_one_token(sbx: Sandbox) -> None:
    c = client(sbx, sbx.owner)
    sbx.faults(count=1, drop=True, method="POST", path_prefix="/v1/iam/tokens")
    t = c.tokens.create({"name": "once", "projects": ["web"]})
    assert sbx.admin("/_sandbox/faults", method="GET")["plan"] is None
    named = [x for x in c.tokens.list() if x.name == "once"]
    assert [x.id for x in named] == [t.token.id]


def test_client_credentials(sbx: Sandbox) -> None:
    owner = client(sbx, sbx.owner)
    sa = owner.service_accounts.create({"name": "deployer", "project": "web", "role": "member"})
    assert sa.client_secret.reveal() not in repr(sa)
    creds = ClientCredentials("acme", sa.client_id, sa.client_secret.reveal())
    assert sa.client_secret.reveal() not in repr(creds)
    c = Client(base_url=sbx.base, client_credentials=creds, env=False)
    first = c.whoami().token.id
    assert c.whoami().token.id == first  # cached
    sbx.faults(count=5, status=503, path_prefix="/realms/")
    assert c.whoami().token.id == first  # the identity provider down changes nothing
    sbx.faults(count=0)
    sbx.advance(301)
    assert c.whoami().token.id != first  # refreshed after the API said 401
    bad = Client(base_url=sbx.base, client_credentials=ClientCredentials("acme", sa.client_id, "nope"), env=False)
    with pytest.raises(AuthenticationError):
        bad.whoami()


def test_one_refresh_however_many_threads_wait(sbx: Sandbox) -> None:
    owner = client(sbx, sbx.owner)
    sa = owner.service_accounts.create({"name": "many", "project": "web", "role": "member"})
    c = Client(
        base_url=sbx.base,
        client_credentials=ClientCredentials("acme", sa.client_id, sa.client_secret.reveal()),
        env=False,
    )
    ids: List[str] = []
    threads = [threading.Thread(target=lambda: ids.append(c.whoami().token.id)) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    bearers = [t for t in owner.service_accounts.tokens.list(sa.service_account.id)]
    # The API lists API tokens only; the audit log shows one grant.
    grants = [e for e in owner.audit.list() if e.path.startswith("/realms/")]
    assert len(grants) == 1, grants
    assert bearers == []
    # The bearer dies on the API's side: every waiting thread goes again, on one new bearer.
    sbx.advance(301)
    ids.clear()
    threads = [threading.Thread(target=lambda: ids.append(c.whoami().token.id)) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(ids) == 8 and len(set(ids)) == 1


def test_provider_called_each_request_and_bad_checksums(sbx: Sandbox) -> None:
    owner = client(sbx, sbx.owner)
    a = owner.tokens.create({"name": "a", "projects": ["web"]})
    current = [a.secret.reveal()]
    c = Client(base_url=sbx.base, token_provider=lambda: current[0], env=False)
    assert c.whoami().token.name == "a"
    r = c.tokens.rotate(a.token.id)
    current[0] = r.secret.reveal()
    assert c.whoami().token.id == r.token.id
    bad = sbx.owner[:-1] + ("B" if sbx.owner.endswith("A") else "A")
    with pytest.raises(ConfigError) as e:
        Client(base_url=sbx.base, token=bad, env=False)
    assert e.value.code == "bad_token" and bad[9:] not in str(e.value)


def test_environment_and_token_file(sbx: Sandbox, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    home = os.fspath(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setenv("HOME", home)
    monkeypatch.delenv("CD_API_TOKEN", raising=False)
    monkeypatch.setenv("CD_BASE_URL", sbx.base)
    with pytest.raises(ConfigError) as e:
        Client()
    assert e.value.code == "no_credentials"
    path = os.path.join(home, ".config", "cd", "token")
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        f.write(sbx.owner + "\n")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError) as e:
        Client()
    assert e.value.code == "token_file_too_open" and "chmod 600" in str(e.value)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    assert Client().whoami().token.organization == "acme"
    monkeypatch.setenv("CD_REGION", "mars-1")
    with pytest.raises(ConfigError):
        Client()


def test_debug_logs_redact_the_bearer(sbx: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    c = client(sbx, sbx.owner, debug=True)
    with caplog.at_level(logging.DEBUG, logger="clouddigit"):
        sbx.faults(count=1, status=503)
        c.whoami()
    text = caplog.text
    assert "GET " in text and "/v1/iam/whoami" in text and "retry 1" in text
    assert "authorization: [redacted]" in text.lower()
    assert sbx.owner[9:] not in text


def test_service_accounts_tokens_and_keys(sbx: Sandbox) -> None:
    sas = client(sbx, sbx.owner).service_accounts
    sa = sas.create({"name": "ci", "project": "web", "role": "member"})
    sid = sa.service_account.id
    t = sas.tokens.create(sid, {"name": "ci-token", "allowed_ips": "127.0.0.1"})
    with pytest.raises(ValidationError):
        sas.tokens.create(sid, {"name": "x", "permissions": ["iam.service_accounts.delete"]})
    assert len(list(sas.tokens.list(sid))) == 1
    r = sas.tokens.rotate(sid, t.token.id)
    sas.tokens.revoke(sid, r.token.id)
    k = sas.access_keys.create(sid)
    assert k.secret.reveal() not in repr(k)
    assert len(list(sas.access_keys.list(sid))) == 1
    sas.access_keys.delete(sid, k.id)
    assert list(sas.access_keys.list(sid)) == []
    assert sas.update(sid, {"description": "deploys web"}).description == "deploys web"
    assert sas.disable(sid).status == "disabled"
    sas.enable(sid)
    assert any(s.id == sid for s in sas.list(project="web"))
    sas.delete(sid)
    with pytest.raises(NotFoundError):
        sas.get(sid)
    org = sas.create({"name": "auditor", "role": "read_only"})
    assert org.service_account.project is None and org.service_account.level == "organization"
    assert [s.id for s in sas.list_org()] == [org.service_account.id]


def test_revoking_a_members_tokens(sbx: Sandbox) -> None:
    dev = client(sbx, sbx.user_token("u_dev", ["web"]))
    with pytest.raises(PermissionDeniedError):
        dev.members.revoke_tokens("u_dev")
    assert client(sbx, sbx.owner).members.revoke_tokens("u_dev").revoked == 1
    with pytest.raises(AuthenticationError):
        dev.whoami()


def test_async_client(sbx: Sandbox) -> None:
    async def main() -> None:
        async with AsyncClient(base_url=sbx.base, token=sbx.owner, env=False) as c:
            for i in range(3):
                await c.tokens.create({"name": f"a{i}", "projects": ["web"]})
            names = [t.name async for t in c.tokens.list(limit=2)]
            assert len(names) == 4
            sbx.faults(count=2, status=503)
            me, other = await asyncio.gather(c.whoami(), c.whoami())
            assert me.token.id == other.token.id
            assert (await c.can("iam.tokens.list", "web")).allowed

        async def provider() -> str:
            return sbx.owner

        c2 = AsyncClient(base_url=sbx.base, token_provider=provider, env=False)
        assert (await c2.whoami()).token.organization == "acme"
        sa = await c2.service_accounts.create({"name": "async-sa", "project": "web", "role": "member"})
        c3 = AsyncClient(
            base_url=sbx.base,
            client_credentials=ClientCredentials("acme", sa.client_id, sa.client_secret.reveal()),
            env=False,
        )
        results = await asyncio.gather(*(c3.whoami() for _ in range(6)))
        assert len({r.token.id for r in results}) == 1
        with pytest.raises(NotFoundError):
            await c2.tokens.revoke("tok_nope")

    asyncio.run(main())


def test_package_exports() -> None:
    assert issubclass(clouddigit.ValidationError, ValueError)
    assert issubclass(clouddigit.NotFoundError, LookupError)
    assert issubclass(clouddigit.TimeoutError, TimeoutError)
    assert issubclass(clouddigit.TransportError, ConnectionError)


class RecordingTransport:
    """A user-supplied transport (the documented protocol), wrapping the default one."""

    def __init__(self) -> None:
        self.inner = clouddigit.client.UrllibTransport()
        self.sent: List[clouddigit.HttpRequest] = []

    def send(self, request: clouddigit.HttpRequest) -> clouddigit.HttpResponse:
        self.sent.append(request)
        return self.inner.send(request)


def test_a_custom_transport_sees_the_headers_but_repr_hides_the_bearer(sbx: Sandbox) -> None:
    t = RecordingTransport()
    assert isinstance(t, clouddigit.Transport)
    c = Client(base_url=sbx.base, token=sbx.owner, env=False, transport=t)
    c.tokens.create({"name": "via-custom", "projects": ["web"]})
    headers = [dict(r.headers) for r in t.sent]
    assert all(h["User-Agent"].startswith("clouddigit-sdk/") and "python" in h["User-Agent"] for h in headers)
    create = [r for r in t.sent if r.method == "POST"]
    assert len(create) == 1 and dict(create[0].headers).get("Idempotency-Key")
    assert all(sbx.owner[9:] not in repr(r) for r in t.sent)


def test_a_silent_server_times_out(tmp_path: object) -> None:
    import socket as _socket

    srv = _socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    token = "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA"
    try:
        c = Client(base_url=f"http://127.0.0.1:{port}/v1", token=token, env=False, timeout_ms=300, max_retries=1)
        with pytest.raises(clouddigit.TimeoutError) as e:
            c.whoami()
        assert e.value.retries == 1 and isinstance(e.value, TimeoutError)
    finally:
        srv.close()
    # Nothing listening: a transport error, retried, never a secret in it.
    c = Client(base_url=f"http://127.0.0.1:{port}/v1", token=token, env=False, max_retries=0)
    with pytest.raises(clouddigit.TransportError) as te:
        c.whoami()
    assert token[9:] not in str(te.value)
