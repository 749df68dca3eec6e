"""Starts the real sandbox binary on an ephemeral port for the client tests."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional

ROOT = Path(__file__).resolve().parents[2]


def sandbox_bin() -> Path:
    env = os.environ.get("CLOUDDIGIT_SANDBOX_BIN")
    return Path(env) if env else ROOT / "target" / "debug" / "clouddigit-sandbox"


class Sandbox:
    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        token_file = Path(self._dir.name) / "token"
        self.proc = subprocess.Popen(
            [str(sandbox_bin()), "--port", "0", "--token-file", str(token_file), "--no-console"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        marker = "listening on "
        if marker not in line:
            self.proc.kill()
            raise RuntimeError(f"sandbox did not start: {line!r}")
        self.url = line.split(marker, 1)[1].strip()
        self.base = self.url + "/v1"
        self.owner = token_file.read_text(encoding="utf-8").strip()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._dir.cleanup()

    def admin(self, path: str, body: Optional[Dict[str, Any]] = None, method: str = "POST") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.owner}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def faults(self, **plan: Any) -> None:
        self.admin("/_sandbox/faults", plan)

    def advance(self, seconds: int) -> None:
        self.admin("/_sandbox/clock", {"advance_seconds": seconds})

    def user_token(self, user: str, projects: Any) -> str:
        v = self.admin(
            f"/_sandbox/users/{user}/tokens",
            {"name": f"{user}-test", "projects": projects, "expires_in_days": 30},
        )
        return str(v["secret"])
