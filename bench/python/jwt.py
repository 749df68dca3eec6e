"""Python: JWT verification per second through `clouddigit.check_trust`, the tokens of
tests/vectors/oidc.json: RS256 (2048-bit) and ES256 against the vectors' JWKS, read
against two trusts. The same call as core/benches/jwt.rs's check_trust and
bench/node/jwt.mjs. Run: scripts/bench-hosts.sh jwt."""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import clouddigit

VECTORS = Path(os.environ.get("CLOUDDIGIT_VECTORS", Path(__file__).resolve().parents[2] / "tests" / "vectors"))


def median_us(fn: Callable[[], Any], n: int = 200, rounds: int = 21, warm_s: float = 2.0) -> float:
    t_end = time.perf_counter() + warm_s
    while time.perf_counter() < t_end:
        fn()
    per = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        per.append((time.perf_counter_ns() - t0) / n / 1000)
    return statistics.median(per)


def main() -> None:
    data = json.loads((VECTORS / "oidc.json").read_text(encoding="utf-8"))
    jwks = json.dumps(data["jwks"])
    for alg, name in (("RS256", "RS256 token from main matches the branch trust"), ("ES256", "ES256 key")):
        case = next(c for c in data["cases"] if c["name"] == name)
        now = datetime.fromtimestamp(case["now"], tz=timezone.utc)
        jwt, trusts = case["jwt"], case["trusts"]
        assert clouddigit.check_trust(jwt, trusts, now, jwks)["accepted"]
        us = median_us(lambda: clouddigit.check_trust(jwt, trusts, now, jwks))
        print(f"{f'check_trust {alg} (verify + 2 trusts)':<40} median {us:7.1f} µs  {1e6 / us:6.0f}/s")


if __name__ == "__main__":
    main()
