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
    [found] = json.loads(r.stdout)
    assert {k: found[k] for k in ("file", "line", "column", "prefix", "kind")} == {
        "file": os.path.join("src", "app.env"), "line": 2, "column": 7, "prefix": secret[:9], "kind": "api_token"
    }  # fmt: skip
    assert len(found["fingerprint"]) == 32 and secret[9:] not in r.stdout
    r = run("scan", str(tmp_path / "src" / "clean.txt"))
    assert r.returncode == 0 and r.stdout == "" and "0 token(s) found" in r.stderr
    r = run("scan", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nowhere" in r.stderr


SCAN = load_vectors("scan.json")


def secret_for(stem: str, random: str) -> str:
    return stem + make_token(random)[3:]


def build_tree(root: Path) -> None:
    """The shared scan tree (tests/vectors/scan.json), in a git work tree."""
    import re

    def fill(m: "re.Match[str]") -> str:
        return secret_for(m.group(1), SCAN["tokens"][m.group(2)])

    for rel, text in SCAN["files"].items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(re.sub(r"\{([a-z%0-9A-F_]+):([A-Z])\}", fill, text).encode("utf-8"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")  # fmt: skip
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_scan_vector_tree_gitignore_allow_and_hidden(tmp_path):
    build_tree(tmp_path / "tree")
    r = run("scan", "tree", "--json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    got = [{k: f[k] for k in ("file", "line", "column", "prefix", "kind")} for f in json.loads(r.stdout)]
    assert got == [dict(e, file="tree/" + e["file"]) for e in SCAN["expect"]]
    text = run("scan", "tree", cwd=tmp_path)
    assert text.stderr == (
        f"scanned {SCAN['files_scanned']} file(s): {len(SCAN['expect'])} token(s) found, "
        f"{SCAN['allowed']} allowed (clouddigit:allow)\n"
    )
    assert text.stdout.splitlines()[0] == "tree/.hidden/.env:1:3: Cloud Digit token cd_QwErTy…"
    r = run("scan", "tree", "--json", "--no-gitignore", cwd=tmp_path)
    files = sorted(f["file"] for f in json.loads(r.stdout))
    want = sorted("tree/" + e["file"] for e in SCAN["expect"] + SCAN["expect_also_without_gitignore"])
    assert files == want
    for stem in ("cd_", "cdcs_", "cdsk_"):
        for name in SCAN["tokens"]:
            secret = secret_for(stem, SCAN["tokens"][name])
            assert secret[len(stem) + 6 :] not in r.stdout + r.stderr + text.stdout + text.stderr


def validate_sarif(doc: dict) -> None:
    """The parts of SARIF 2.1.0 that GitHub code scanning reads, checked by shape."""
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    [run_] = doc["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "clouddigit" and driver["rules"]
    ids = [r["id"] for r in driver["rules"]]
    assert len(set(ids)) == len(ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    for res in run_["results"]:
        assert res["ruleId"] == ids[res["ruleIndex"]]
        assert res["level"] == "error" and res["message"]["text"]
        [loc] = res["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert uri and "\\" not in uri and not uri.startswith("./")
        region = loc["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1 and region["endColumn"] > region["startColumn"]
        fp = res["partialFingerprints"]["clouddigitSecret/v1"]
        assert len(fp) == 32 and int(fp, 16) >= 0


def test_scan_sarif(tmp_path):
    build_tree(tmp_path / "tree")
    r = run("scan", "tree", "--sarif", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    validate_sarif(doc)
    results = doc["runs"][0]["results"]
    assert len(results) == len(SCAN["expect"])
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in results]
    assert "tree/src/%C3%A9/%C3%BC.md" in uris
    for name in SCAN["tokens"]:
        assert make_token(SCAN["tokens"][name])[9:] not in r.stdout


def test_scan_baseline(tmp_path):
    build_tree(tmp_path / "tree")
    r = run("scan", "tree", "--write-baseline", "base.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    base = (tmp_path / "base.json").read_text()
    assert json.loads(base)["clouddigit_scan_baseline"] == 1
    for name in SCAN["tokens"]:
        assert SCAN["tokens"][name][6:] not in base
    r = run("scan", "tree", "--baseline", "base.json", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "" and "in the baseline" in r.stderr, r.stderr
    new = make_token("N" * 36)
    (tmp_path / "tree" / "new.env").write_text(f"T={new}\n")
    r = run("scan", "tree", "--baseline", "base.json", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == f"tree/new.env:1:3: Cloud Digit token {new[:9]}…\n"
    (tmp_path / "bad.json").write_text("[]")
    r = run("scan", "tree", "--baseline", "bad.json", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "bad.json" in r.stderr


def test_scan_stdin():
    secret = make_token("S" * 36)
    r = run("scan", "--stdin", stdin=f"one\ntwo {secret}\n")
    assert r.returncode == 1 and r.stdout == f"<stdin>:2:5: Cloud Digit token {secret[:9]}…\n"
    assert r.stderr == "scanned 1 file(s): 1 token(s) found\n"
    r = run("scan", "--stdin", stdin="nothing\n")
    assert r.returncode == 0 and r.stdout == ""
    r = run("scan", "--stdin", "path")
    assert r.returncode == 2


def test_scan_git_history_finds_a_deleted_token(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    secret = make_token("G" * 36)
    (repo / "README").write_text("hello\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    (repo / "config.env").write_text(f"A=1\nTOKEN={secret}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "oops")
    leaked_in = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", "config.env")
    git(repo, "commit", "-qm", "remove it")
    # The work tree is clean ...
    assert run("scan", ".", cwd=repo).returncode == 0
    # ... the history is not.
    r = run("scan", "--git", cwd=repo)
    assert r.returncode == 1, r.stderr
    assert r.stdout == f"{leaked_in[:12]}:config.env:2:7: Cloud Digit token {secret[:9]}…\n"
    assert r.stderr == "scanned 2 blob(s): 1 token(s) found\n"
    r = run("scan", "--git", "HEAD", "--json", "--repo", str(repo))
    [f] = json.loads(r.stdout)
    assert f["commit"] == leaked_in and f["file"] == "config.env" and f["line"] == 2
    assert secret[9:] not in r.stdout
    r = run("scan", "--git", "--sarif", cwd=repo)
    validate_sarif(json.loads(r.stdout))
    assert json.loads(r.stdout)["runs"][0]["results"][0]["properties"]["commit"] == leaked_in
    # Only the first commit: nothing. A ref that does not exist: bad input.
    assert run("scan", "--git", "HEAD~2", cwd=repo).returncode == 0
    r = run("scan", "--git", "no-such-ref", cwd=repo)
    assert r.returncode == 2 and r.stderr.startswith("clouddigit scan: --git: ") and r.stderr.count("\n") == 1


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


EVENTS = [
    {"id": "ev_1", "time": NOW, "token_prefix": "cd_aaaaaa", "method": "GET", "path": "/v1/compute/servers",
     "query": None, "project": "web", "status": 200, "source_ip": "203.0.113.1", "request_id": "req_1"},
    {"id": "ev_2", "time": NOW, "token_prefix": "cd_aaaaaa", "method": "POST", "path": "/v1/compute/servers/s-1/start",
     "query": None, "project": "web", "status": 403, "source_ip": "203.0.113.1", "request_id": "req_2"},
    {"id": "ev_3", "time": NOW, "token_prefix": "cd_bbbbbb", "method": "DELETE", "path": "/v1/compute/servers/s-1",
     "query": None, "project": "web", "status": 200, "source_ip": "198.51.100.7", "request_id": "req_3",
     "user_agent": "clouddigit-python/0.1 GitHub-Actions"},
]  # fmt: skip
API_TOKEN = {
    "id": "tok_1", "name": "deploy-bot", "prefix": "cd_aaaaaa", "owner": {"type": "user", "id": "u"},
    "organization": "acme", "projects": ["web", "data"], "permissions": ["compute.servers.list", "storage.*"],
    "created_at": "2026-11-01T00:00:00Z", "expires_at": "2026-12-20T00:00:00Z", "allowed_ips": ["203.0.113.0/24"],
    "status": "active", "kind": "personal", "last_used_at": "2026-11-22T00:00:00Z", "created_by": None, "parent_id": None,
}  # fmt: skip


def jsonl(rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_least_privilege_streams_gzip_and_stdin(tmp_path):
    import gzip

    plain = jsonl(EVENTS)
    gz = tmp_path / "events.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.encode()))
    want = ["compute.servers.delete", "compute.servers.list", "compute.servers.start"]
    r = run("least-privilege", str(gz), "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["permissions"] == want and got["calls"] == 3
    # Gzip on standard input, detected by its magic bytes.
    p = subprocess.run([script(), "least-privilege", "-", "--json"], input=gz.read_bytes(), capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["permissions"] == want
    r = run("least-privilege", "-", "--token-prefix", "cd_bbbbbb", stdin=plain)
    assert r.returncode == 0 and r.stdout.startswith("permissions (1 from 1 calls):\n  compute.servers.delete\n")
    truncated = tmp_path / "cut.gz"
    truncated.write_bytes(gz.read_bytes()[:-6])
    r = run("least-privilege", str(truncated))
    assert r.returncode == 2 and r.stderr.startswith(f"clouddigit least-privilege: {truncated}: not a valid gzip stream")
    bad = write(tmp_path / "bad.jsonl", plain + '{"method": "GET"}\n')
    r = run("least-privilege", bad)
    assert r.returncode == 2 and r.stderr == f'clouddigit least-privilege: {bad}:4: an audit event needs "method" and "path"\n'


def test_least_privilege_against_a_token(tmp_path):
    events = write(tmp_path / "events.jsonl", jsonl(EVENTS))
    token = write(tmp_path / "token.json", API_TOKEN)
    r = run("least-privilege", events, "--against", token, "--json")
    assert r.returncode == 1, r.stderr
    got = json.loads(r.stdout)
    assert got["calls"] == 2 and got["other_token_events"] == 1
    d = got["against"]
    assert d["prefix"] == "cd_aaaaaa" and d["remove"] == ["storage.*"] and d["missing"] == ["compute.servers.start"]
    assert d["unused_projects"] == ["data"] and d["missing_projects"] == []
    assert d["suggested"] == ["compute.servers.list", "compute.servers.start"]
    r = run("least-privilege", events, "--against", token)
    assert r.returncode == 1
    assert "  remove (granted, never used):\n    - storage.*\n" in r.stdout
    assert "  missing (used, not granted: these calls are denied):\n    + compute.servers.start\n" in r.stdout
    exact = write(tmp_path / "exact.json", dict(API_TOKEN, projects=["web"], permissions=d["suggested"]))
    r = run("least-privilege", events, "--against", exact)
    assert r.returncode == 0 and "exact: the token grants what its calls use" in r.stdout
    r = run("least-privilege", events, "--against", events)
    assert r.returncode == 2 and events in r.stderr


def test_lint_new_findings(tmp_path):
    ci = dict(API_TOKEN)
    alice = dict(API_TOKEN, id="tok_2", name="alice", prefix="cd_bbbbbb")
    stale = dict(API_TOKEN, id="tok_3", name="old", prefix="cd_cccccc", allowed_ips=[], last_used_at="2026-10-01T00:00:00Z")
    inventory = tmp_path / "tokens.jsonl.gz"
    import gzip

    inventory.write_bytes(gzip.compress(jsonl([ci, alice, stale]).encode()))
    audit = write(tmp_path / "audit.jsonl", jsonl(EVENTS))
    policy = write(tmp_path / "policy.json", {"max_lifetime_days": 30, "allow_never_expiring": False})
    r = run("lint", str(inventory), "--now", NOW, "--audit", audit, "--policy", policy, "--unused-days", "30", "--json")
    assert r.returncode == 1, r.stderr
    got = [(f["prefix"], f["code"], f["severity"]) for f in json.loads(r.stdout)]
    assert got == [
        ("cd_aaaaaa", "personal_token_ci_name", "medium"),
        ("cd_aaaaaa", "policy_max_lifetime", "high"),
        ("cd_bbbbbb", "personal_token_ci_usage", "high"),
        ("cd_bbbbbb", "policy_max_lifetime", "high"),
        ("cd_cccccc", "unused90_days", "medium"),
        ("cd_cccccc", "no_allow_list", "low"),
        ("cd_cccccc", "policy_max_lifetime", "high"),
    ]
    r = run("lint", str(inventory), "--now", NOW, "--audit", audit)
    assert r.returncode == 1
    assert r.stdout.startswith("medium deploy-bot (cd_aaaaaa…): a personal token named for CI")
    assert "high   alice (cd_bbbbbb…): a personal token used like CI: 1 call(s) came from a CI user agent" in r.stdout
    assert r.stdout.endswith("in 3 token(s)\n")
    r = run("lint", str(inventory), "--unused-days", "soon")
    assert r.returncode == 2 and "--unused-days" in r.stderr
