"""The SDK client: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio).

Everything a call decides (the request, retries and waits, the response's model, the
typed error, pagination, local validation, ``can``) is the Rust core's, the same code
the npm package and the Rust SDK run. This module only moves bytes, through a
:class:`Transport`: the default uses the standard library (``urllib``, with proxies
from the environment); any object with a ``send(request) -> HttpResponse`` method
works, e.g. one wrapping ``httpx`` or ``requests``.

A transport raises ``TimeoutError`` when an attempt times out and ``ConnectionError``
(or any ``OSError``) when there is no response; HTTP error statuses are responses.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import http.client
import inspect
import logging
import os
import random
import socket
import stat
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generator,
    Iterator,
    List,
    Optional,
    Protocol,
    Tuple,
    Type,
    TypeVar,
    Union,
    runtime_checkable,
)

from . import _native
from .errors import ApiError, ConfigError, from_core, from_native
from .models import (
    AccessKey,
    ApiToken,
    AuditEvent,
    CreatedAccessKey,
    CreatedServiceAccount,
    CreatedToken,
    RevokedCount,
    Rotation,
    ServiceAccount,
    Whoami,
    build,
)

log = logging.getLogger("clouddigit")
T = TypeVar("T")
JSON = Any


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: List[Tuple[str, str]]
    body: Optional[bytes]
    timeout: float
    """Seconds, for this attempt."""

    def __repr__(self) -> str:
        # The Authorization header holds a secret: never shown.
        return f"HttpRequest({self.method} {self.url})"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: List[Tuple[str, str]]
    body: str


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns the response, whatever its status."""

    def send(self, request: HttpRequest) -> HttpResponse: ...


@runtime_checkable
class AsyncTransport(Protocol):
    async def send(self, request: HttpRequest) -> HttpResponse: ...


@dataclass(frozen=True)
class RetryInfo:
    """What the retry hook is told before each retry."""

    retry: int
    wait_ms: int
    cause: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect with the Authorization header to any origin, and
    from https down to http: redirects are the core's to decide instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibTransport:
    """The standard library's HTTP client; respects ``HTTPS_PROXY``/``NO_PROXY``.
    Redirects follow the core's rule, as in every SDK: the token goes only back to the
    origin it was meant for, never from https down to http, and plain http only to this
    machine unless ``allow_insecure_http``."""

    def __init__(self, allow_insecure_http: bool = False) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._allow_insecure_http = allow_insecure_http

    def send(self, request: HttpRequest) -> HttpResponse:
        hops = 0
        while True:
            resp = self._send_once(request)
            raw = {
                "method": request.method,
                "url": request.url,
                "headers": [list(h) for h in request.headers],
                "body": request.body.decode("utf-8", "replace") if request.body is not None else None,
                "timeout_ms": int(request.timeout * 1000),
            }
            step = _native.after_response(raw, resp.status, list(resp.headers), hops, self._allow_insecure_http)
            if step["action"] == "answer":
                return resp
            if step["action"] == "refuse":
                raise ConnectionError(step["message"])
            nxt = step["request"]
            request = HttpRequest(
                nxt["method"],
                nxt["url"],
                [(k, v) for k, v in nxt["headers"]],
                nxt["body"].encode() if nxt.get("body") is not None else None,
                request.timeout,
            )
            hops += 1

    def _send_once(self, request: HttpRequest) -> HttpResponse:
        req = urllib.request.Request(
            request.url,
            data=request.body,
            method=request.method,
            headers=dict(request.headers),
        )
        try:
            with self._opener.open(req, timeout=request.timeout) as resp:
                return HttpResponse(
                    resp.status, list(resp.headers.items()), _read(resp)
                )
        except urllib.error.HTTPError as e:
            with e:
                return HttpResponse(e.code, list(e.headers.items()), _read(e))
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                raise TimeoutError("timed out") from None
            raise ConnectionError(str(e.reason)) from None


def _read(resp: Any) -> str:
    try:
        data: bytes = resp.read()
    except (http.client.IncompleteRead, http.client.HTTPException) as e:
        raise ConnectionError(f"the response was cut off: {type(e).__name__}") from None
    except (socket.timeout, TimeoutError):
        raise TimeoutError("timed out reading the response") from None
    return data.decode("utf-8", "replace")


