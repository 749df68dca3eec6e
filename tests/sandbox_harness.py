"""A sandbox binary on free ports, for the tests that drive it with real clients
(tests/s3: boto3, the aws CLI; tests/oidc: the token exchange with an issuer of the
test's own). CLOUDDIGIT_SANDBOX_BIN, else target/debug/clouddigit-sandbox."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

ROOT = Path(__file__).resolve().parents[1]


def sandbox_bin() -> Path:
    env = os.environ.get("CLOUDDIGIT_SANDBOX_BIN")
    return Path(env) if env else ROOT / "target" / "debug" / "clouddigit-sandbox"


class Key:
    """An access key: the id, and a secret that never shows in a repr (pytest prints a
    failing test's arguments, and the leak sweep searches the suite's output)."""

    def __init__(self, key_id: str, secret: str) -> None:
        self.id, self.secret = key_id, secret

    def __repr__(self) -> str:
        return f"Key({self.id}, secret=...)"

    def __iter__(self) -> Iterator[str]:
        return iter((self.id, self.secret))

    def __getitem__(self, i: int) -> str:
        return (self.id, self.secret)[i]


class Sandbox:
    def __init__(self, *extra: str) -> None:
        self.dir = tempfile.TemporaryDirectory()
        token_file = Path(self.dir.name) / "token"
        log = Path(self.dir.name) / "out"
        self.log = open(log, "w+", encoding="utf-8")
        self.proc = subprocess.Popen(
            [str(sandbox_bin()), "--port", "0", "--token-file", str(token_file), "--no-console",
             "--rate-burst", "0", "--failure-burst", "0", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.time() + 20
        text = ""
        while time.time() < deadline:
            text = log.read_text(encoding="utf-8")
            if "S3 endpoint at" in text and "listening on" in text:
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        api = re.search(r"listening on (\S+)", text)
        s3 = re.search(r"S3 endpoint at (\S+)", text)
        if not api or not s3:
            self.proc.kill()
            raise RuntimeError(f"sandbox did not start: {text!r}")
        self.url = api.group(1)
        self.s3_url = s3.group(1)
        self.owner = token_file.read_text(encoding="utf-8").strip()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        self.dir.cleanup()

    def api(self, method: str, path: str, body: Optional[Dict[str, Any]] = None, token: Optional[str] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"Bearer {token or self.owner}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} {e.read().decode()}") from None
        return json.loads(raw) if raw else None

    def account(self, name: str, role: str = "member", project: str = "web",
                tag_selector: Optional[Dict[str, str]] = None) -> str:
        body: Dict[str, Any] = {"name": name, "role": role, "project": project}
        if tag_selector:
            body["tag_selector"] = tag_selector
        return str(self.api("POST", f"/v1/iam/service-accounts?project={project}", body)["service_account"]["id"])

    def access_key(self, sa_id: str) -> Key:
        k = self.api("POST", f"/v1/iam/service-accounts/{sa_id}/access-keys")
        return Key(str(k["id"]), str(k["secret"]))

    def advance(self, seconds: int) -> None:
        self.api("POST", "/_sandbox/clock", {"advance_seconds": seconds})

    def reset_clock(self) -> None:
        self.api("POST", "/_sandbox/clock", {"reset": True})

    def audit(self, **query: str) -> Any:
        q = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in query.items())
        return self.api("GET", f"/v1/audit/events?{q}")["events"]
