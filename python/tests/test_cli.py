"""The installed `clouddigit` command (console script and `python -m clouddigit`): exit
statuses, output and the one-line errors of the core's CLI, through the real process."""

import json
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import clouddigit
from clouddigit.cli import main
from conftest import load_vectors

AUTH = load_vectors("authorize.json")
NOW = "2026-11-23T10:00:00Z"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def make_token(random: str) -> str:
    """A real token secret, checksummed with zlib.crc32 as tests/gen/token_vectors.py does."""
    assert len(random) == 36
    n = zlib.crc32(random.encode())
    out = []
    for _ in range(6):
        out.append(ALPHABET[n % 62])
        n //= 62
    return "cd_" + random + "".join(reversed(out))


def script() -> str:
    found = shutil.which("clouddigit", path=str(Path(sys.executable).parent)) or shutil.which("clouddigit")
    assert found, "the clouddigit console script is not installed next to the interpreter"
    return found


def run(*args: str, stdin: "str | None" = None, cwd: "Path | None" = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [script(), *args], input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=cwd, timeout=60
    )


def write(path: Path, data) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_console_script_and_module_run():
    assert Path(script()).is_file()
    r = run("--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: clouddigit")
    m = subprocess.run(
        [sys.executable, "-m", "clouddigit", "--help"], capture_output=True, text=True, encoding="utf-8", timeout=60
    )
    assert m.returncode == 0 and m.stdout == r.stdout
    r = run()
    assert r.returncode == 2 and r.stderr.startswith("usage: clouddigit") and r.stdout == ""
    r = run("frobnicate")
    assert r.returncode == 2 and r.stderr == 'clouddigit frobnicate: unknown command "frobnicate" (try --help)\n'


def test_check_allow_and_deny(tmp_path):
    token = write(tmp_path / "token.json", AUTH["tokens"]["alice_inherit"])
    owner = write(tmp_path / "owner.json", AUTH["owners"]["alice"])
    base = ["check", "--token", token, "--owner", owner, "--time", NOW]
    r = run(*base, "--action", "compute.servers.list", "--project", "web")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ALLOW compute.servers.list") and r.stderr == ""
    r = run(*base, "--call", "POST /v1/compute/servers", "--project", "nowhere")
    assert r.returncode == 1, r.stderr
    assert r.stdout.startswith("DENY  compute.servers.create") and "FAIL" in r.stdout
    r = run(*base, "--action", "compute.servers.list", "--project", "nowhere", "--json")
    assert r.returncode == 1
    [item] = json.loads(r.stdout)
    assert item["request"] == "command line" and item["decision"]["reason"] == "project_out_of_scope"


def test_check_runs_the_authorize_vectors(tmp_path):
    groups: dict = {}
    for c in AUTH["cases"]:
        key = (c["token"], c["owner"], json.dumps(c.get("policy"), sort_keys=True))
        groups.setdefault(key, []).append(c)
    assert len(groups) > 10
    for n, ((token_name, owner_name, policy), cases) in enumerate(groups.items()):
        args = [
            "check",
            "--token", write(tmp_path / f"t{n}.json", AUTH["tokens"][token_name]),
            "--owner", write(tmp_path / f"o{n}.json", AUTH["owners"][owner_name]),
            "--json",
        ]  # fmt: skip
        if policy != "null":
            args += ["--policy", write(tmp_path / f"p{n}.json", policy)]
        for c in cases:
            args += ["--request", json.dumps(c["request"])]
        r = run(*args)
        decisions = json.loads(r.stdout)
        assert [d["decision"]["reason"] for d in decisions] == [c["expect"]["reason"] for c in cases]
        assert r.returncode == (0 if all(c["expect"]["allowed"] for c in cases) else 1), r.stderr


def test_check_bad_input_is_one_line_naming_file_and_field(tmp_path):
    owner = write(tmp_path / "owner.json", AUTH["owners"]["alice"])
    misspelt = dict(AUTH["tokens"]["alice_down"], permissions=["compute.server.list"])
    token = write(tmp_path / "token.json", misspelt)
    r = run("check", "--token", token, "--owner", owner, "--action", "compute.servers.list", "--project", "web")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1, r.stderr
    assert token in r.stderr and "permissions[0]" in r.stderr and "compute.servers.list" in r.stderr
    wrong_type = write(tmp_path / "wrong.json", dict(AUTH["tokens"]["alice_down"], id=3))
    r = run("check", "--token", wrong_type, "--owner", owner, "--action", "compute.servers.list")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert f"{wrong_type}: id:" in r.stderr
    missing = str(tmp_path / "missing.json")
    r = run("check", "--token", missing, "--owner", owner, "--action", "compute.servers.list")
    assert r.returncode == 2 and r.stderr == f"clouddigit check: {missing}: no such file or directory\n"