class ThreadTransport:
    """Runs a blocking transport in a worker thread, for :class:`AsyncClient`."""

    def __init__(self, inner: Optional[Transport] = None, allow_insecure_http: bool = False) -> None:
        self._inner: Transport = inner or UrllibTransport(allow_insecure_http)

    async def send(self, request: HttpRequest) -> HttpResponse:
        return await asyncio.to_thread(self._inner.send, request)


def _transport_kind(e: BaseException) -> str:
    if isinstance(e, TimeoutError):
        return "timeout"
    if isinstance(e, ConnectionRefusedError):
        return "connect"
    return "other"


# ---- configuration and credentials -------------------------------------------------

TokenProvider = Callable[[], Union[str, Awaitable[str]]]


@dataclass(frozen=True)
class ClientCredentials:
    """A service account's OAuth 2.0 client credentials."""

    organization: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return (
            f"ClientCredentials(organization={self.organization!r}, "
            f"client_id={self.client_id!r}, client_secret='{_native.redacted(self.client_secret)}')"
        )


def _native_call(f: Callable[..., T], *args: Any) -> T:
    try:
        return f(*args)
    except _native.ClientError as e:
        raise from_native(e) from None


def _token_file() -> Tuple[Optional[str], Optional[str], Optional[int]]:
    path = os.path.join(os.path.expanduser("~"), ".config", "cd", "token")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        with open(path, encoding="utf-8") as f:
            return path, f.read(), mode
    except OSError:
        return None, None, None


