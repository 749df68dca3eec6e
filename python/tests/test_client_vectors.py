"""The client conformance vectors (tests/vectors/client.json) through the public
:class:`Client` and :class:`AsyncClient`: each driver loop must produce the script's
transcript and outcomes exactly, as the Rust SDK's and the npm package's do."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pathlib
from typing import Any, Dict, List

import pytest

import clouddigit
from clouddigit import _native
from clouddigit.client import HttpRequest, HttpResponse
from clouddigit.models import Secret

VECTORS = pathlib.Path(os.environ.get("CLOUDDIGIT_VECTORS", pathlib.Path(__file__).parents[2] / "tests" / "vectors"))
CASES: List[Dict[str, Any]] = json.loads((VECTORS / "client.json").read_text())["cases"]


class Scripted:
    """The replay as the client's clock, environment and transport."""

    def __init__(self, replay: Any) -> None:
        self.r = replay

    def now_ms(self) -> int:
        return int(self.r.now_ms())

    def now_unix_ms(self) -> int:
        return int(self.r.now_unix_ms())

    def seed(self) -> int:
        return int(self.r.seed())

    def environment(self) -> Dict[str, Any]:
        env: Dict[str, Any] = self.r.environment()
        return env

    def sleep(self, ms: int) -> None:
        self.r.sleep(ms)

    def read_file(self, path: str) -> str:
        return str(self.r.read_file(path))

    def read_env(self, name: str) -> Any:
        return self.r.read_env(name)

    def send(self, request: HttpRequest) -> HttpResponse:
        raw = {
            "method": request.method,
            "url": request.url,
            "headers": [list(h) for h in request.headers],
            "body": request.body.decode() if request.body is not None else None,
            "timeout_ms": int(request.timeout * 1000),
        }
        if raw["body"] is None:
            del raw["body"]
        r = self.r.send(raw)
        return HttpResponse(r["status"], [tuple(h) for h in r["headers"]], r["body"])


class AsyncScripted(Scripted):
    async def send(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        return Scripted.send(self, request)


def to_json(v: Any) -> Any:
    if isinstance(v, Secret):
        return str(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: to_json(getattr(v, f.name)) for f in dataclasses.fields(v) if f.name != "raw"}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return {k: to_json(getattr(v, k)) for k in dir(v) if not k.startswith("_") and not callable(getattr(v, k))}


def error_json(e: clouddigit.ApiError) -> Dict[str, Any]:
    return {
        "kind": e.kind,
        "code": e.code,
        "status": e.status,
        "retries": e.retries,
        "retry_after_ms": e.retry_after_ms,
        "field_errors": e.field_errors,
    }


def options(case: Dict[str, Any], replay: Any) -> Dict[str, Any]:
    o = dict(case.get("options", {}))
    if "client_credentials" in o:
        o["client_credentials"] = clouddigit.ClientCredentials(**o["client_credentials"])
    if "provider" in case:

        def provide() -> str:
            try:
                return str(replay.provide())
            except RuntimeError as e:
                raise LookupError(str(e)) from None

        o["token_provider"] = provide
    if "oidc_provider" in case:

        def provide_oidc(audience: Any) -> str:
            try:
                return str(replay.provide_oidc(audience))
            except RuntimeError as e:
                raise LookupError(str(e)) from None

        o["oidc_token_provider"] = provide_oidc
    o["on_retry"] = lambda info: replay.retried({"retry": info.retry, "wait_ms": info.wait_ms, "cause": info.cause})
    return o


def target(c: Any, method: str) -> Any:
    """`serviceAccounts.tokens.create` -> c.service_accounts.tokens.create"""
    for part in method.split("."):
        snake = "".join("_" + ch.lower() if ch.isupper() else ch for ch in part)
        c = getattr(c, snake)
    return c


def py_args(method: str, args: List[Any]) -> tuple[List[Any], Dict[str, Any]]:
    # A trailing options object ({limit}) is keyword arguments in Python.
    if args and isinstance(args[-1], dict) and method.endswith(".list") and set(args[-1]) <= {"limit", "project"}:
        return args[:-1], args[-1]
    return args, {}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_sync_client_replays(case: Dict[str, Any]) -> None:
    replay = _native.Replay(case)
    outcomes: List[Any] = []
    try:
        c = clouddigit.Client(**options(case, replay), transport=Scripted(replay), _clock=Scripted(replay))
    except clouddigit.ApiError as e:
        outcomes = [{"error": error_json(e)} for _ in case["calls"]]
    else:
        for call in case["calls"]:
            args, kw = py_args(call["method"], call["args"])
            try:
                r = target(c, call["method"])(*args, **kw)
                if call["method"].endswith(".list"):
                    r = list(r)
                outcomes.append({"ok": to_json(r)})
            except clouddigit.ApiError as e:
                outcomes.append({"error": error_json(e)})
    replay.finish(outcomes)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_async_client_replays(case: Dict[str, Any]) -> None:
    async def run() -> None:
        replay = _native.Replay(case)
        outcomes: List[Any] = []
        try:
            c = clouddigit.AsyncClient(
                **options(case, replay), transport=AsyncScripted(replay), _clock=Scripted(replay)
            )
        except clouddigit.ApiError as e:
            outcomes = [{"error": error_json(e)} for _ in case["calls"]]
        else:
            for call in case["calls"]:
                args, kw = py_args(call["method"], call["args"])
                try:
                    f = target(c, call["method"])
                    if call["method"].endswith(".list"):
                        r: Any = [x async for x in f(*args, **kw)]
                    else:
                        r = await f(*args, **kw)
                    outcomes.append({"ok": to_json(r)})
                except clouddigit.ApiError as e:
                    outcomes.append({"error": error_json(e)})
        replay.finish(outcomes)

    asyncio.run(run())
