"""The hand-written part of ``clouddigit.models``: :class:`Secret` and :func:`build`,
which turns the core's checked JSON into the generated dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import typing
from typing import Any, Dict, Optional, Type, TypeVar

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


def _time(v: Any) -> Any:
    if isinstance(v, str):
        return _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return v


def build(cls: Type[T], data: Any) -> T:
    """The dataclass ``cls`` (a model of ``clouddigit.models``) from the core's checked
    JSON: times become ``datetime``, secrets :class:`Secret`, nested models their
    dataclass; ``raw`` keeps ``data``."""
    assert dataclasses.is_dataclass(cls)
    hints = typing.get_type_hints(cls)
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