class _Base:
    """What the two clients share: configuration, credentials and the call steps."""

    def __init__(
        self,
        *,
        host: str,
        token: Optional[str],
        token_provider: Optional[TokenProvider],
        client_credentials: Optional[ClientCredentials],
        base_url: Optional[str],
        region: Optional[str],
        ingress: Optional[str],
        max_retries: int,
        timeout_ms: int,
        max_retry_wait_ms: int,
        client_rate_limit: bool,
        debug: Optional[bool],
        on_retry: Optional[Callable[[RetryInfo], None]],
        env: bool,
        allow_insecure_http: Optional[bool] = None,
    ) -> None:
        config: Dict[str, Any] = {
            "max_retries": max_retries,
            "timeout_ms": timeout_ms,
            "max_retry_wait_ms": max_retry_wait_ms,
            "client_rate_limit": client_rate_limit,
        }
        if region is not None:
            config["region"] = region
        if ingress is not None:
            config["ingress"] = ingress
        if env:
            config = _native_call(
                _native.ClientCore.config_with_env, config, dict(os.environ)
            )
        # Explicit arguments win over the environment.
        if base_url is not None:
            config["base_url"] = base_url
        if debug is not None:
            config["debug"] = debug
        if allow_insecure_http is not None:
            config["allow_insecure_http"] = allow_insecure_http
        self._core = _native_call(_native.ClientCore, config, host)
        self._debug = bool(config.get("debug"))
        if self._debug and not log.handlers:
            log.addHandler(logging.StreamHandler())
            log.setLevel(logging.DEBUG)
        self._on_retry = on_retry
        self._provider = token_provider
        self._cc = client_credentials
        self._bearer_cache = _native.BearerCache() if client_credentials else None
        self._token: Optional[str] = None
        if token is not None or (token_provider is None and client_credentials is None):
            env_token = os.environ.get("CD_API_TOKEN") if env and token is None else None
            path, contents, mode = (
                _token_file() if env and token is None and not env_token else (None, None, None)
            )
            self._token = _native_call(
                _native.resolve_token,
                token,
                env_token,
                path,
                contents,
                mode,
                "~/.config/cd/token",
            )
        self._whoami: Optional[Whoami] = None
        self._started = time.monotonic()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(user_agent={self._core.user_agent!r})"

    def _now_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    def _check_provided(self, token: str) -> str:
        return _native_call(
            _native.resolve_token, token, None, None, None, None, "token_provider"
        )

    def _steps(
        self, op: Dict[str, Any]
    ) -> Generator[Tuple[str, Any], Any, Tuple[JSON, Optional[Dict[str, Any]]]]:
        """One call as steps the driver performs: ``("bearer", None)`` → a bearer,
        ``("send", HttpRequest)`` → an HttpResponse (or a transport exception thrown
        in), ``("sleep", seconds)`` → None. Returns the value and the next page's
        operation."""
        for attempt_round in (0, 1):
            call = _native_call(self._core.start, op, str(uuid.uuid4()))
            wait = self._core.throttle_ms(self._now_ms())
            if wait:
                yield ("sleep", wait / 1000)
            while True:
                bearer = yield ("bearer", None)
                raw = call.request(bearer)
                if self._debug:
                    log.debug(call.log_line())
                req = HttpRequest(
                    raw["method"],
                    raw["url"],
                    [(k, v) for k, v in raw["headers"]],
                    raw["body"].encode() if raw.get("body") is not None else None,
                    raw["timeout_ms"] / 1000,
                )
                try:
                    resp: HttpResponse = yield ("send", req)
                    step = call.on_response(
                        resp.status, list(resp.headers), resp.body, random.random()
                    )
                except (OSError, TimeoutError) as e:
                    step = call.on_transport_error(
                        _transport_kind(e), str(e), random.random()
                    )
                if step["action"] == "done":
                    value = step["value"]
                    return value, call.next_page(value) if isinstance(value, dict) else None
                if step["action"] == "wait":
                    info = RetryInfo(step["retry"], step["wait_ms"], step["cause"])
                    if self._debug:
                        log.debug(
                            "clouddigit: retry %d in %d ms (%s)",
                            info.retry,
                            info.wait_ms,
                            info.cause,
                        )
                    if self._on_retry is not None:
                        self._on_retry(info)
                    yield ("sleep", info.wait_ms / 1000)
                    continue
                error = step["error"]
                if (
                    attempt_round == 0
                    and self._bearer_cache is not None
                    and self._bearer_cache.on_rejected(error, bearer)
                ):
                    break  # a fresh bearer, and the call once more
                raise from_core(error)
        raise ConfigError("unreachable")

    def _refresh_steps(self) -> Generator[Tuple[str, Any], Any, str]:
        assert self._cc is not None and self._bearer_cache is not None
        cache = self._bearer_cache
        kind, value = cache.need(self._now_ms())
        if kind == "use" and value is not None:
            return value
        raw = _native_call(
            self._core.token_request,
            self._cc.organization,
            self._cc.client_id,
            self._cc.client_secret,
        )
        req = HttpRequest(
            raw["method"],
            raw["url"],
            [(k, v) for k, v in raw["headers"]],
            raw["body"].encode(),
            raw["timeout_ms"] / 1000,
        )
        try:
            resp: HttpResponse = yield ("send", req)
        except (OSError, TimeoutError) as e:
            return _native_call(
                cache.on_response,
                self._now_ms(),
                None,
                None,
                None,
                _transport_kind(e),
                str(e),
            )
        return _native_call(
            cache.on_response, self._now_ms(), resp.status, list(resp.headers), resp.body
        )

    def _local_now(self) -> str:
        return _dt.datetime.now(_dt.timezone.utc).isoformat()

    def _can(self, whoami: Whoami, action: str, project: Optional[str]) -> Any:
        return _native_call(_native.can, whoami.raw, action, project, self._local_now())


# ---- the blocking client -----------------------------------------------------------


