"""What the API returns, as frozen dataclasses.

The core reads and checks every response against its model before Python sees it; this
module only gives the checked JSON Python types: times become ``datetime`` (UTC), and
secrets shown once become :class:`Secret`, which prints as its prefix.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import sys
import typing
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Type, TypeVar, Union

from . import _native

T = TypeVar("T")


class Secret:
    """A secret the API shows once (a token, a client secret, an access key secret).

    ``str()``, ``repr()``, f-strings and logging show only its prefix; call
    :meth:`reveal` to read it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself. Store it in a secret manager; it is not shown again."""
        return self._value

    @property
    def prefix(self) -> str:
        return _native.redacted(self._value).split("…", 1)[0]

    def __str__(self) -> str:
        return _native.redacted(self._value)

    def __repr__(self) -> str:
        return f"Secret({_native.redacted(self._value)!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled; reveal() it deliberately")


@dataclass(frozen=True)
class ApiToken:
    """A token's metadata and state. Never the secret."""

    id: str
    name: str
    prefix: str
    owner: Dict[str, str]
    organization: str
    projects: Union[str, List[str]]
    permissions: Union[str, List[str]]
    created_at: _dt.datetime
    status: str
    kind: str
    expires_at: Optional[_dt.datetime] = None
    allowed_ips: List[str] = field(default_factory=list)
    revoked_at: Optional[_dt.datetime] = None
    rotated_at: Optional[_dt.datetime] = None
    grace_ends_at: Optional[_dt.datetime] = None
    last_used_at: Optional[_dt.datetime] = None
    replaced_by: Optional[str] = None
    created_by: Optional[Dict[str, str]] = None
    """Which credential made it: ``{"type": "token", "id": ...}``, a bearer, a client
    secret, an access key, ``bootstrap`` or ``sandbox_admin``."""
    parent_id: Optional[str] = None
    """The credential it descends from now: revoking that revokes this one."""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: Secret


@dataclass(frozen=True)
class Rotation:
    """The new token (secret shown once) and the one it replaces, which keeps working
    until its ``grace_ends_at``."""

    token: ApiToken
    secret: Secret
    replaces: ApiToken


@dataclass(frozen=True)
class ServiceAccount:
    id: str
    name: str
    organization: str
    level: str
    role: str
    status: str
    client_id: str
    created_at: _dt.datetime
    description: str = ""
    project: Optional[str] = None
    tag_selector: Dict[str, str] = field(default_factory=dict)
    allowed_ips: List[str] = field(default_factory=list)
    """Where the account's client-credentials bearers may be used from."""
    updated_at: Optional[_dt.datetime] = None
    client_secret: Optional[Dict[str, Any]] = None
    """The current client secret's metadata (id, maker, expiry), never the secret."""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CreatedServiceAccount:
    service_account: ServiceAccount
    client_id: str
    client_secret: Secret


@dataclass(frozen=True)
class AccessKey:
    id: str
    service_account: str
    created_at: _dt.datetime
    expires_at: Optional[_dt.datetime] = None
    created_by: Optional[Dict[str, str]] = None
    parent_id: Optional[str] = None


@dataclass(frozen=True)
class CreatedAccessKey:
    id: str
    service_account: str
    created_at: _dt.datetime
    secret: Secret
    expires_at: Optional[_dt.datetime] = None
    created_by: Optional[Dict[str, str]] = None
    parent_id: Optional[str] = None


@dataclass(frozen=True)
class AuditEvent:
    id: str
    time: _dt.datetime
    method: str
    path: str
    status: int
    request_id: str
    actor: Optional[str] = None
    token_name: Optional[str] = None
    token_prefix: Optional[str] = None
    query: Optional[str] = None
    project: Optional[str] = None
    error_code: Optional[str] = None
    source_ip: Optional[str] = None
    token_id: Optional[str] = None
    detail: Optional[str] = None


@dataclass(frozen=True)
class Whoami:
    """The calling token and its owner as they are now (what ``can`` decides on)."""

    token: ApiToken
    owner: Dict[str, Any]
    organization_projects: List[str] = field(default_factory=list)
    policy: Optional[Dict[str, Any]] = None
    ip: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class RevokedCount:
    revoked: int


def _time(v: Any) -> Any:
    if isinstance(v, str):
        return _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return v


def build(cls: Type[T], data: Any) -> T:
    """The dataclass ``cls`` from the core's checked JSON."""
    assert dataclasses.is_dataclass(cls)
    hints = typing.get_type_hints(cls, vars(sys.modules[__name__]))
    kwargs: Dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name == "raw":
            kwargs["raw"] = data
            continue
        if f.name not in data:
            continue
        v = data[f.name]
        hint = hints[f.name]
        if hint is Secret:
            v = Secret(v)
        elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
            v = build(hint, v)
        elif hint is _dt.datetime or hint == Optional[_dt.datetime]:
            v = _time(v)
        kwargs[f.name] = v
    return cls(**kwargs)


__all__ = [
    "Secret",
    "ApiToken",
    "CreatedToken",
    "Rotation",
    "ServiceAccount",
    "CreatedServiceAccount",
    "AccessKey",
    "CreatedAccessKey",
    "AuditEvent",
    "Whoami",
    "RevokedCount",
]
