"""The SDK client's exceptions, one per error kind of the core.

Every one is a :class:`ApiError` and also subclasses the built-in that fits, so
``except PermissionError`` or ``except ValueError`` work as Python users expect. No
message ever holds a secret (the core scrubs them to their prefix).
"""

from __future__ import annotations

import builtins
import json
from typing import Any, Dict, List, Optional, Tuple, Type

from .types import FieldError


class ApiError(Exception):
    """A failed call, or a call refused before it was sent.

    ``kind`` is the class of failure (``authentication``, ``permission_denied``, ...),
    ``code`` the server's or client's stable code (for 403, the evaluator's reason such
    as ``not_in_token_permissions``), ``status`` the HTTP status when there was one.
    """

    kind: str
    code: str
    message: str
    status: Optional[int]
    request_id: Optional[str]
    field_errors: List[FieldError]
    retry_after_ms: Optional[int]
    retries: int

    def __init__(self, message: str, data: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        d = data or {}
        self.kind = str(d.get("kind", "config"))
        self.code = str(d.get("code", self.kind))
        self.message = str(d.get("message", message))
        self.status = d.get("status")
        self.request_id = d.get("request_id")
        self.field_errors = list(d.get("field_errors") or [])
        self.retry_after_ms = d.get("retry_after_ms")
        self.retries = int(d.get("retries") or 0)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind!r}, code={self.code!r}, "
            f"status={self.status!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(ApiError):
    """401: the token is unknown, malformed, revoked, rotated out or expired."""


class PermissionDeniedError(ApiError):
    """403: the token may not do this; ``code`` is the evaluator's reason."""


class NotFoundError(ApiError, builtins.LookupError):
    """404."""


class ConflictError(ApiError):
    """409."""


class ValidationError(ApiError, builtins.ValueError):
    """422, or a request the core's rules refused before any call; see ``field_errors``."""


class RateLimitError(ApiError):
    """429; ``retry_after_ms`` says when to try again."""


class ServerError(ApiError):
    """5xx, or a response that does not fit the API's model."""


class HttpError(ApiError):
    """Any other HTTP status."""


class TransportError(ApiError, builtins.ConnectionError):
    """No response: the connection failed or was cut."""


class TimeoutError(ApiError, builtins.TimeoutError):
    """No response within ``timeout_ms``."""


class ConfigError(ApiError, builtins.ValueError):
    """Bad settings or credentials, found before any call."""


_BY_KIND: Dict[str, Type[ApiError]] = {
    "authentication": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "validation": ValidationError,
    "rate_limited": RateLimitError,
    "server": ServerError,
    "http": HttpError,
    "transport": TransportError,
    "timeout": TimeoutError,
    "config": ConfigError,
}


def from_core(data: Dict[str, Any]) -> ApiError:
    """The exception for a core ``ApiError`` (its JSON)."""
    cls = _BY_KIND.get(str(data.get("kind")), ApiError)
    text = f"{data.get('kind')} ({data.get('code')})"
    if data.get("status"):
        text += f", HTTP {data['status']}"
    if data.get("request_id"):
        text += f" [request {data['request_id']}]"
    return cls(f"{text}: {data.get('message', '')}", data)


def from_native(exc: BaseException) -> ApiError:
    """The exception for the native layer's ``ClientError(message, json)``."""
    args: Tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and isinstance(args[1], str):
        try:
            return from_core(json.loads(args[1]))
        except ValueError:
            pass
    return ConfigError(str(exc))


__all__ = [
    "ApiError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
    "HttpError",
    "TransportError",
    "TimeoutError",
    "ConfigError",
]
