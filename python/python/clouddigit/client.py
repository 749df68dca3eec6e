"""The SDK client: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio).

Everything the client decides (which credential wins, the request, retries and waits,
the bearer refresh, the response's model, the typed error, pagination, local
validation, ``can``) is the Rust session's (``clouddigit-session``), the same code the
npm package and the Rust SDK run. This module is one driver loop over it, for
:class:`Client` and :class:`AsyncClient` alike, and moves bytes through a
:class:`Transport`: the default uses the standard library (``urllib``, with proxies
from the environment); any object with a ``send(request) -> HttpResponse`` method
works, e.g. one wrapping ``httpx`` or ``requests``.

A transport raises ``TimeoutError`` when an attempt times out and ``ConnectionError``
(or any ``OSError``) when there is no response; HTTP error statuses are responses.
"""

from __future__ import annotations

import asyncio
import http.client
import inspect
import logging
import os
import socket
import stat
import threading
import time
import urllib.error
import urllib.request
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

from . import _namespaces as _ns
from . import _native
from .errors import ApiError, ConfigError, from_core, from_native
from .models import Whoami, build

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


# ---- configuration and credentials -------------------------------------------------

TokenProvider = Callable[[], Union[str, Awaitable[str]]]
OidcTokenProvider = Callable[[Optional[str]], Union[str, Awaitable[str]]]
"""Given the audience (``oidc_audience``, or ``None``), returns the CI platform's
identity token (a JWT); called for every exchange."""


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


def _private_file(path: str) -> Optional[Dict[str, Any]]:
    """A file as the session takes it (its permission bits too: it refuses a token file
    others can read, a config file others can write), or None when it is not there."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        with open(path, encoding="utf-8") as f:
            return {"path": path, "contents": f.read(), "mode": mode}
    except OSError:
        return None


def _environment() -> Dict[str, Any]:
    """What the session may read of this process: the ``CD_*`` variables it names,
    ``~/.config/cd/token`` and the profiles' settings, ``~/.config/cd/config.json``."""
    vars = {k: os.environ[k] for k in _native.Session.env_vars() if k in os.environ}
    cd = os.path.join(os.path.expanduser("~"), ".config", "cd")
    return {
        "vars": vars,
        "token_file": _private_file(os.path.join(cd, "token")),
        "config_file": _private_file(os.path.join(cd, "config.json")),
    }


