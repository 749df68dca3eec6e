"""Writes N audit events as JSON lines, shaped as the sandbox exports them
(`GET /v1/audit/events?format=jsonl`: sandbox/src/views.rs `audit_event`), for
scripts/bench-least-privilege.sh.

    python3 bench/gen_audit_events.py N OUT.jsonl [--seed S] [--compact]

A few workloads (tokens), each calling a fixed set of catalog routes with many resource
ids, from a few addresses; 3 % of the calls denied, 1 % to routes that are not in the
catalog (health checks, typos). Deterministic for a given seed. `--compact` keeps only
time, token_prefix, method, path and status (about 120 bytes an event, the size of the
export issue 21 measured; the full shape is about 380).
"""

import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "core" / "catalog" / "catalog.json"


def main(argv: list) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    n, out = int(argv[0]), argv[1]
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 21
    compact = "--compact" in argv
    rnd = random.Random(seed)
    routes = [
        (r["method"], r["path"]) for p in json.loads(CATALOG.read_text())["permissions"] for r in p.get("routes", [])
    ]
    workloads = []
    for i, (name, owner) in enumerate(
        [("ci-deploy", "sa_deploy"), ("backup", "sa_backup"), ("alice-laptop", "u_alice"), ("monitoring", "sa_mon")]
    ):
        calls = rnd.sample(routes, 6 + 4 * i)
        workloads.append(
            {
                "name": name,
                "actor": owner,
                "prefix": "cd_" + "".join(rnd.choice("0123456789abcdefABCDEF") for _ in range(6)),
                "token_id": f"tok_{rnd.getrandbits(128):032x}",
                "calls": calls,
                "ips": [f"203.0.113.{rnd.randrange(1, 255)}" for _ in range(3)],
                "project": ["web", "shop-prod", "data"][i % 3],
            }
        )
    extra = [("GET", "/healthz"), ("GET", "/v1/compute/server"), ("POST", "/v1/nowhere")]
    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    step = timedelta(days=30) / max(n, 1)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        buf = []
        for seq in range(1, n + 1):
            w = workloads[rnd.randrange(len(workloads))]
            if rnd.random() < 0.01:
                method, path = rnd.choice(extra)
            else:
                method, path = rnd.choice(w["calls"])
                path = path.replace("{id}", f"res_{rnd.randrange(5000):04d}")
            denied = rnd.random() < 0.03
            query = '"limit=100"' if method == "GET" and rnd.random() < 0.2 else "null"
            ip = rnd.choice(w["ips"])
            request_id = f"req_{rnd.getrandbits(128):032x}"
            when = (t0 + step * seq).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            if compact:
                buf.append(
                    f'{{"time":"{when}","token_prefix":"{w["prefix"]}","method":"{method}","path":"{path}",'
                    f'"status":{403 if denied else 200}}}\n'
                )
            else:
                buf.append(
                    f'{{"id":"ev_{seq}","time":"{when}","actor":"{w["actor"]}","token_name":"{w["name"]}",'
                    f'"token_prefix":"{w["prefix"]}","method":"{method}","path":"{path}","query":{query},'
                    f'"project":"{w["project"]}","status":{403 if denied else 200},'
                    f'"error_code":{json.dumps("permission_denied") if denied else "null"},'
                    f'"source_ip":"{ip}","request_id":"{request_id}",'
                    f'"token_id":"{w["token_id"]}","detail":null}}\n'
                )
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
