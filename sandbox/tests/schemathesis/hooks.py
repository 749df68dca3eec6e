"""schemathesis hooks for the sandbox run (scripts/schemathesis.sh sets SCHEMATHESIS_HOOKS).

A client makes a fresh Idempotency-Key for each new request and reuses it only to retry
that request. Generated keys repeat ("0", "00"...), which would turn unrelated creates
into replays of one another (of a resource since deleted, or a 422 for a different
body), so every valid key is made unique here; keys that are invalid on purpose (the
negative cases) are sent as generated. Replays themselves are tested by the SDKs' tests
and the crash-restart test.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis

VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    # Negative cases (a header left out or broken on purpose) are sent as generated:
    # editing them would make schemathesis judge them afresh.
    meta = getattr(case, "meta", None)
    if meta is not None and meta.generation.mode.is_negative:
        return
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.fullmatch(value):
            headers[name] = f"st-{uuid.uuid4()}"