class Client(_Base):
    """The blocking client.

    Credentials, first found wins: ``token``; ``token_provider`` (called before every
    request); ``client_credentials``; ``CD_API_TOKEN``; ``~/.config/cd/token`` (refused
    when group or others can read it). ``CD_BASE_URL``, ``CD_REGION`` and
    ``CD_LOG=debug`` apply unless ``env=False``.
    """

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        token_provider: Optional[Callable[[], str]] = None,
        client_credentials: Optional[ClientCredentials] = None,
        base_url: Optional[str] = None,
        region: Optional[str] = None,
        ingress: Optional[str] = None,
        max_retries: int = 2,
        timeout_ms: int = 60_000,
        max_retry_wait_ms: int = 60_000,
        client_rate_limit: bool = False,
        debug: Optional[bool] = None,
        on_retry: Optional[Callable[[RetryInfo], None]] = None,
        transport: Optional[Transport] = None,
        env: bool = True,
        allow_insecure_http: Optional[bool] = None,
    ) -> None:
        super().__init__(
            host="python",
            token=token,
            token_provider=token_provider,
            client_credentials=client_credentials,
            base_url=base_url,
            region=region,
            ingress=ingress,
            max_retries=max_retries,
            timeout_ms=timeout_ms,
            max_retry_wait_ms=max_retry_wait_ms,
            client_rate_limit=client_rate_limit,
            debug=debug,
            on_retry=on_retry,
            env=env,
            allow_insecure_http=allow_insecure_http,
        )
        self._transport: Transport = transport or UrllibTransport(self._core.allow_insecure_http)
        self._lock = threading.Lock()
        self.tokens = Tokens(self)
        self.service_accounts = ServiceAccounts(self)
        self.audit = Audit(self)
        self.members = Members(self)

    def _drive(self, gen: Generator[Tuple[str, Any], Any, T]) -> T:
        try:
            action = next(gen)
            while True:
                kind, arg = action
                if kind == "bearer":
                    value: Any = self._bearer()
                elif kind == "sleep":
                    time.sleep(arg)
                    value = None
                else:
                    try:
                        value = self._transport.send(arg)
                    except (OSError, TimeoutError) as e:
                        action = gen.throw(e)
                        continue
                action = gen.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _bearer(self) -> str:
        if self._token is not None:
            return self._token
        if self._provider is not None:
            t = self._provider()
            if not isinstance(t, str):
                raise ConfigError("token_provider must return a str (use AsyncClient for async providers)")
            return self._check_provided(t)
        with self._lock:  # one refresh at a time; waiters use its bearer
            return self._drive(self._refresh_steps())

    def _run(self, op: Dict[str, Any]) -> Tuple[JSON, Optional[Dict[str, Any]]]:
        return self._drive(self._steps(op))

    def _call(self, model: Type[T], op: Dict[str, Any]) -> T:
        return build(model, self._run(op)[0])

    def _list(self, model: Type[T], op: Dict[str, Any]) -> Iterator[T]:
        next_op: Optional[Dict[str, Any]] = op
        while next_op is not None:
            page, next_op = self._run(next_op)
            for item in page["items"]:
                yield build(model, item)

    def whoami(self) -> Whoami:
        """The calling token and its owner as they are now; kept for :meth:`can`."""
        self._whoami = self._call(Whoami, {"op": "whoami"})
        return self._whoami

    def can(self, action: str, project: Optional[str] = None) -> Any:
        """Whether this client's token may do ``action`` in ``project`` now, decided
        locally on the last :meth:`whoami` (fetched once if there is none)."""
        return self._can(self._whoami or self.whoami(), action, project)

    def close(self) -> None:
        """Nothing to release with the default transport; here for ``with``."""

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Tokens:
    """Personal API tokens of the caller."""

    def __init__(self, c: Client) -> None:
        self._c = c

    def list(self, *, page_size: Optional[int] = None) -> Iterator[ApiToken]:
        return self._c._list(ApiToken, {"op": "list_tokens", "limit": page_size})

    def validate(self, draft: Dict[str, Any]) -> Any:
        """The console's rules on a draft (field errors, warnings, preview)."""
        w = self._c.whoami()
        existing = [t.raw for t in self.list()]
        return _native_call(
            _native.validate_draft, draft, w.owner, w.raw, existing, self._c._local_now()
        )

    def create(self, draft: Dict[str, Any]) -> CreatedToken:
        """Validated locally first: a bad draft raises ``ValidationError`` with every
        field error before any create is sent."""
        w = self._c.whoami()
        body = _native_call(_native.prepare_create, draft, w.owner, w.raw, self._c._local_now())
        return self._c._call(CreatedToken, {"op": "create_token", "body": body})

    def get(self, id: str) -> ApiToken:
        return self._c._call(ApiToken, {"op": "get_token", "id": id})

    def rotate(self, id: str) -> Rotation:
        return self._c._call(Rotation, {"op": "rotate_token", "id": id})

    def revoke(self, id: str) -> ApiToken:
        return self._c._call(ApiToken, {"op": "revoke_token", "id": id})


