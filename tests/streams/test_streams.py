"""Audit streams end to end, with real receivers on loopback written here: an HTTP
webhook receiver that verifies the HMAC signature and goes down and up again, a syslog
receiver reading RFC 5424 over TCP (octet counting), and the sandbox's own S3 endpoint
read back with boto3. OCSF records are checked against OCSF's own JSON Schema
(tests/vectors/ocsf/)."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import http.server
import json
import re
import socket
import socketserver
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "vectors" / "ocsf"))
from sandbox_harness import Sandbox  # noqa: E402

REGION = "bd-dha-1"


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Webhook:
    """A webhook receiver on a fixed loopback port that can go down and come back."""

    def __init__(self, secret_box: Dict[str, str]) -> None:
        self.port = free_port()
        self.bodies: List[bytes] = []
        self.bad_signatures = 0
        self.secret_box = secret_box
        self.hold = threading.Event()
        self.hold.set()
        self.server: Optional[http.server.ThreadingHTTPServer] = None

    def up(self) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.hold.wait()
                want = "sha256=" + hmac.new(outer.secret_box["secret"].encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(want, self.headers.get("X-Clouddigit-Signature-256", "")):
                    outer.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                assert self.headers["Content-Type"] == "application/x-ndjson"
                assert int(self.headers["X-Clouddigit-Event-Count"]) == body.count(b"\n")
                outer.bodies.append(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def records(self) -> List[Dict[str, Any]]:
        return [json.loads(line) for b in self.bodies for line in b.splitlines() if line]


class Syslog:
    """An RFC 5424 receiver over TCP with octet-counting framing (RFC 6587, 3.4.1)."""

    FRAME = re.compile(rb"^<(\d{1,3})>1 (\S+) (\S+) clouddigit - audit - (.*)$", re.S)

    def __init__(self) -> None:
        self.messages: List[Dict[str, Any]] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                data = self.rfile.read()
                while data:
                    length, _, rest = data.partition(b" ")
                    n = int(length)
                    msg, data = rest[:n], rest[n:]
                    m = Syslog.FRAME.match(msg)
                    assert m, msg[:200]
                    outer.messages.append({"pri": int(m.group(1)), "time": m.group(2).decode(),
                                           "host": m.group(3).decode(), "record": json.loads(m.group(4))})

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_status(sb: Sandbox, method: str, path: str, body: Any = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(sb.url + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {sb.owner}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def raw_get(sb: Sandbox, path: str) -> str:
    req = urllib.request.Request(sb.url + path, headers={"Authorization": f"Bearer {sb.owner}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return str(r.read().decode())


def mark(sb: Sandbox, n: int) -> None:
    """One call the stream must carry, told apart by its limit."""
    assert api_status(sb, "GET", f"/v1/compute/servers?project=web&limit={n}") == 200


def marks_of(records: List[Dict[str, Any]], field: Callable[[Dict[str, Any]], Optional[str]]) -> List[int]:
    out = []
    for r in records:
        q = field(r) or ""
        m = re.search(r"(?:^|&)limit=(\d+)", q)
        if m and "/v1/compute/servers" in json.dumps(r):
            out.append(int(m.group(1)))
    return out


def first_seen(xs: List[int]) -> List[int]:
    seen, out = set(), []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


@pytest.fixture(scope="module")
def sb() -> Any:
    s = Sandbox()
    yield s
    s.close()


def stream(sb: Sandbox, sid: str) -> Dict[str, Any]:
    return dict(sb.api("GET", f"/v1/audit/streams/{sid}"))


def test_webhook_down_and_up_loses_nothing_and_keeps_order(sb: Sandbox) -> None:
    box: Dict[str, str] = {}
    hook = Webhook(box)
    hook.up()
    created = sb.api("POST", "/v1/audit/streams", {
        "name": "siem", "format": "json", "sink": {"type": "webhook", "url": f"http://127.0.0.1:{hook.port}/in"}})
    box["secret"] = created["signing_secret"]
    assert box["secret"].startswith("cdwh_")
    sid = created["stream"]["id"]
    # The secret is shown once: never in the stream's view or the list.
    assert box["secret"] not in json.dumps(sb.api("GET", "/v1/audit/streams"))
    assert box["secret"] not in raw_get(sb, "/v1/audit/events/export?format=jsonl")

    for n in range(1, 21):
        mark(sb, n)
    wait_for("the first 20 calls", lambda: set(range(1, 21)) <= set(marks_of(hook.records(), lambda r: r.get("query"))))

    hook.down()
    for n in range(21, 61):
        mark(sb, n)
    s = wait_for("the stream to fail", lambda: (lambda x: x if x["health"]["state"] == "failing" else None)(stream(sb, sid)))
    assert s["health"]["last_error"] and "could not connect" in s["health"]["last_error"]
    assert s["health"]["buffered"] >= 40
    failing = [e for e in sb.audit(actor="clouddigit-sandbox") if e.get("error_code") == "stream_failing"]
    assert failing and sid in failing[0]["path"]
    test = sb.api("POST", f"/v1/audit/streams/{sid}/test")
    assert test["delivered"] is False and test["error"]

    hook.up()
    assert sb.api("POST", f"/v1/audit/streams/{sid}/test")["delivered"] is True
    wait_for("the 40 buffered calls", lambda: set(range(1, 61)) <= set(marks_of(hook.records(), lambda r: r.get("query"))))
    got = first_seen(marks_of(hook.records(), lambda r: r.get("query")))
    assert got == list(range(1, 61)), got
    ids = [int(r["id"][3:]) for r in hook.records() if r["id"] != "ev_test"]
    assert first_seen(ids) == sorted(set(ids)), "events arrive in the log's order"
    assert hook.bad_signatures == 0
    s = wait_for("health again", lambda: (lambda x: x if x["health"]["state"] == "healthy" else None)(stream(sb, sid)))
    assert s["health"]["last_error"] is None and s["health"]["delivered"] >= 60
    recovered = wait_for("the recovery event", lambda: [
        e for e in sb.audit(actor="clouddigit-sandbox") if "recovered" in (e.get("detail") or "") and sid in e["path"]])
    assert recovered

    # Paused: events wait, and are all delivered, in order, on resume.
    before = len(hook.records())
    assert sb.api("POST", f"/v1/audit/streams/{sid}/pause")["health"]["state"] == "paused"
    for n in range(61, 71):
        mark(sb, n)
    time.sleep(1.5)
    assert not set(range(61, 71)) & set(marks_of(hook.records()[before:], lambda r: r.get("query")))
    assert stream(sb, sid)["health"]["buffered"] >= 10
    sb.api("POST", f"/v1/audit/streams/{sid}/resume")
    wait_for("the paused calls", lambda: set(range(61, 71)) <= set(marks_of(hook.records(), lambda r: r.get("query"))))

    # A receiver that hangs holds up its stream, never the API.
    hook.hold.clear()
    try:
        for n in range(71, 81):
            mark(sb, n)  # each has a 5 s timeout; the webhook's own is 10 s
    finally:
        hook.hold.set()
    wait_for("the calls made while it hung", lambda: set(range(71, 81)) <= set(marks_of(hook.records(), lambda r: r.get("query"))))

    sb.api("DELETE", f"/v1/audit/streams/{sid}")
    assert all(x["id"] != sid for x in sb.api("GET", "/v1/audit/streams")["streams"])
    hook.down()


def test_paused_events_older_than_seven_days_are_dropped_and_counted(sb: Sandbox) -> None:
    box = {"secret": ""}
    hook = Webhook(box)
    created = sb.api("POST", "/v1/audit/streams", {
        "name": "old", "sink": {"type": "webhook", "url": f"http://127.0.0.1:{hook.port}/"}})
    sid = created["stream"]["id"]
    sb.api("POST", f"/v1/audit/streams/{sid}/pause")
    for n in range(1, 6):
        mark(sb, 1000 + n)
    assert stream(sb, sid)["health"]["buffered"] >= 5
    try:
        sb.advance(8 * 86400)
        sb.api("POST", f"/v1/audit/streams/{sid}/resume")  # wakes the stream, which expires first
        s = wait_for("the drop", lambda: (lambda x: x if x["health"]["dropped"] >= 5 else None)(stream(sb, sid)))
        assert s["health"]["dropped"] >= 5
    finally:
        sb.reset_clock()
        sb.api("DELETE", f"/v1/audit/streams/{sid}")


def test_syslog_receives_rfc5424_ocsf_that_validates() -> None:
    import validate  # tests/vectors/ocsf/validate.py

    sb = Sandbox()
    rx = Syslog()
    try:
        sid = sb.api("POST", "/v1/audit/streams", {
            "name": "rsyslog", "format": "ocsf", "sink": {"type": "syslog", "host": "127.0.0.1", "port": rx.port}})["stream"]["id"]
        for n in range(1, 11):
            mark(sb, n)
        assert api_status(sb, "GET", "/v1/iam/tokens/tok_nope") == 404
        # A refused grant: an Authentication record.
        req = urllib.request.Request(sb.url + "/realms/acme/protocol/openid-connect/token",
                                     data=b"grant_type=client_credentials&client_id=sa_x&client_secret=cdcs_nope",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
        try:
            urllib.request.urlopen(req, timeout=5)
        except urllib.error.HTTPError:
            pass
        wait_for("the syslog messages", lambda: set(range(1, 11)) <= set(
            marks_of([m["record"] for m in rx.messages], lambda r: r.get("http_request", {}).get("url", {}).get("query_string"))))
        wait_for("the grant's record", lambda: any(m["record"]["class_uid"] == 3002 for m in rx.messages))
        records = [m["record"] for m in rx.messages]
        errors = validate.validate_events(records, ROOT / "tests" / "vectors" / "ocsf" / "schema-profiles-cloud")
        assert errors == [], errors[:5]
        assert {r["class_uid"] for r in records} >= {6003, 3002}
        # PRI: facility 13 (log audit); severity 6 for a call that worked, 5 for a 404.
        pris = {m["record"]["status_code"]: m["pri"] for m in rx.messages}
        assert pris["200"] == 13 * 8 + 6 and pris["404"] == 13 * 8 + 5
        assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", m["time"]) for m in rx.messages)
        assert sid
    finally:
        rx.close()
        sb.close()


def test_s3_sink_writes_gzipped_cloudtrail_by_hour_read_back_with_boto3() -> None:
    import boto3
    from botocore.config import Config

    sb = Sandbox()
    try:
        sb.api("POST", "/v1/storage/buckets?project=web", {"name": "audit-archive", "project": "web"})
        sa = sb.account("archiver", role="admin")
        key = sb.access_key(sa)
        sid = sb.api("POST", "/v1/audit/streams", {
            "name": "archive", "format": "cloudtrail",
            "sink": {"type": "s3", "bucket": "audit-archive", "prefix": "cd/"}})["stream"]["id"]
        for n in range(1, 16):
            mark(sb, n)
        s3 = boto3.client("s3", endpoint_url=sb.s3_url, region_name=REGION,
                          aws_access_key_id=key[0], aws_secret_access_key=key[1],
                          config=Config(s3={"addressing_style": "path"}))

        def records() -> List[Dict[str, Any]]:
            out: List[Dict[str, Any]] = []
            for o in s3.list_objects_v2(Bucket="audit-archive", Prefix="cd/").get("Contents", []):
                assert re.match(r"^cd/\d{4}/\d\d/\d\d/\d\d/" + sid + r"-\d{20}-\d{20}\.jsonl\.gz$", o["Key"]), o["Key"]
                body = s3.get_object(Bucket="audit-archive", Key=o["Key"])["Body"].read()
                out += [json.loads(line) for line in gzip.decompress(body).splitlines()]
            return out

        got = wait_for("the archive", lambda: (lambda rs: rs if set(range(1, 16)) <= set(
            marks_of(rs, lambda r: "&".join(f"{k}={v}" for k, v in r["requestParameters"].items() if k == "limit"))) else None)(records()))
        one = next(r for r in got if r["eventName"] == "compute.servers.list")
        assert one["eventVersion"] == "1.08" and one["eventSource"] == "compute.clouddigit.com"
        assert one["userIdentity"]["type"] == "ApiToken" and one["userIdentity"]["accessKeyId"].startswith("cd_")
        assert one["readOnly"] is True and one["awsRegion"] == REGION and one["recipientAccountId"]
        assert re.match(r"^[A-Za-z0-9+/]{43}=$", one["additionalEventData"]["hashedToken"])
        owner_hash = __import__("base64").b64encode(hashlib.sha256(sb.owner.encode()).digest()).decode()
        assert one["additionalEventData"]["hashedToken"] == owner_hash
    finally:
        sb.close()


def test_bad_streams_are_refused_by_field(sb: Sandbox) -> None:
    def refused(body: Dict[str, Any]) -> Dict[str, Any]:
        data = json.dumps(body).encode()
        req = urllib.request.Request(sb.url + "/v1/audit/streams", data=data, method="POST",
                                     headers={"Authorization": f"Bearer {sb.owner}", "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == 422
        return dict(json.loads(e.value.read()))

    err = refused({"name": "x", "sink": {"type": "webhook", "url": "http://siem.example.com/in"}})
    assert err["errors"][0]["field"] == "sink.url" and err["errors"][0]["code"] == "insecure_url"
    err = refused({"name": "x", "sink": {"type": "s3", "bucket": "nope"}})
    assert err["errors"][0]["code"] == "no_such_bucket"
    err = refused({"name": "", "sink": {"type": "syslog", "host": "127.0.0.1", "port": 0}})
    assert {e["field"] for e in err["errors"]} == {"name", "sink.port"}
    refused({"name": "x", "format": "xml", "sink": {"type": "syslog", "host": "h", "port": 1}})


def test_export_in_each_format(sb: Sandbox) -> None:
    mark(sb, 4242)
    for fmt, key in (("ocsf", "class_uid"), ("cloudtrail", "eventVersion"), ("json", "request_id")):
        lines = [json.loads(x) for x in raw_get(sb, f"/v1/audit/events/export?format={fmt}").splitlines() if x]
        assert lines and all(key in x for x in lines), fmt


def test_a_leaked_token_revoked_by_a_report_reaches_the_stream(sb: Sandbox) -> None:
    """The owner hears of a leak where their SIEM listens: the partner endpoint's
    revocation is an audit event, and so a stream event, in OCSF like any other."""
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    box: Dict[str, str] = {}
    hook = Webhook(box)
    hook.up()
    created = sb.api("POST", "/v1/audit/streams", {
        "name": "leaks", "format": "ocsf", "sink": {"type": "webhook", "url": f"http://127.0.0.1:{hook.port}/"}})
    box["secret"] = created["signing_secret"]
    sid = created["stream"]["id"]
    try:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        kid = sb.api("POST", "/v1/secret-scanning/keys", {"name": "stream-test", "key": pem})["key_identifier"]
        token = sb.api("POST", "/v1/iam/tokens", {"name": "leaky", "projects": ["web"], "permissions": "inherit",
                                                  "expires_in_days": 30})["secret"]
        body = json.dumps([{"token": token, "type": "clouddigit_api_token",
                            "url": "https://paste.example.test/x1", "source": "content"}]).encode()
        sig = base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
        req = urllib.request.Request(sb.url + "/v1/secret-scanning/alerts", data=body, method="POST", headers={
            "Content-Type": "application/json", "Github-Public-Key-Identifier": kid, "Github-Public-Key-Signature": sig})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert json.loads(r.read())[0]["action"] == "revoked"
        leak = wait_for("the leak's record", lambda: next((
            r for r in hook.records() if "leaked at https://paste.example.test/x1" in (r.get("unmapped", {}).get("detail") or "")), None))
        assert leak["class_uid"] == 6003 and leak["actor"]["user"]["name"] == "secret-scanning:stream-test"
        expected = base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()
        assert leak["unmapped"]["hashed_token"] == expected
        assert token not in json.dumps(hook.records())
        assert hook.bad_signatures == 0
    finally:
        sb.api("DELETE", f"/v1/audit/streams/{sid}")
        hook.down()


def test_the_log_keeps_what_a_stream_has_yet_to_send() -> None:
    """The log is the streams' outbox: trimming it to its maximum count skips nothing a
    paused stream still has to deliver."""
    sb = Sandbox("--audit-max-events", "100")
    box: Dict[str, str] = {}
    hook = Webhook(box)
    hook.up()
    try:
        created = sb.api("POST", "/v1/audit/streams", {
            "name": "slow", "sink": {"type": "webhook", "url": f"http://127.0.0.1:{hook.port}/"}})
        box["secret"] = created["signing_secret"]
        sid = created["stream"]["id"]
        sb.api("POST", f"/v1/audit/streams/{sid}/pause")
        for n in range(1, 301):
            mark(sb, n)
        assert stream(sb, sid)["health"]["buffered"] >= 300
        sb.api("POST", f"/v1/audit/streams/{sid}/resume")
        wait_for("all 300 calls", lambda: set(range(1, 301)) <= set(marks_of(hook.records(), lambda r: r.get("query"))))
        assert first_seen(marks_of(hook.records(), lambda r: r.get("query"))) == list(range(1, 301))
        # Once delivered, the log trims back to its maximum.
        for n in range(301, 321):
            mark(sb, n)
        wait_for("the log trimmed", lambda: len(raw_get(sb, "/v1/audit/events/export?format=jsonl").splitlines()) <= 110)
    finally:
        hook.down()
        sb.close()