class _SystemClock:
    """The clocks, randomness and environment of this process (a test replaces it)."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def now_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    def now_unix_ms(self) -> int:
        return int(time.time() * 1000)

    def seed(self) -> int:
        return int.from_bytes(os.urandom(8), "little")

    def environment(self) -> Dict[str, Any]:
        return _environment()

    def read_file(self, path: str) -> str:
        """An OIDC token file, read again for every exchange (a rotated token is seen)."""
        with open(path, encoding="utf-8") as f:
            return f.read()

    def read_env(self, name: str) -> Optional[str]:
        return os.environ.get(name)

    def keychain(self, profile: str) -> Dict[str, Any]:
        """The profile's entry in the OS keychain, read only when the session's
        ``keychain_profile`` says no earlier credential wins."""
        secret, error = _native.keychain_get(profile)
        return {"profile": profile, "secret": secret, "error": error}


def _request(raw: Dict[str, Any]) -> HttpRequest:
    return HttpRequest(
        raw["method"],
        raw["url"],
        [(k, v) for k, v in raw["headers"]],
        raw["body"].encode() if raw.get("body") is not None else None,
        raw["timeout_ms"] / 1000,
    )


def _response(resp: HttpResponse) -> Dict[str, Any]:
    return {
        "input": "response",
        "response": {"status": resp.status, "headers": [list(h) for h in resp.headers], "body": resp.body},
    }


def _failure(e: BaseException) -> Dict[str, Any]:
    if isinstance(e, TimeoutError):
        error: Dict[str, Any] = {"kind": "timeout"}
    elif isinstance(e, ConnectionRefusedError):
        error = {"kind": "connect", "message": str(e)}
    else:
        error = {"kind": "other", "message": str(e)}
    return {"input": "transport_error", "error": error}


_RESUME: Dict[str, Any] = {"input": "resume"}


class _Base:
    """What the two clients share: the session and the effects that need no I/O."""

    def __init__(
        self,
        *,
        host: str,
        token: Optional[str],
        token_provider: Optional[TokenProvider],
        client_credentials: Optional[ClientCredentials],
        service_account: Optional[str],
        organization: Optional[str],
        oidc_audience: Optional[str],
        oidc_token_file: Optional[str],
        oidc_token_env: Optional[str],
        oidc_token_provider: Optional[OidcTokenProvider],
        base_url: Optional[str],
        region: Optional[str],
        ingress: Optional[str],
        max_retries: Optional[int],
        timeout_ms: Optional[int],
        max_retry_wait_ms: Optional[int],
        client_rate_limit: Optional[bool],
        debug: Optional[bool],
        on_retry: Optional[Callable[[RetryInfo], None]],
        env: bool,
        allow_insecure_http: Optional[bool],
        clock: Any,
        profile: Optional[str] = None,
    ) -> None:
        options: Dict[str, Any] = {
            k: v
            for k, v in {
                "token": token,
                "service_account": service_account,
                "organization": organization,
                "oidc_audience": oidc_audience,
                "oidc_token_file": oidc_token_file,
                "oidc_token_env": oidc_token_env,
                "base_url": base_url,
                "region": region,
                "ingress": ingress,
                "max_retries": max_retries,
                "timeout_ms": timeout_ms,
                "max_retry_wait_ms": max_retry_wait_ms,
                "client_rate_limit": client_rate_limit,
                "debug": debug,
                "allow_insecure_http": allow_insecure_http,
                "profile": profile,
            }.items()
            if v is not None
        }
        options["token_provider"] = token_provider is not None
        options["oidc_token_provider"] = oidc_token_provider is not None
        options["on_retry"] = on_retry is not None
        if client_credentials is not None:
            options["client_credentials"] = {
                "organization": client_credentials.organization,
                "client_id": client_credentials.client_id,
                "client_secret": client_credentials.client_secret,
            }
        self._clock = clock or _SystemClock()
        # A replayed clock sleeps by moving on (tests); the system's sleeps for real.
        self._sleep: Optional[Callable[[int], None]] = getattr(clock, "sleep", None)
        environment = self._clock.environment() if env else None
        read_keychain = getattr(self._clock, "keychain", None)
        if environment is not None and read_keychain is not None:
            wanted = _native_call(_native.Session.keychain_profile, options, environment)
            if wanted is not None:
                environment["keychain"] = read_keychain(wanted)
        self._session = _native_call(_native.Session, options, environment, host, self._clock.seed())
        if environment is not None:
            # The token read from the keychain or the file does not outlive the session
            # in this frame's locals (error reporters capture them).
            environment.pop("keychain", None)
            environment.pop("token_file", None)
        self._provider = token_provider
        self._oidc_provider = oidc_token_provider
        self._on_retry = on_retry
        if debug or (debug is None and env and os.environ.get("CD_LOG", "").lower() == "debug"):
            if not log.handlers:
                log.addHandler(logging.StreamHandler())
                log.setLevel(logging.DEBUG)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(user_agent={self._session.user_agent!r})"

    def _poll(self, task: Any, inp: Dict[str, Any]) -> Dict[str, Any]:
        effect: Dict[str, Any] = _native_call(
            self._session.poll, task, inp, self._clock.now_ms(), self._clock.now_unix_ms()
        )
        if effect.get("log"):
            log.debug(effect["log"])
        if effect["effect"] == "sleep" and effect.get("retry") and self._on_retry is not None:
            r = effect["retry"]
            self._on_retry(RetryInfo(r["retry"], r["wait_ms"], r["cause"]))
        return effect

    def _steps(self, command: Dict[str, Any]) -> Generator[Tuple[str, Any], Any, Dict[str, Any]]:
        """One task as the I/O it needs, for :class:`Client` and :class:`AsyncClient`
        alike: yields ``("send", HttpRequest)`` (send back the response, or throw the
        transport's ``OSError``/``TimeoutError`` in), ``("sleep", ms)``, ``("token",
        None)`` and ``("oidc_token", audience)`` (send back the provider's answer, or
        throw its exception in), ``("read_file", path)`` (send back the text, or throw
        the ``OSError`` in), ``("read_env", name)`` (send back the value or ``None``),
        ``("await_refresh", None)`` (return once no refresh is in flight) and ``("wake",
        None)`` (a refresh ended: wake the calls parked on it); returns the ``done``
        effect. The decisions are the session's; this only translates."""
        task = _native_call(self._session.start, command)
        inp = _RESUME
        wake = False
        try:
            while True:
                effect = self._poll(task, inp)
                if wake:
                    wake = False
                    yield ("wake", None)
                kind = effect["effect"]
                if kind == "send":
                    wake = effect["refresh"]
                    try:
                        inp = _response((yield ("send", _request(effect["request"]))))
                    except (OSError, TimeoutError) as e:
                        inp = _failure(e)
                elif kind == "sleep":
                    yield ("sleep", effect["ms"])
                    inp = _RESUME
                elif kind in ("ask_token", "ask_oidc_token"):
                    # An OIDC token is asked for within a refresh: wake the parked calls after.
                    wake = kind == "ask_oidc_token"
                    try:
                        t = yield (("token", None) if not wake else ("oidc_token", effect.get("audience")))
                        inp = (
                            {"input": "token", "token": t}
                            if isinstance(t, str)
                            else {"input": "token", "error": f"returned {type(t).__name__}, not a str"}
                        )
                    except Exception as e:  # the provider's own failure, named
                        inp = {"input": "token", "error": f"{type(e).__name__}: {e}"}
                elif kind in ("read_file", "read_env"):
                    wake = True  # a step of a refresh, like ask_oidc_token
                    try:
                        text = yield (kind, effect["path"] if kind == "read_file" else effect["name"])
                        inp = {"input": "read", "text": text}
                    except OSError as e:
                        inp = {"input": "read", "error": f"{type(e).__name__}: {e.strerror or e}"}
                elif kind == "await_refresh":
                    yield ("await_refresh", None)
                    inp = _RESUME
                else:
                    return _result(effect)
        except BaseException:
            self._session.cancel(task)
            raise


