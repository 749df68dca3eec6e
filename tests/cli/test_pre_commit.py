"""The pre-commit framework runs `clouddigit scan` on a commit's staged files, as
.pre-commit-hooks.yaml declares it. The manifest is validated by pre-commit itself; the
hook then runs from a `repo: local` copy of that declaration (entry, types, filenames)
with the installed command, since installing it from the repository would build the
wheel from source inside the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def token(random: str) -> str:
    n = zlib.crc32(random.encode())
    out = ""
    for _ in range(6):
        out = ALPHABET[n % 62] + out
        n //= 62
    return f"cd_{random}{out}"


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(shutil.which("pre-commit", path=os.path.dirname(sys.executable)) is None,
                    reason="pre-commit is installed by scripts/test.sh")
def test_the_hook_stops_a_commit_that_stages_a_token(tmp_path: Path) -> None:
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ["PATH"],
           "HOME": str(tmp_path), "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    pre_commit = os.path.join(bindir, "pre-commit")
    assert run(pre_commit, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml"), cwd=tmp_path, env=env).returncode == 0

    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    local = {**hook, "language": "system"}
    repo = tmp_path / "repo"
    repo.mkdir()
    assert run("git", "init", "-q", cwd=repo, env=env).returncode == 0
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    secret = token("a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ")
    (repo / "settings.py").write_text(f"API_TOKEN = '{secret}'\n")
    (repo / "notes.md").write_text("nothing here\n")
    run("git", "add", ".", cwd=repo, env=env)
    r = run(pre_commit, "run", cwd=repo, env=env)  # the staged files
    assert r.returncode == 1, r.stdout + r.stderr
    assert "settings.py:1:" in r.stdout and secret[:9] in r.stdout
    assert secret not in r.stdout + r.stderr
    # The same line allowed: the hook passes.
    (repo / "settings.py").write_text(f"API_TOKEN = '{secret}'  # clouddigit:allow\n")
    run("git", "add", ".", cwd=repo, env=env)
    r = run(pre_commit, "run", cwd=repo, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