class Members:
    def __init__(self, c: Client) -> None:
        self._c = c

    def revoke_tokens(self, member_id: str) -> RevokedCount:
        """Revokes every personal token of a member (organization admins and owners)."""
        return self._c._call(RevokedCount, {"op": "revoke_member_tokens", "member_id": member_id})


class ServiceAccounts:
    def __init__(self, c: Client) -> None:
        self._c = c

    def list(self, project: Optional[str] = None) -> Iterator[ServiceAccount]:
        return self._c._list(ServiceAccount, {"op": "list_service_accounts", "project": project})

    def list_org(self) -> Iterator[ServiceAccount]:
        """Organization-level accounts (organization admins and owners)."""
        return self._c._list(ServiceAccount, {"op": "list_org_service_accounts"})

    def create(self, body: Dict[str, Any]) -> CreatedServiceAccount:
        """``{name, project, role, description, tag_selector}``; without ``project``, an
        organization-level account."""
        return self._c._call(CreatedServiceAccount, {"op": "create_service_account", "body": body})

    def get(self, id: str) -> ServiceAccount:
        return self._c._call(ServiceAccount, {"op": "get_service_account", "id": id})

    def update(self, id: str, body: Dict[str, Any]) -> ServiceAccount:
        return self._c._call(ServiceAccount, {"op": "update_service_account", "id": id, "body": body})

    def disable(self, id: str) -> ServiceAccount:
        return self._c._call(ServiceAccount, {"op": "disable_service_account", "id": id})

    def enable(self, id: str) -> ServiceAccount:
        return self._c._call(ServiceAccount, {"op": "enable_service_account", "id": id})

    def delete(self, id: str) -> None:
        self._c._run({"op": "delete_service_account", "id": id})

    def list_tokens(self, id: str) -> Iterator[ApiToken]:
        return self._c._list(ApiToken, {"op": "list_service_account_tokens", "id": id})

    def create_token(self, id: str, draft: Dict[str, Any]) -> CreatedToken:
        """Validated locally against the account as it is now, then created."""
        w = self._c.whoami()
        sa = self.get(id)
        owner = _native_call(_native.service_account_owner, sa.raw)
        body = _native_call(_native.prepare_create, draft, owner, w.raw, self._c._local_now())
        return self._c._call(
            CreatedToken, {"op": "create_service_account_token", "id": id, "body": body}
        )

    def rotate_token(self, id: str, token_id: str) -> Rotation:
        return self._c._call(
            Rotation, {"op": "rotate_service_account_token", "id": id, "token_id": token_id}
        )

    def revoke_token(self, id: str, token_id: str) -> ApiToken:
        return self._c._call(
            ApiToken, {"op": "revoke_service_account_token", "id": id, "token_id": token_id}
        )

    def list_access_keys(self, id: str) -> Iterator[AccessKey]:
        return self._c._list(AccessKey, {"op": "list_access_keys", "id": id})

    def create_access_key(self, id: str) -> CreatedAccessKey:
        return self._c._call(CreatedAccessKey, {"op": "create_access_key", "id": id})

    def delete_access_key(self, id: str, key_id: str) -> None:
        self._c._run({"op": "delete_access_key", "id": id, "key_id": key_id})


class Audit:
    def __init__(self, c: Client) -> None:
        self._c = c

    def list(self, *, page_size: Optional[int] = None, **filter: Any) -> Iterator[AuditEvent]:
        """Filters: ``actor``, ``token_prefix``, ``from_`` / ``to`` (RFC 3339), ``status``."""
        return self._c._list(
            AuditEvent, {"op": "list_audit_events", "filter": _filter(filter), "limit": page_size}
        )

    def export(self, **filter: Any) -> str:
        """Every matching event as JSON lines."""
        value, _ = self._c._run({"op": "export_audit_events", "filter": _filter(filter)})
        return str(value)


def _filter(f: Dict[str, Any]) -> Dict[str, Any]:
    out = {("from" if k == "from_" else k): v for k, v in f.items() if v is not None}
    return out


# ---- the asyncio client ------------------------------------------------------------