def test_validate_vector_inputs(tmp_path):
    token_cases = load_vectors("validate_token.json")["cases"]
    sa_cases = load_vectors("validate_service_account.json")["cases"]
    picks = [token_cases[0], next(c for c in token_cases if c["expect"]["errors"]), sa_cases[0]]
    picks.append(next(c for c in sa_cases if c["expect"]["errors"]))
    for n, case in enumerate(picks):
        path = write(tmp_path / f"req{n}.json", case["input"])
        r = run("validate", path, "--json")
        assert r.returncode == (0 if case["expect"]["valid"] else 1), r.stderr
        got = json.loads(r.stdout)
        assert got["valid"] is case["expect"]["valid"]
        assert [[e["field"], e["code"]] for e in got["errors"]] == [e[:2] for e in case["expect"]["errors"]]
        assert got["preview"]["summary"]
        text = run("validate", path)
        assert text.returncode == r.returncode
        assert text.stdout.splitlines()[-1].startswith("valid: " if case["expect"]["valid"] else "not valid: ")
        for e in case["expect"]["errors"]:
            assert f"error   {e[0]}: " in text.stdout and f"[{e[1]}]" in text.stdout


def test_least_privilege_from_file_and_stdin(tmp_path):
    calls = 'GET /v1/compute/servers\n{"method": "GET", "path": "/v1/compute/servers/s-1"}\n# comment\n'
    path = write(tmp_path / "calls.txt", calls)
    r = run("least-privilege", path, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["permissions"] == ["compute.servers.get", "compute.servers.list"]
    r = run("least-privilege", "-", stdin=calls)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("permissions (2 from 2 calls):\n  compute.servers.get\n  compute.servers.list\n")
    r = run("least-privilege", "-", "--role", "owner", stdin=calls)
    assert r.returncode == 2 and "--role" in r.stderr


def test_lint_inventory(tmp_path):
    never = dict(AUTH["tokens"]["alice_never"], last_used_at=None)
    fine = dict(AUTH["tokens"]["alice_down"], last_used_at=NOW)
    path = write(tmp_path / "inventory.jsonl", "\n".join(json.dumps(t) for t in (never, fine)) + "\n")
    r = run("lint", path, "--now", NOW, "--json")
    assert r.returncode == 1, r.stderr
    findings = json.loads(r.stdout)
    assert "never_expires" in [f["code"] for f in findings if f["token_id"] == never["id"]]
    r = run("lint", path, "--now", NOW)
    assert r.returncode == 1 and "[never_expires]" in r.stdout and r.stdout.endswith("in 2 token(s)\n")
    bad = write(tmp_path / "bad.jsonl", '{"id": 1}\n')
    r = run("lint", bad)
    assert r.returncode == 2 and r.stderr.startswith(f"clouddigit lint: {bad}:1:") and r.stderr.count("\n") == 1


def test_scan_prints_only_the_prefix(tmp_path):
    secret = make_token("a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ")
    assert clouddigit.is_token(secret)
    (tmp_path / "src").mkdir()
    write(tmp_path / "src" / "app.env", f"X=1\nTOKEN={secret}\n")
    write(tmp_path / "src" / "clean.txt", "nothing to see\n")
    (tmp_path / "src" / "blob.bin").write_bytes(b"\0\1\2" + secret.encode())
    for skipped in ("node_modules", ".git", "target"):
        (tmp_path / "src" / skipped).mkdir()
        write(tmp_path / "src" / skipped / "leak.txt", secret)
    r = run("scan", "src", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert r.stdout == f"{os.path.join('src', 'app.env')}:2:7: Cloud Digit token {secret[:9]}…\n"
    assert r.stderr == "scanned 3 file(s): 1 token(s) found\n"
    assert secret[9:] not in r.stdout + r.stderr
    assert not any(secret[i : i + 8] in r.stdout + r.stderr for i in range(9, len(secret) - 7))
    r = run("scan", "src", "--json", cwd=tmp_path)
    assert r.returncode == 1
    assert json.loads(r.stdout) == [{"file": os.path.join("src", "app.env"), "line": 2, "column": 7, "prefix": secret[:9]}]
    r = run("scan", str(tmp_path / "src" / "clean.txt"))
    assert r.returncode == 0 and r.stdout == "" and "0 token(s) found" in r.stderr
    r = run("scan", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nowhere" in r.stderr


def test_catalog_json():
    r = run("catalog", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    built_in = clouddigit.catalog()
    assert got["version"] == built_in.version
    assert [p["name"] for p in got["permissions"]] == [p.name for p in built_in.permissions]
    assert all(p["routes"] and p["roles"] for p in got["permissions"])
    r = run("catalog", "no-such-permission")
    assert r.returncode == 1 and r.stdout.startswith("0 permission(s)")


def test_in_process_output_goes_through_sys_stdout(capsys):
    with pytest.raises(SystemExit) as info:
        main(["catalog", "object_lock"])
    assert info.value.code == 0
    out, err = capsys.readouterr()
    assert "storage.buckets.disable_object_lock" in out and "[MFA step-up]" in out and err == ""
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "clouddigit check: --token FILE is required\n"
    assert clouddigit._native.run_cli(["catalog", "object_lock", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["permissions"]
