"""S3 request rates: the sandbox's S3 endpoint against moto in server mode (not a test).

Run by scripts/bench-s3.sh, which builds and starts the servers and passes their
addresses. Every target is driven by the same code: boto3 clients that differ only in
endpoint, region and access key. Per operation and concurrency level, each round runs
every target for a fixed time after a warm-up, targets interleaved (round r runs them
in a rotated order); the table shows the median of the rounds and their spread.

  PutObject     4 KB body, keys cycling over 1,000 names per client (overwrites)
  GetObject     4 KB, read whole, cycling over 100 stored keys
  ListObjectsV2 a bucket of 100 objects (one page: all 100 keys)

Then a 100 MB object (10^8 bytes, one PutObject) is read back with a streaming read in
1 MiB chunks; MB/s is 10^6 bytes per second. For the sandbox, peak RSS (VmHWM) is reset
before the read (/proc/PID/clear_refs) and read after it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

SMALL = 4096
PUT_KEYS = 1000
GET_KEYS = 100
LIST_KEYS = 100
BIG = 100_000_000
OPS = ("PutObject", "GetObject", "ListObjectsV2")


@dataclass
class Target:
    name: str
    endpoint: str
    region: str
    key: Tuple[str, str]
    pid: Optional[int] = None
    bucket: str = "bench-data"
    list_bucket: str = "bench-list"
    failed: Dict[str, str] = field(default_factory=dict)

    def client(self, secret: Optional[str] = None) -> Any:
        # A session per client: boto3's default session is not safe to share across
        # threads while clients are made, and each thread gets its own client anyway.
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=self.region,
            aws_access_key_id=self.key[0], aws_secret_access_key=secret or self.key[1],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                          max_pool_connections=4),
        )


def cpu_seconds(pid: Optional[int]) -> float:
    """User + system CPU time of a process, in seconds (0 when unknown)."""
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def status_kb(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


# --- setup -----------------------------------------------------------------------

def sandbox_key(api: str, owner: str) -> Tuple[str, str]:
    """A member service account in project web and an access key for it, via /v1."""
    def call(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        req = urllib.request.Request(
            api + path, method=method, data=json.dumps(body).encode() if body else None,
            headers={"Authorization": f"Bearer {owner}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    sa = call("POST", "/v1/iam/service-accounts?project=web",
              {"name": "bench", "role": "member", "project": "web"})
    k = call("POST", f"/v1/iam/service-accounts/{sa['service_account']['id']}/access-keys")
    return str(k["id"]), str(k["secret"])


def moto_key(endpoint: str) -> Tuple[str, str]:
    """An IAM user allowed s3:*, and its access key, made by exactly three IAM calls.

    moto_server runs with INITIAL_NO_AUTH_ACTION_COUNT=3: its first three actions are
    not authenticated (any signature passes), every later one is checked against the
    access keys of its IAM users and authorized by their policies.
    """
    iam = boto3.session.Session().client(
        "iam", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="s3-all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="bench")["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def prepare(t: Target) -> None:
    c = t.client()
    for b in (t.bucket, t.list_bucket):
        if t.region == "us-east-1":
            c.create_bucket(Bucket=b)
        else:
            c.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": t.region})
    body = os.urandom(SMALL)
    for i in range(GET_KEYS):
        c.put_object(Bucket=t.bucket, Key=f"get/{i:04d}", Body=body)
    for i in range(LIST_KEYS):
        c.put_object(Bucket=t.list_bucket, Key=f"list/{i:04d}", Body=body)
    # Authentication is on: a wrong secret must be refused.
    try:
        t.client(secret="wrong" + t.key[1][5:]).get_object(Bucket=t.bucket, Key="get/0000")
    except ClientError as e:
        print(f"  {t.name}: a wrong secret is refused: {e.response['Error']['Code']}", flush=True)
    else:
        raise SystemExit(f"{t.name} accepted a request signed with a wrong secret: auth is off")


# --- the operations ----------------------------------------------------------------

def op_fn(op: str, t: Target, client: Any, worker: int) -> Callable[[int], None]:
    body = os.urandom(SMALL)
    if op == "PutObject":
        return lambda i: client.put_object(Bucket=t.bucket, Key=f"put/{worker}/{i % PUT_KEYS:04d}", Body=body)
    if op == "GetObject":
        def get(i: int) -> None:
            data = client.get_object(Bucket=t.bucket, Key=f"get/{i % GET_KEYS:04d}")["Body"].read()
            assert len(data) == SMALL, len(data)
        return get
    if op == "ListObjectsV2":
        def lst(i: int) -> None:
            r = client.list_objects_v2(Bucket=t.list_bucket)
            assert r["KeyCount"] == LIST_KEYS, r["KeyCount"]
        return lst
    raise ValueError(op)


@dataclass
class Sample:
    rate: float          # requests/s
    server_cpu_us: float  # server CPU per request
    client_cpu_us: float  # this process's CPU per request


def run(op: str, t: Target, clients: List[Any], seconds: float, warmup: float) -> Sample:
    """Every client in its own thread, for `seconds` after `warmup`; all requests counted."""
    n = len(clients)
    fns = [op_fn(op, t, c, w) for w, c in enumerate(clients)]
    counts = [0] * n
    errors: List[BaseException] = []
    start_gate = threading.Barrier(n + 1)
    state = {"phase": "warm"}

    def worker(w: int) -> None:
        fn = fns[w]
        i = 0
        start_gate.wait()
        try:
            while state["phase"] == "warm":
                fn(i)
                i += 1
            start_gate.wait()
            while state["phase"] == "run":
                fn(i)
                i += 1
                counts[w] += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
            state["phase"] = "stop"
            start_gate.abort()

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(n)]
    for th in threads:
        th.start()
    start_gate.wait()
    time.sleep(warmup)
    state["phase"] = "run"
    try:
        start_gate.wait()
    except threading.BrokenBarrierError:
        pass
    t0, s0, c0 = time.perf_counter(), cpu_seconds(t.pid), time.process_time()
    time.sleep(seconds)
    state["phase"] = "stop"
    for th in threads:
        th.join()
    # Requests finishing after the stop flag are counted and the clock runs until the last.
    elapsed = time.perf_counter() - t0
    s1, c1 = cpu_seconds(t.pid), time.process_time()
    if errors:
        raise errors[0]
    total = sum(counts)
    return Sample(total / elapsed, (s1 - s0) / total * 1e6 if t.pid else float("nan"),
                  (c1 - c0) / total * 1e6)


def big_get(t: Target) -> Dict[str, float]:
    c = t.client()
    c.put_object(Bucket=t.bucket, Key="big", Body=os.urandom(BIG))
    out: Dict[str, float] = {}
    if t.pid:
        out["hwm_after_put_mb"] = status_kb(t.pid, "VmHWM") / 1024
        try:
            with open(f"/proc/{t.pid}/clear_refs", "w", encoding="ascii") as f:
                f.write("5")  # resets VmHWM to the current RSS
        except OSError as e:
            print(f"  (cannot reset VmHWM: {e})", flush=True)
        out["rss_before_get_mb"] = status_kb(t.pid, "VmRSS") / 1024
    rates = []
    for _ in range(3):
        t0 = time.perf_counter()
        body = c.get_object(Bucket=t.bucket, Key="big")["Body"]
        n = 0
        for chunk in body.iter_chunks(1 << 20):
            n += len(chunk)
        dt = time.perf_counter() - t0
        assert n == BIG, n
        rates.append(BIG / dt / 1e6)
    out["mb_s"] = statistics.median(rates)
    out["mb_s_min"], out["mb_s_max"] = min(rates), max(rates)
    if t.pid:
        out["hwm_get_mb"] = status_kb(t.pid, "VmHWM") / 1024
    c.delete_object(Bucket=t.bucket, Key="big")
    return out


# --- main --------------------------------------------------------------------------

def fmt_range(xs: List[float]) -> str:
    return f"{min(xs):,.0f}–{max(xs):,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sandbox", action="append", default=[], metavar="NAME,API_URL,S3_URL,TOKEN_FILE,PID",
                    help="a sandbox to measure (repeatable)")
    ap.add_argument("--moto", metavar="URL,PID", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0, help="measured time per run")
    ap.add_argument("--warmup", type=float, default=1.0, help="unmeasured time before each run")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--big", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--big-moto", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--json", help="write every sample here")
    a = ap.parse_args()

    targets: List[Target] = []
    for spec in a.sandbox:
        name, api, s3, token_file, pid = spec.split(",")
        with open(token_file, encoding="utf-8") as f:
            owner = f.read().strip()
        targets.append(Target(name, s3, "bd-dha-1", sandbox_key(api, owner), int(pid)))
    murl, mpid = a.moto.split(",")
    moto = Target("moto", murl, "us-east-1", moto_key(murl), int(mpid))
    targets.append(moto)

    print("setup:", flush=True)
    for t in targets:
        prepare(t)

    levels = [1, a.threads]
    samples: Dict[Tuple[str, int, str], List[Sample]] = {}
    for r in range(a.rounds):
        order = targets[r % len(targets):] + targets[:r % len(targets)]
        print(f"round {r + 1}/{a.rounds}: order {', '.join(t.name for t in order)}", flush=True)
        for op in OPS:
            for n in levels:
                for t in order:
                    if op in t.failed:
                        continue
                    clients = [t.client() for _ in range(n)]
                    try:
                        s = run(op, t, clients, a.seconds, a.warmup)
                    except Exception as e:  # noqa: BLE001 - reported, others go on
                        t.failed[op] = f"{type(e).__name__}: {e}"
                        print(f"  {t.name} {op} FAILED: {t.failed[op]}", flush=True)
                        continue
                    samples.setdefault((op, n, t.name), []).append(s)
                    print(f"  {op:14} x{n}  {t.name:12} {s.rate:9,.0f} req/s  "
                          f"server {s.server_cpu_us:7,.0f} µs CPU/req  client {s.client_cpu_us:6,.0f} µs CPU/req",
                          flush=True)

    big: Dict[str, Dict[str, float]] = {}
    if a.big:
        for t in targets:
            if t is moto and not a.big_moto:
                continue
            try:
                big[t.name] = big_get(t)
            except Exception as e:  # noqa: BLE001
                t.failed["GetObject 100 MB"] = f"{type(e).__name__}: {e}"

    def med(op: str, n: int, name: str, attr: str = "rate") -> Optional[float]:
        xs = samples.get((op, n, name))
        return statistics.median(getattr(s, attr) for s in xs) if xs else None

    print()
    print(f"Medians of {a.rounds} interleaved rounds, {a.seconds:g} s each (range in brackets); "
          f"x1 = one client, x{a.threads} = {a.threads} threads each with its own client.")
    sbx = [t for t in targets if t is not moto]
    head = "| operation | " + " | ".join(f"{t.name} req/s" for t in sbx) + " | moto req/s | " + \
        " | ".join(f"{t.name} / moto" for t in sbx) + " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for op in OPS:
        for n in levels:
            m = med(op, n, "moto")
            cells = []
            for t in sbx:
                v = med(op, n, t.name)
                cells.append(f"{v:,.0f} [{fmt_range([s.rate for s in samples[(op, n, t.name)]])}]" if v else "failed")
            mcell = f"{m:,.0f} [{fmt_range([s.rate for s in samples[(op, n, 'moto')]])}]" if m else "failed"
            ratios = [f"{med(op, n, t.name) / m:.1f}×" if m and med(op, n, t.name) else "–" for t in sbx]
            print(f"| {op} x{n} | " + " | ".join(cells) + f" | {mcell} | " + " | ".join(ratios) + " |")
    print()
    print("CPU per request, server / boto3 client (medians, µs), and moto's server CPU over the sandbox's:")
    print("| operation | " + " | ".join(f"{t.name} server / client" for t in targets) + " | " +
          " | ".join(f"moto / {t.name} server CPU" for t in sbx) + " |")
    print("|" + "---|" * (len(targets) + len(sbx) + 1))
    for op in OPS:
        for n in levels:
            cells = []
            for t in targets:
                sv, cl = med(op, n, t.name, "server_cpu_us"), med(op, n, t.name, "client_cpu_us")
                cells.append(f"{sv:,.0f} / {cl:,.0f}" if sv is not None else "–")
            ms = med(op, n, "moto", "server_cpu_us")
            for t in sbx:
                sv = med(op, n, t.name, "server_cpu_us")
                cells.append(f"{ms / sv:.1f}×" if ms and sv else "–")
            print(f"| {op} x{n} | " + " | ".join(cells) + " |")
    if big:
        print()
        print("GetObject of a 100 MB object, one client, streaming read (median of 3):")
        for name, b in big.items():
            line = f"  {name:12} {b['mb_s']:,.0f} MB/s [{b['mb_s_min']:,.0f}–{b['mb_s_max']:,.0f}]"
            if "hwm_get_mb" in b:
                line += (f"; RSS before GET {b['rss_before_get_mb']:.1f} MiB, peak during GET "
                         f"{b['hwm_get_mb']:.1f} MiB (peak after the 100 MB PUT: {b['hwm_after_put_mb']:.1f} MiB)")
            print(line)
    for t in targets:
        for op, why in t.failed.items():
            print(f"FAILED {t.name} {op}: {why}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"samples": {f"{k[0]} x{k[1]} {k[2]}": [s.__dict__ for s in v] for k, v in samples.items()},
                       "big": big, "failed": {t.name: t.failed for t in targets}}, f, indent=1)
    sys.exit(1 if any(t.failed for t in targets) else 0)


if __name__ == "__main__":
    main()