class AsyncClient(_Base):
    """The asyncio client: the same surface as :class:`Client`, awaitable, with async
    iterators for lists. The default transport runs urllib in a worker thread; pass any
    object with ``async def send(request)`` (e.g. around ``httpx.AsyncClient``)."""

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        token_provider: Optional[TokenProvider] = None,
        client_credentials: Optional[ClientCredentials] = None,
        base_url: Optional[str] = None,
        region: Optional[str] = None,
        ingress: Optional[str] = None,
        max_retries: int = 2,
        timeout_ms: int = 60_000,
        max_retry_wait_ms: int = 60_000,
        client_rate_limit: bool = False,
        debug: Optional[bool] = None,
        on_retry: Optional[Callable[[RetryInfo], None]] = None,
        transport: Optional[AsyncTransport] = None,
        env: bool = True,
        allow_insecure_http: Optional[bool] = None,
    ) -> None:
        super().__init__(
            host="python-asyncio",
            token=token,
            token_provider=token_provider,
            client_credentials=client_credentials,
            base_url=base_url,
            region=region,
            ingress=ingress,
            max_retries=max_retries,
            timeout_ms=timeout_ms,
            max_retry_wait_ms=max_retry_wait_ms,
            client_rate_limit=client_rate_limit,
            debug=debug,
            on_retry=on_retry,
            env=env,
            allow_insecure_http=allow_insecure_http,
        )
        self._transport: AsyncTransport = transport or ThreadTransport(
            allow_insecure_http=self._core.allow_insecure_http
        )
        self._lock: Optional[asyncio.Lock] = None
        self.tokens = AsyncTokens(self)
        self.service_accounts = AsyncServiceAccounts(self)
        self.audit = AsyncAudit(self)
        self.members = AsyncMembers(self)

    async def _drive(self, gen: Generator[Tuple[str, Any], Any, T]) -> T:
        try:
            action = next(gen)
            while True:
                kind, arg = action
                if kind == "bearer":
                    value: Any = await self._bearer()
                elif kind == "sleep":
                    await asyncio.sleep(arg)
                    value = None
                else:
                    try:
                        value = await self._transport.send(arg)
                    except (OSError, TimeoutError) as e:
                        action = gen.throw(e)
                        continue
                action = gen.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def _bearer(self) -> str:
        if self._token is not None:
            return self._token
        if self._provider is not None:
            t = self._provider()
            if inspect.isawaitable(t):
                t = await t
            if not isinstance(t, str):
                raise ConfigError("token_provider must return a str")
            return self._check_provided(t)
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one refresh at a time; waiters use its bearer
            return await self._drive(self._refresh_steps())

    async def _run(self, op: Dict[str, Any]) -> Tuple[JSON, Optional[Dict[str, Any]]]:
        return await self._drive(self._steps(op))

    async def _call(self, model: Type[T], op: Dict[str, Any]) -> T:
        return build(model, (await self._run(op))[0])

    async def _list(self, model: Type[T], op: Dict[str, Any]) -> AsyncIterator[T]:
        next_op: Optional[Dict[str, Any]] = op
        while next_op is not None:
            page, next_op = await self._run(next_op)
            for item in page["items"]:
                yield build(model, item)

    async def whoami(self) -> Whoami:
        self._whoami = await self._call(Whoami, {"op": "whoami"})
        return self._whoami

    async def can(self, action: str, project: Optional[str] = None) -> Any:
        return self._can(self._whoami or await self.whoami(), action, project)

    async def aclose(self) -> None:
        """Nothing to release with the default transport; here for ``async with``."""

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncTokens:
    def __init__(self, c: AsyncClient) -> None:
        self._c = c

    def list(self, *, page_size: Optional[int] = None) -> AsyncIterator[ApiToken]:
        return self._c._list(ApiToken, {"op": "list_tokens", "limit": page_size})

    async def validate(self, draft: Dict[str, Any]) -> Any:
        w = await self._c.whoami()
        existing = [t.raw async for t in self.list()]
        return _native_call(
            _native.validate_draft, draft, w.owner, w.raw, existing, self._c._local_now()
        )

    async def create(self, draft: Dict[str, Any]) -> CreatedToken:
        w = await self._c.whoami()
        body = _native_call(_native.prepare_create, draft, w.owner, w.raw, self._c._local_now())
        return await self._c._call(CreatedToken, {"op": "create_token", "body": body})

    async def get(self, id: str) -> ApiToken:
        return await self._c._call(ApiToken, {"op": "get_token", "id": id})

    async def rotate(self, id: str) -> Rotation:
        return await self._c._call(Rotation, {"op": "rotate_token", "id": id})

    async def revoke(self, id: str) -> ApiToken:
        return await self._c._call(ApiToken, {"op": "revoke_token", "id": id})


