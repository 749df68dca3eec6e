"""Audit streams: events/s delivered to a webhook receiver, and the latency an API call
pays for having streams, in one run against one release sandbox.

    python bench/streams.py                 (scripts/bench-streams.sh builds and runs it)

Phase A: N calls with no stream (p50/p99). Phase B: the same calls with three streams
(webhook, syslog, S3) delivering as they go. Phase C: the same calls while the webhook
receiver hangs (its stream backs up; the API must not notice). Then the webhook stream is
resumed after a pause holding every event of the run, and its drain rate is timed.
Timings are noisy on shared machines: compare the phases of one run, as ratios."""

from __future__ import annotations

import http.client
import http.server
import json
import multiprocessing
import socketserver
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from sandbox_harness import Sandbox  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000


class Receiver:
    """The webhook and syslog receivers, in a process of their own: in the benchmark's
    process their threads would take the GIL from the client being timed."""

    def __init__(self) -> None:
        self.count = multiprocessing.Value("q", 0)
        self.hold = multiprocessing.Event()
        self.hold.set()
        ports = multiprocessing.Queue()
        self.proc = multiprocessing.Process(target=serve, args=(self.count, self.hold, ports), daemon=True)
        self.proc.start()
        self.port, self.syslog_port = ports.get(timeout=10)

    @property
    def events(self) -> int:
        return int(self.count.value)


def serve(count: Any, hold: Any, ports: Any) -> None:
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hold.wait()
            with count.get_lock():
                count.value += body.count(b"\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a: Any) -> None:
            pass

    class Syslog(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while self.rfile.read(65536):
                pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    sl = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Syslog)
    threading.Thread(target=sl.serve_forever, daemon=True).start()
    ports.put((web.server_address[1], sl.server_address[1]))
    web.serve_forever()


def calls(sb: Sandbox, n: int) -> List[float]:
    host, port = sb.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": f"Bearer {sb.owner}"}
    out = []
    for i in range(n):
        t = time.perf_counter()
        conn.request("GET", f"/v1/compute/servers?project=web&limit={1 + i % 50}", headers=headers)
        r = conn.getresponse()
        r.read()
        out.append((time.perf_counter() - t) * 1000)
        assert r.status == 200
    return out


def pct(xs: List[float], p: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]


def row(name: str, xs: List[float], base: List[float]) -> Dict[str, Any]:
    return {"phase": name, "p50_ms": round(statistics.median(xs), 3), "p99_ms": round(pct(xs, 0.99), 3),
            "p99_vs_no_stream": round(pct(xs, 0.99) / pct(base, 0.99), 2)}


def main() -> None:
    sb = Sandbox()
    rx = Receiver()
    try:
        calls(sb, 300)  # warm up
        base = calls(sb, N)
        sb.api("POST", "/v1/storage/buckets?project=web", {"name": "bench-audit", "project": "web"})
        hook = sb.api("POST", "/v1/audit/streams", {"name": "hook", "format": "ocsf", "sink": {
            "type": "webhook", "url": f"http://127.0.0.1:{rx.port}/"}})["stream"]["id"]
        sb.api("POST", "/v1/audit/streams", {"name": "syslog", "format": "ocsf", "sink": {
            "type": "syslog", "host": "127.0.0.1", "port": rx.syslog_port}})
        sb.api("POST", "/v1/audit/streams", {"name": "s3", "format": "cloudtrail", "sink": {
            "type": "s3", "bucket": "bench-audit"}})
        streamed = calls(sb, N)
        rx.hold.clear()
        hung = calls(sb, N)
        rx.hold.set()
        # Drain: pause, let events pile up, then time the delivery of all of them.
        sb.api("POST", f"/v1/audit/streams/{hook}/pause")
        calls(sb, N)
        waiting = sb.api("GET", f"/v1/audit/streams/{hook}")["health"]["buffered"]
        before = rx.events
        t = time.perf_counter()
        sb.api("POST", f"/v1/audit/streams/{hook}/resume")
        while sb.api("GET", f"/v1/audit/streams/{hook}")["health"]["buffered"] > 0:
            time.sleep(0.02)
        drain = time.perf_counter() - t
        result = {
            "calls_per_phase": N,
            "phases": [row("no stream", base, base), row("3 streams delivering", streamed, base),
                       row("webhook receiver hanging", hung, base)],
            "webhook_drain": {"events": waiting, "received": rx.events - before, "seconds": round(drain, 3),
                              "events_per_second": round(waiting / drain)},
        }
        print(json.dumps(result, indent=2))
    finally:
        sb.close()


if __name__ == "__main__":
    main()