def _result(effect: Dict[str, Any]) -> Dict[str, Any]:
    """The finished task's ``done`` effect (its ``value``, and a page's ``next``)."""
    if effect["effect"] == "done":
        return effect
    raise from_core(effect["error"])


def _page(done: Dict[str, Any]) -> Tuple[List[Any], Optional[Dict[str, Any]]]:
    return done["value"], done.get("next")


# ---- the blocking client -----------------------------------------------------------


class Client(_Base):
    """The blocking client.

    Credentials, first found wins: ``token``; ``token_provider`` (called before every
    request); ``client_credentials``; an OIDC token exchange (``service_account`` or
    ``CD_SERVICE_ACCOUNT``, with ``organization``; the CI platform's identity token from
    ``oidc_token_provider``, ``oidc_token_file``, ``oidc_token_env``, or GitHub Actions);
    ``CD_API_TOKEN``; the profile's entry in the OS keychain (``profile`` or
    ``CD_PROFILE``, default ``default``, as ``clouddigit configure`` stores it);
    ``~/.config/cd/token`` (refused when group or others can read it). The profile's
    region and base URL (``~/.config/cd/config.json``) come after options and variables.
    Options given here win over the environment (``CD_BASE_URL``, ``CD_REGION``,
    ``CD_LOG=debug``, ``CD_ALLOW_INSECURE_HTTP``, the ``CD_`` OIDC variables), which is
    read unless ``env=False``.
    """

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        token_provider: Optional[Callable[[], str]] = None,
        client_credentials: Optional[ClientCredentials] = None,
        service_account: Optional[str] = None,
        organization: Optional[str] = None,
        oidc_audience: Optional[str] = None,
        oidc_token_file: Optional[str] = None,
        oidc_token_env: Optional[str] = None,
        oidc_token_provider: Optional[Callable[[Optional[str]], str]] = None,
        base_url: Optional[str] = None,
        region: Optional[str] = None,
        ingress: Optional[str] = None,
        max_retries: Optional[int] = None,
        timeout_ms: Optional[int] = None,
        max_retry_wait_ms: Optional[int] = None,
        client_rate_limit: Optional[bool] = None,
        debug: Optional[bool] = None,
        on_retry: Optional[Callable[[RetryInfo], None]] = None,
        transport: Optional[Transport] = None,
        env: bool = True,
        allow_insecure_http: Optional[bool] = None,
        profile: Optional[str] = None,
        _clock: Any = None,
    ) -> None:
        super().__init__(
            host="python",
            token=token,
            token_provider=token_provider,
            client_credentials=client_credentials,
            service_account=service_account,
            organization=organization,
            oidc_audience=oidc_audience,
            oidc_token_file=oidc_token_file,
            oidc_token_env=oidc_token_env,
            oidc_token_provider=oidc_token_provider,
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
            clock=_clock,
            profile=profile,
        )
        self._transport: Transport = transport or UrllibTransport(self._session.allow_insecure_http)
        # Parks calls behind a bearer refresh; woken when it ends.
        self._refreshed = threading.Condition()
        self.tokens = _ns.Tokens(self)
        self.service_accounts = _ns.ServiceAccounts(self)
        self.audit = _ns.Audit(self)
        self.members = _ns.Members(self)

    def _run(self, command: Dict[str, Any]) -> Any:
        return self._drive(command)["value"]

    def _drive(self, command: Dict[str, Any]) -> Dict[str, Any]:
        """The driver loop: do the I/O the session asks for until the task ends."""
        steps = self._steps(command)
        try:
            action, arg = next(steps)
            while True:
                try:
                    value: Any = None
                    if action == "send":
                        value = self._transport.send(arg)
                    elif action == "sleep":
                        if self._sleep is not None:
                            self._sleep(arg)
                        else:
                            time.sleep(arg / 1000)
                    elif action == "token":
                        value = self._provider() if self._provider else None
                    elif action == "oidc_token":
                        value = self._oidc_provider(arg) if self._oidc_provider else None
                    elif action == "read_file":
                        value = self._clock.read_file(arg)
                    elif action == "read_env":
                        value = self._clock.read_env(arg)
                    elif action == "await_refresh":
                        with self._refreshed:
                            while self._session.refreshing:
                                self._refreshed.wait()
                    else:
                        with self._refreshed:
                            self._refreshed.notify_all()
                except Exception as e:
                    action, arg = steps.throw(e)
                    continue
                action, arg = steps.send(value)
        except StopIteration as stop:
            done: Dict[str, Any] = stop.value
            return done
        finally:
            steps.close()  # an interrupt mid-call: the session forgets the task now

    def _call(self, model: Type[T], command: Dict[str, Any]) -> T:
        return build(model, self._run(command))

    def _op(self, model: Type[T], op: Dict[str, Any]) -> T:
        return self._call(model, {"command": "call", "op": op})

    def _list(self, model: Type[T], op: Dict[str, Any]) -> Iterator[T]:
        next_op: Optional[Dict[str, Any]] = op
        while next_op is not None:
            items, next_op = _page(self._drive({"command": "page", "op": next_op}))
            for item in items:
                yield build(model, item)

    def whoami(self) -> Whoami:
        """The calling token and its owner as they are now; kept for :meth:`can`."""
        return self._call(Whoami, {"command": "whoami"})

    def can(self, action: str, project: Optional[str] = None) -> Any:
        """Whether this client's token may do ``action`` in ``project`` now, decided
        locally on the last :meth:`whoami` (fetched once if there is none)."""
        return _native.decision(self._run({"command": "can", "action": action, "project": project}))

    def close(self) -> None:
        """Nothing to release with the default transport; here for ``with``."""

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        service_account: Optional[str] = None,
        organization: Optional[str] = None,
        oidc_audience: Optional[str] = None,
        oidc_token_file: Optional[str] = None,
        oidc_token_env: Optional[str] = None,
        oidc_token_provider: Optional[OidcTokenProvider] = None,
        base_url: Optional[str] = None,
        region: Optional[str] = None,
        ingress: Optional[str] = None,
        max_retries: Optional[int] = None,
        timeout_ms: Optional[int] = None,
        max_retry_wait_ms: Optional[int] = None,
        client_rate_limit: Optional[bool] = None,
        debug: Optional[bool] = None,
        on_retry: Optional[Callable[[RetryInfo], None]] = None,
        transport: Optional[AsyncTransport] = None,
        env: bool = True,
        allow_insecure_http: Optional[bool] = None,
        profile: Optional[str] = None,
        _clock: Any = None,
    ) -> None:
        super().__init__(
            host="python-asyncio",
            token=token,
            token_provider=token_provider,
            client_credentials=client_credentials,
            service_account=service_account,
            organization=organization,
            oidc_audience=oidc_audience,
            oidc_token_file=oidc_token_file,
            oidc_token_env=oidc_token_env,
            oidc_token_provider=oidc_token_provider,
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
            clock=_clock,
            profile=profile,
        )
        self._transport: AsyncTransport = transport or ThreadTransport(
            allow_insecure_http=self._session.allow_insecure_http
        )
        self._refreshed: Optional[asyncio.Condition] = None
        self.tokens = _ns.AsyncTokens(self)
        self.service_accounts = _ns.AsyncServiceAccounts(self)
        self.audit = _ns.AsyncAudit(self)
        self.members = _ns.AsyncMembers(self)

    async def _run(self, command: Dict[str, Any]) -> Any:
        return (await self._drive(command))["value"]

    async def _drive(self, command: Dict[str, Any]) -> Dict[str, Any]:
        """The same loop as :meth:`Client._drive`, awaiting instead of blocking."""
        if self._refreshed is None:
            self._refreshed = asyncio.Condition()
        refreshed = self._refreshed
        steps = self._steps(command)
        try:
            action, arg = next(steps)
            while True:
                try:
                    value: Any = None
                    if action == "send":
                        value = await self._transport.send(arg)
                    elif action == "sleep":
                        if self._sleep is not None:
                            self._sleep(arg)
                        else:
                            await asyncio.sleep(arg / 1000)
                    elif action in ("token", "oidc_token"):
                        if action == "token":
                            value = self._provider() if self._provider else None
                        else:
                            value = self._oidc_provider(arg) if self._oidc_provider else None
                        if inspect.isawaitable(value):
                            value = await value
                    elif action == "read_file":
                        value = self._clock.read_file(arg)
                    elif action == "read_env":
                        value = self._clock.read_env(arg)
                    elif action == "await_refresh":
                        async with refreshed:
                            await refreshed.wait_for(lambda: not self._session.refreshing)
                    else:
                        async with refreshed:
                            refreshed.notify_all()
                except Exception as e:
                    action, arg = steps.throw(e)
                    continue
                action, arg = steps.send(value)
        except StopIteration as stop:
            done: Dict[str, Any] = stop.value
            return done
        finally:
            steps.close()  # an interrupt mid-call: the session forgets the task now

    async def _call(self, model: Type[T], command: Dict[str, Any]) -> T:
        return build(model, await self._run(command))

    async def _op(self, model: Type[T], op: Dict[str, Any]) -> T:
        return await self._call(model, {"command": "call", "op": op})

    async def _list(self, model: Type[T], op: Dict[str, Any]) -> AsyncIterator[T]:
        next_op: Optional[Dict[str, Any]] = op
        while next_op is not None:
            items, next_op = _page(await self._drive({"command": "page", "op": next_op}))
            for item in items:
                yield build(model, item)

    async def whoami(self) -> Whoami:
        return await self._call(Whoami, {"command": "whoami"})

    async def can(self, action: str, project: Optional[str] = None) -> Any:
        return _native.decision(await self._run({"command": "can", "action": action, "project": project}))

    async def aclose(self) -> None:
        """Nothing to release with the default transport; here for ``async with``."""

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


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