class AsyncMembers:
    def __init__(self, c: AsyncClient) -> None:
        self._c = c

    async def revoke_tokens(self, member_id: str) -> RevokedCount:
        return await self._c._call(
            RevokedCount, {"op": "revoke_member_tokens", "member_id": member_id}
        )


class AsyncServiceAccounts:
    def __init__(self, c: AsyncClient) -> None:
        self._c = c

    def list(self, project: Optional[str] = None) -> AsyncIterator[ServiceAccount]:
        return self._c._list(ServiceAccount, {"op": "list_service_accounts", "project": project})

    def list_org(self) -> AsyncIterator[ServiceAccount]:
        return self._c._list(ServiceAccount, {"op": "list_org_service_accounts"})

    async def create(self, body: Dict[str, Any]) -> CreatedServiceAccount:
        return await self._c._call(
            CreatedServiceAccount, {"op": "create_service_account", "body": body}
        )

    async def get(self, id: str) -> ServiceAccount:
        return await self._c._call(ServiceAccount, {"op": "get_service_account", "id": id})

    async def update(self, id: str, body: Dict[str, Any]) -> ServiceAccount:
        return await self._c._call(
            ServiceAccount, {"op": "update_service_account", "id": id, "body": body}
        )

    async def disable(self, id: str) -> ServiceAccount:
        return await self._c._call(ServiceAccount, {"op": "disable_service_account", "id": id})

    async def enable(self, id: str) -> ServiceAccount:
        return await self._c._call(ServiceAccount, {"op": "enable_service_account", "id": id})

    async def delete(self, id: str) -> None:
        await self._c._run({"op": "delete_service_account", "id": id})

    def list_tokens(self, id: str) -> AsyncIterator[ApiToken]:
        return self._c._list(ApiToken, {"op": "list_service_account_tokens", "id": id})

    async def create_token(self, id: str, draft: Dict[str, Any]) -> CreatedToken:
        w = await self._c.whoami()
        sa = await self.get(id)
        owner = _native_call(_native.service_account_owner, sa.raw)
        body = _native_call(_native.prepare_create, draft, owner, w.raw, self._c._local_now())
        return await self._c._call(
            CreatedToken, {"op": "create_service_account_token", "id": id, "body": body}
        )

    async def rotate_token(self, id: str, token_id: str) -> Rotation:
        return await self._c._call(
            Rotation, {"op": "rotate_service_account_token", "id": id, "token_id": token_id}
        )

    async def revoke_token(self, id: str, token_id: str) -> ApiToken:
        return await self._c._call(
            ApiToken, {"op": "revoke_service_account_token", "id": id, "token_id": token_id}
        )

    def list_access_keys(self, id: str) -> AsyncIterator[AccessKey]:
        return self._c._list(AccessKey, {"op": "list_access_keys", "id": id})

    async def create_access_key(self, id: str) -> CreatedAccessKey:
        return await self._c._call(CreatedAccessKey, {"op": "create_access_key", "id": id})

    async def delete_access_key(self, id: str, key_id: str) -> None:
        await self._c._run({"op": "delete_access_key", "id": id, "key_id": key_id})


class AsyncAudit:
    def __init__(self, c: AsyncClient) -> None:
        self._c = c

    def list(self, *, page_size: Optional[int] = None, **filter: Any) -> AsyncIterator[AuditEvent]:
        return self._c._list(
            AuditEvent, {"op": "list_audit_events", "filter": _filter(filter), "limit": page_size}
        )

    async def export(self, **filter: Any) -> str:
        value, _ = await self._c._run({"op": "export_audit_events", "filter": _filter(filter)})
        return str(value)


__all__ = [
    "Client",
    "AsyncClient",
    "ClientCredentials",
    "HttpRequest",
    "HttpResponse",
    "Transport",
    "AsyncTransport",
    "UrllibTransport",
    "ThreadTransport",
    "RetryInfo",
    "ApiError",
]
