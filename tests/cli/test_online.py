"""The `clouddigit` command's online half, end to end, from both packages: the pip
command (`clouddigit`, the wheel's entry point) and the npm one (`node js/cli.js`), each
against a real sandbox, with `configure` writing to a real keychain (gnome-keyring's
Secret Service, started by scripts/with-keyring.sh around this run).

Every test runs once per package: one core, two hosts. Each test has a HOME of its own,
so the config file, the token file and the keychain profile it writes are its own."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sandbox_harness import ROOT, Sandbox  # noqa: E402

PIP_CLI = os.environ.get("CLOUDDIGIT_PIP_CLI") or shutil.which("clouddigit") or "clouddigit"
NPM_CLI = ["node", str(ROOT / "js" / "cli.js")]
KEYRING = os.environ.get("CLOUDDIGIT_TEST_KEYRING") == "1"


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    s = Sandbox()
    yield s
    s.close()


class Cli:
    """One package's command, with a HOME of the test's own."""

    def __init__(self, argv0: List[str], home: Path, box: Sandbox) -> None:
        self.argv0, self.home, self.box = argv0, home, box

    def env(self, **extra: str) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CD_")}
        env["HOME"] = str(self.home)
        env.update(extra)
        return env

    def __call__(self, *args: str, stdin: Optional[str] = None, env: Optional[Dict[str, str]] = None,
                 sandbox_env: bool = False, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        e = env if env is not None else self.env()
        if sandbox_env:
            e = {**e, "CD_BASE_URL": self.box.url + "/v1", "CD_ALLOW_INSECURE_HTTP": "1"}
        return subprocess.run([*self.argv0, *args], input=stdin, capture_output=True, text=True,
                              env=e, timeout=timeout)

    def owner(self, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        """As the sandbox's owner, through CD_API_TOKEN."""
        e = {**self.env(), "CD_API_TOKEN": self.box.owner}
        return self(*args, env=e, sandbox_env=True, **kw)  # type: ignore[arg-type]

    def configure(self, token: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return self("configure", "--token-stdin", "--base-url", self.box.url + "/v1",
                    "--allow-insecure-http", "--project", "web", *extra, stdin=token + "\n")


@pytest.fixture(params=["pip", "npm"])
def cli(request: pytest.FixtureRequest, box: Sandbox, tmp_path: Path) -> Cli:
    argv0 = [PIP_CLI] if request.param == "pip" else NPM_CLI
    home = tmp_path / "home"
    home.mkdir()
    return Cli(argv0, home, box)


def new_token(box: Sandbox, name: str, **draft: object) -> str:
    body = {"name": name, "projects": ["web"], "permissions": "inherit", "expires_in_days": 30, **draft}
    return str(box.api("POST", "/v1/iam/tokens", body)["secret"])


def keychain_lookup(profile: str) -> Optional[str]:
    r = subprocess.run(["secret-tool", "lookup", "service", "clouddigit", "username", profile],
                       capture_output=True, text=True)
    return r.stdout.strip() or None


def unique(prefix: str) -> str:
    return f"{prefix}-{time.time_ns() % 10**9}"


needs_keyring = pytest.mark.skipif(not KEYRING, reason="run under scripts/with-keyring.sh (a real gnome-keyring)")


@needs_keyring
def test_configure_keeps_the_token_in_the_keychain_and_every_sdk_finds_it(cli: Cli) -> None:
    token = new_token(cli.box, unique("laptop"))
    profile = unique("p")
    r = cli.configure(token, "--profile", profile)
    assert r.returncode == 0, r.stderr
    assert token not in r.stdout + r.stderr
    assert token[:9] in r.stdout and "owner@acme.example" in r.stdout
    assert "may do in web" in r.stdout
    assert keychain_lookup(profile) == token
    config = cli.home / ".config" / "cd" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    settings = json.loads(config.read_text())["profiles"][profile]
    assert settings["token_store"] == "keychain" and settings["project"] == "web"
    assert token not in config.read_text()
    assert not (cli.home / ".config" / "cd" / "token").exists()

    # No variable but the profile: the command and both SDKs find the keychain's token.
    env = {**cli.env(), "CD_PROFILE": profile}
    who = cli("whoami", "--json", env=env)
    assert who.returncode == 0, who.stderr
    w = json.loads(who.stdout)
    assert w["credential_source"] == {"kind": "keychain", "profile": profile}
    assert w["whoami"]["token"]["prefix"] == token[:9]
    py = subprocess.run([sys.executable, "-c", "import clouddigit; print(clouddigit.Client().whoami().token.prefix)"],
                        capture_output=True, text=True, env=env)
    assert py.returncode == 0 and py.stdout.strip() == token[:9], py.stderr
    js = subprocess.run(["node", "--input-type=module", "-e",
                         f"import {{ Client }} from '{ROOT / 'js' / 'node.js'}';"
                         "console.log((await new Client().whoami()).token.prefix)"],
                        capture_output=True, text=True, env=env)
    assert js.returncode == 0 and js.stdout.strip() == token[:9], js.stderr
    # CD_API_TOKEN still comes first.
    other = new_token(cli.box, unique("env"))
    who = cli("whoami", "--json", env={**env, "CD_API_TOKEN": other})
    assert json.loads(who.stdout)["whoami"]["token"]["prefix"] == other[:9]

    out = cli("logout", env=env)
    assert out.returncode == 0 and "keychain entry" in out.stdout, out.stderr
    assert keychain_lookup(profile) is None
    gone = cli("whoami", env=env)
    assert gone.returncode == 2 and "clouddigit configure" in gone.stderr


def test_configure_refuses_a_bad_token_offline(cli: Cli) -> None:
    token = new_token(cli.box, unique("typo"))
    typo = token[:-1] + ("A" if token[-1] != "A" else "B")
    r = cli.configure(typo)
    assert r.returncode == 2
    assert "checksum" in r.stderr and typo not in r.stderr
    assert not (cli.home / ".config" / "cd" / "config.json").exists()
    # A well-formed token the API does not know: denied online, nothing stored.
    r = cli.configure("cd_" + "Z" * 36 + token[-6:])
    assert r.returncode in (1, 2), r.stderr
    assert not (cli.home / ".config" / "cd" / "config.json").exists()


def test_without_a_keychain_the_file_only_when_asked(cli: Cli) -> None:
    token = new_token(cli.box, unique("nokeychain"))
    no_bus = {**cli.env(), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    args = ["configure", "--token-stdin", "--base-url", cli.box.url + "/v1", "--allow-insecure-http"]
    r = cli(*args, stdin=token, env=no_bus)
    assert r.returncode == 2 and "no keychain available" in r.stderr and "--store file" in r.stderr
    r = cli(*args, "--store", "file", stdin=token, env=no_bus)
    assert r.returncode == 0, r.stderr
    path = cli.home / ".config" / "cd" / "token"
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    who = cli("whoami", "--json", env=no_bus)
    assert json.loads(who.stdout)["credential_source"] == {"kind": "file", "path": str(path)}
    # rotate --self writes the new secret back to the file; the old one is in its grace.
    rot = cli("tokens", "rotate", "--self", env=no_bus)
    assert rot.returncode == 0, rot.stderr
    new = path.read_text().strip()
    assert new != token and new not in rot.stdout + rot.stderr
    assert cli.box.api("GET", "/v1/iam/whoami", token=new)["token"]["prefix"] == new[:9]
    assert cli.box.api("GET", "/v1/iam/whoami", token=token)["token"]["prefix"] == token[:9]
    assert cli("logout", env=no_bus).returncode == 0
    assert not path.exists()


@needs_keyring
def test_rotate_self_updates_the_keychain(cli: Cli) -> None:
    token = new_token(cli.box, unique("pipeline"))
    profile = unique("rot")
    assert cli.configure(token, "--profile", profile).returncode == 0
    env = {**cli.env(), "CD_PROFILE": profile}
    r = cli("tokens", "rotate", "--self", "--json", env=env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert "secret" not in out and out["stored_in"].startswith("the OS keychain")
    new = keychain_lookup(profile)
    assert new and new != token and new not in r.stdout
    assert out["token"]["prefix"] == new[:9]
    assert cli("whoami", "--json", env=env).returncode == 0
    cli("logout", env=env)


def test_tokens_secret_once_and_exit_codes(cli: Cli, tmp_path: Path) -> None:
    name = unique("deploy")
    r = cli.owner("tokens", "create", "--name", name, "--project", "web",
                  "--permission", "compute.servers.list", "--expires", "30d")
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip()
    assert secret.startswith("cd_") and len(r.stdout.splitlines()) == 1
    assert secret[:9] in r.stderr and secret not in r.stderr
    listed = cli.owner("tokens", "list", "--json")
    mine = [t for t in json.loads(listed.stdout) if t["name"] == name]
    assert len(mine) == 1 and mine[0]["prefix"] == secret[:9]
    assert secret not in listed.stdout
    text = cli.owner("tokens", "list")
    assert secret[:9] in text.stdout and secret not in text.stdout

    # The new token may list servers and nothing else: exit 1 when denied.
    as_new = {**cli.env(), "CD_API_TOKEN": secret}
    assert cli("compute", "servers", "list", "--project", "web", env=as_new, sandbox_env=True).returncode == 0
    denied = cli("tokens", "create", "--name", unique("x"), env=as_new, sandbox_env=True)
    assert denied.returncode in (1, 2)
    denied = cli("storage", "buckets", "list", "--project", "web", env=as_new, sandbox_env=True)
    assert denied.returncode == 1 and "HTTP 403" in denied.stderr

    # --secret-file: 0600, nothing secret on stdout.
    path = tmp_path / "out" / "secret"
    r = cli.owner("tokens", "create", "--name", unique("file"), "--project", "web", "--secret-file", str(path), "--json")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    in_file = path.read_text().strip()
    assert in_file.startswith("cd_") and in_file not in r.stdout
    assert json.loads(r.stdout)["secret_file"] == str(path)

    got = cli.owner("tokens", "get", mine[0]["id"], "--json")
    assert json.loads(got.stdout)["permissions"] == ["compute.servers.list"]
    rev = cli.owner("tokens", "revoke", mine[0]["id"])
    assert rev.returncode == 0 and secret[:9] in rev.stdout
    after = cli("whoami", env=as_new, sandbox_env=True)
    assert after.returncode == 1, after.stderr

    # Bad input 2, API errors 3.
    assert cli.owner("tokens", "create", "--bogus", "x").returncode == 2
    assert cli.owner("tokens", "get", "tok_doesnotexist").returncode == 3
    closed = {**cli.env(), "CD_API_TOKEN": cli.box.owner, "CD_BASE_URL": "http://127.0.0.1:9/v1",
              "CD_ALLOW_INSECURE_HTTP": "1"}
    assert cli("tokens", "list", env=closed, timeout=120).returncode == 3


def test_dry_run_sends_no_create(cli: Cli) -> None:
    before = len(cli.box.api("GET", "/v1/iam/tokens")["tokens"])
    bad = cli.owner("tokens", "create", "--name", unique("dry"), "--permission", "no.such.permission", "--dry-run")
    assert bad.returncode == 2 and "error" in bad.stdout and "permissions" in bad.stdout
    good = cli.owner("tokens", "create", "--name", unique("dry"), "--project", "web", "--expires", "90d", "--dry-run", "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["valid"] is True
    # Local validation before a real create: a bad draft never reaches the API.
    real = cli.owner("tokens", "create", "--name", unique("dry"), "--project", "web", "--allowed-ip", "10.0.0.300")
    assert real.returncode == 2 and "allowed_ips" in real.stderr
    assert len(cli.box.api("GET", "/v1/iam/tokens")["tokens"]) == before


def test_service_accounts_tokens_and_access_keys(cli: Cli) -> None:
    name = unique("builder")
    r = cli.owner("service-accounts", "create", "--name", name, "--role", "admin", "--project", "web", "--json")
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)
    sa = created["service_account"]["id"]
    assert created["client_secret"]
    listed = cli.owner("service-accounts", "list", "--project", "web")
    assert sa in listed.stdout and created["client_secret"] not in listed.stdout
    assert cli.owner("service-accounts", "get", sa, "--json").returncode == 0
    assert json.loads(cli.owner("service-accounts", "disable", sa, "--json").stdout)["status"] == "disabled"
    assert json.loads(cli.owner("service-accounts", "enable", sa, "--json").stdout)["status"] == "active"

    t = cli.owner("service-accounts", "tokens", "create", sa, "--name", "ci", "--project", "web", "--expires", "30d")
    assert t.returncode == 0, t.stderr
    secret = t.stdout.strip()
    toks = json.loads(cli.owner("service-accounts", "tokens", "list", sa, "--json").stdout)
    assert [x["prefix"] for x in toks] == [secret[:9]]
    # The account's own token rotates itself (--self on a service-account token).
    as_sa = {**cli.env(), "CD_API_TOKEN": secret}
    rot = cli("tokens", "rotate", "--self", env=as_sa, sandbox_env=True)
    assert rot.returncode == 0, rot.stderr
    new = rot.stdout.strip()
    assert new.startswith("cd_") and new != secret
    assert "CD_API_TOKEN" in rot.stderr
    toks = json.loads(cli.owner("service-accounts", "tokens", "list", sa, "--json").stdout)
    new_id = [x["id"] for x in toks if x["prefix"] == new[:9]][0]
    rv = cli.owner("service-accounts", "tokens", "revoke", sa, new_id)
    assert rv.returncode == 0 and new[:9] in rv.stdout

    k = cli.owner("service-accounts", "access-keys", "create", sa, "--json")
    assert k.returncode == 0, k.stderr
    key = json.loads(k.stdout)
    keys = cli.owner("service-accounts", "access-keys", "list", sa)
    assert key["id"] in keys.stdout and key["secret"] not in keys.stdout
    assert cli.owner("service-accounts", "access-keys", "delete", sa, key["id"]).returncode == 0
    assert key["id"] not in cli.owner("service-accounts", "access-keys", "list", sa).stdout
    assert cli.owner("service-accounts", "delete", sa).returncode == 0
    assert cli.owner("service-accounts", "get", sa).returncode == 3


def test_audit_tail_follow_and_export(cli: Cli, tmp_path: Path) -> None:
    marker = unique("audit")
    cli.box.api("GET", f"/v1/iam/tokens?limit=1&x={marker}")
    tail = cli.owner("audit", "tail", "-n", "5", "--json")
    assert tail.returncode == 0, tail.stderr
    events = [json.loads(line) for line in tail.stdout.splitlines()]
    assert 1 <= len(events) <= 5
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)

    # --follow prints what happens after it started (two polls, half a second apart).
    env = {**cli.env(), "CD_API_TOKEN": cli.box.owner, "CD_BASE_URL": cli.box.url + "/v1",
           "CD_ALLOW_INSECURE_HTTP": "1", "CD_CLI_FOLLOW_POLLS": "5"}
    p = subprocess.Popen([*cli.argv0, "audit", "tail", "-n", "1", "--follow", "--interval", "0.7", "--json",
                          "--status", "404"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(0.4)
    for i in range(3):
        try:
            cli.box.api("GET", f"/v1/iam/tokens/tok_{marker.replace('-', '')}{i}")
        except AssertionError:
            pass  # the 404 is the event
        time.sleep(0.5)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    followed = [json.loads(line) for line in out.splitlines()]
    ids = [e["id"] for e in followed]
    assert len(ids) == len(set(ids)), "an event printed twice"
    for i in range(3):
        assert sum(f"{marker.replace('-', '')}{i}" in e["path"] for e in followed) == 1, out

    path = tmp_path / "audit.jsonl"
    ex = cli.owner("audit", "export", "--output", str(path), "--since", "1h")
    assert ex.returncode == 0, ex.stderr
    lines = path.read_text().splitlines()
    assert lines and all(json.loads(line)["time"] for line in lines)
    assert cli.owner("audit", "tail", "--since", "yesterday").returncode == 2


def test_resources_with_the_profiles_project(cli: Cli) -> None:
    servers = cli.owner("compute", "servers", "list", "--project", "web", "--json")
    assert servers.returncode == 0, servers.stderr
    names = {s["name"] for s in json.loads(servers.stdout)}
    api = {s["name"] for s in cli.box.api("GET", "/v1/compute/servers?project=web")["servers"]}
    assert names == api and names
    buckets = cli.owner("storage", "buckets", "list", "--project", "web")
    assert buckets.returncode == 0 and "NAME" in buckets.stdout
    assert cli.owner("storage", "buckets", "list").returncode == 2  # no project, no profile


def test_help_lists_every_online_command(cli: Cli) -> None:
    h = cli("--help")
    assert h.returncode == 0
    for word in ["configure", "logout", "whoami", "tokens rotate", "--self", "service-accounts tokens",
                 "access-keys", "audit tail", "audit export", "compute servers list", "storage buckets list",
                 "--dry-run", "--secret-file", "exit status", "--scanning-key", "--report-to",
                 "--report-key-file"]:
        assert word in h.stdout, word


def test_a_secret_file_that_cannot_be_written_fails_before_anything_is_made(cli: Cli, tmp_path: Path) -> None:
    before = len(cli.box.api("GET", "/v1/iam/tokens")["tokens"])
    a_dir = tmp_path / "adir"
    a_dir.mkdir()
    r = cli.owner("tokens", "create", "--name", unique("lost"), "--project", "web", "--secret-file", str(a_dir))
    assert r.returncode == 2 and "directory" in r.stderr, r.stderr
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    r = cli.owner("tokens", "create", "--name", unique("lost"), "--project", "web", "--secret-file", str(link))
    assert r.returncode == 2 and "symbolic link" in r.stderr, r.stderr
    assert not (tmp_path / "elsewhere").exists()
    assert len(cli.box.api("GET", "/v1/iam/tokens")["tokens"]) == before
    # Nothing half-written is left beside the target.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "home", "link"]
    assert list(a_dir.iterdir()) == []


def test_a_config_file_others_can_write_is_refused(cli: Cli) -> None:
    cd = cli.home / ".config" / "cd"
    cd.mkdir(parents=True)
    config = cd / "config.json"
    config.write_text(json.dumps({"profiles": {"default": {"base_url": "http://192.0.2.2:47777/v1",
                                                           "allow_insecure_http": True}}}))
    config.chmod(0o666)
    r = cli("whoami", env={**cli.env(), "CD_API_TOKEN": cli.box.owner})
    assert r.returncode == 2 and "chmod 600" in r.stderr, r.stderr
    assert cli.box.owner not in r.stderr


def test_configure_refuses_an_unsaved_variable_steering_the_check(cli: Cli) -> None:
    token = new_token(cli.box, unique("steer"))
    env = {**cli.env(), "CD_BASE_URL": "http://127.0.0.1:9/v1"}
    r = cli("configure", "--token-stdin", "--project", "web", stdin=token, env=env)
    assert r.returncode == 2 and "CD_BASE_URL" in r.stderr and "--base-url" in r.stderr, r.stderr


@needs_keyring
def test_store_file_replaces_the_keychain_token_and_logout_removes_both(cli: Cli) -> None:
    strong = new_token(cli.box, unique("strong"))
    weak = new_token(cli.box, unique("weak"), permissions=["compute.servers.list"])
    # The default profile: first in the keychain, then a narrower token in the file.
    assert cli.configure(strong).returncode == 0
    assert keychain_lookup("default") == strong
    r = cli.configure(weak, "--store", "file")
    assert r.returncode == 0, r.stderr
    assert "removed the older token from the keychain" in r.stdout
    assert keychain_lookup("default") is None
    who = json.loads(cli("whoami", "--json").stdout)
    assert who["whoami"]["token"]["prefix"] == weak[:9]
    # Back to the keychain: the file goes, so it cannot outlive a logout unseen.
    r = cli.configure(strong)
    assert r.returncode == 0 and "removed the older token file" in r.stdout, r.stdout
    assert not (cli.home / ".config" / "cd" / "token").exists()
    (cli.home / ".config" / "cd" / "token").write_text(weak)
    (cli.home / ".config" / "cd" / "token").chmod(0o600)
    out = cli("logout")
    assert out.returncode == 0, out.stderr
    assert keychain_lookup("default") is None
    assert not (cli.home / ".config" / "cd" / "token").exists()
    assert cli("whoami").returncode == 2


@needs_keyring
def test_interactive_configure_at_a_terminal_never_echoes_the_token(cli: Cli) -> None:
    """At a real pseudo-terminal: the three questions, the token typed with echo off."""
    import pty
    import select

    token = new_token(cli.box, unique("typed"))
    profile = unique("tty")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command at a terminal
        env = {**cli.env(), "CD_PROFILE": profile}
        os.execvpe(cli.argv0[0], [*cli.argv0, "configure", "--base-url", cli.box.url + "/v1",
                                  "--allow-insecure-http"], env)
    seen = b""

    def until(text: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.time() + timeout
        while text not in seen and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        assert text in seen, seen

    until(b"API token")
    os.write(fd, token.encode() + b"\r")
    until(b"Default project")
    os.write(fd, b"web\r")
    until(b"saved")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert token.encode() not in seen, "the token was echoed"
    assert token[:9].encode() in seen
    assert keychain_lookup(profile) == token
    cli("logout", env={**cli.env(), "CD_PROFILE": profile})


def test_scan_verify_says_which_found_tokens_are_live(cli: Cli, tmp_path: Path) -> None:
    live = new_token(cli.box, unique("leaked-live"))
    dead = new_token(cli.box, unique("leaked-dead"))
    dead_id = cli.box.api("GET", "/v1/iam/whoami", token=dead)["token"]["id"]
    cli.box.api("DELETE", f"/v1/iam/tokens/{dead_id}")
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "a.env").write_text(f"TOKEN={live}\n")
    (tree / "b.py").write_text(f"t = '{dead}'\nagain = '{live}'\n")
    env = {**cli.env(), "CD_BASE_URL": cli.box.url + "/v1", "CD_ALLOW_INSECURE_HTTP": "1"}
    r = cli("scan", str(tree), "--verify", "--json", env=env)
    assert r.returncode == 1, r.stderr
    assert live not in r.stdout + r.stderr and dead not in r.stdout + r.stderr
    found = {(Path(f["file"]).name, f["line"]): f["verified"] for f in json.loads(r.stdout)}
    assert found == {("a.env", 1): "live", ("b.py", 1): "revoked", ("b.py", 2): "live"}
    text = cli("scan", str(tree), "--verify", env=env)
    assert "[live:" in text.stdout and "[revoked:" in text.stdout and "2 live" in text.stderr
    sarif = json.loads(cli("scan", str(tree), "--verify", "--sarif", env=env).stdout)
    assert {r["properties"]["verified"] for r in sarif["runs"][0]["results"]} == {"live", "revoked"}


def test_least_privilege_and_lint_from_the_api(cli: Cli) -> None:
    """The calls a token made, read from the audit log, against the token as it is now."""
    name = unique("broad")
    created = cli.box.api("POST", "/v1/iam/tokens", {
        "name": name, "projects": ["web"], "expires_in_days": 30,
        "permissions": ["compute.servers.list", "compute.servers.get", "storage.buckets.list"]})
    secret, token_id, prefix = created["secret"], created["token"]["id"], created["token"]["prefix"]
    cli.box.api("GET", "/v1/compute/servers?project=web", token=secret)
    cli.box.api("GET", "/v1/compute/servers?project=web", token=secret)

    r = cli.owner("least-privilege", "--from-api", "--token-prefix", prefix, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["permissions"] == ["compute.servers.list"]

    diff = cli.owner("least-privilege", "--token", token_id, "--json")
    assert diff.returncode == 1, diff.stderr  # not exact: two permissions unused
    against = json.loads(diff.stdout)["against"]
    assert against["prefix"] == prefix and against["token_id"] == token_id
    assert sorted(against["remove"]) == ["compute.servers.get", "storage.buckets.list"]
    assert against["missing"] == []
    text = cli.owner("least-privilege", "--token", token_id)
    assert "storage.buckets.list" in text.stdout and secret not in text.stdout

    lint = cli.owner("lint", "--from-api", "--json")
    assert lint.returncode in (0, 1), lint.stderr
    findings = json.loads(lint.stdout)
    assert any(f["code"] == "never_expires" and f["prefix"] == cli.box.owner[:9] for f in findings), findings
    assert all(len(f["prefix"]) <= 9 for f in findings)
    assert cli.owner("least-privilege", "--token", "tok_nope").returncode == 3


# ---- scan --report-to: a secret-scanning partner endpoint of the test's own ----

class Receiver:
    """A secret-scanning partner endpoint on loopback (GitHub's partner-program shape),
    written here against the spec with an independent implementation (the `cryptography`
    package): it looks the key up by its id, verifies the ECDSA P-256 SHA-256 signature
    over the exact body, checks the body's shape, and labels each finding with
    `labels(token)`. A key it does not know or a signature that does not verify gets a
    401 with an error body, as a real endpoint would answer."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.keys: Dict[str, Any] = {}
        self.reports: List[List[Dict[str, Any]]] = []
        self.labels: Any = lambda token: ("true_positive", "revoked")
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = receiver.handle(dict(self.headers.items()), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass  # the requests carry secrets: nothing goes to the test's output

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/secret-scanning/report"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def key_id(public: Any) -> str:
        import hashlib

        from cryptography.hazmat.primitives import serialization

        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(der).hexdigest()

    def register(self, public_pem: str, key_id: Optional[str] = None) -> str:
        from cryptography.hazmat.primitives import serialization

        public = serialization.load_pem_public_key(public_pem.encode())
        kid = key_id or self.key_id(public)
        self.keys[kid] = public
        return kid

    def handle(self, headers: Dict[str, str], body: bytes) -> Any:
        import base64
        import hashlib

        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        h = {k.lower(): v for k, v in headers.items()}
        if h.get("content-type") != "application/json":
            return 415, {"code": "bad_content_type", "message": "JSON only"}
        public = self.keys.get(h.get("github-public-key-identifier", ""))
        if public is None:
            return 401, {"code": "unknown_key", "message": "no key with this identifier is registered"}
        try:
            public.verify(base64.b64decode(h.get("github-public-key-signature", "")), body, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return 401, {"code": "bad_signature", "message": "the signature does not verify"}
        items = json.loads(body)
        assert isinstance(items, list) and items
        for item in items:
            assert set(item) == {"token", "type", "url", "source"}
            assert item["source"] == "clouddigit-cli"
        self.reports.append(items)
        out = []
        for item in items:
            label, action = self.labels(item["token"])
            out.append({"token_hash": hashlib.sha256(item["token"].encode()).hexdigest(),
                        "token_type": item["type"], "label": label, "url": item["url"], "action": action})
        return 200, out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def public_key_of(out: str) -> str:
    start = out.index("-----BEGIN PUBLIC KEY-----")
    end = out.index("-----END PUBLIC KEY-----") + len("-----END PUBLIC KEY-----")
    return out[start:end] + "\n"


def test_scan_report_to_sends_signed_findings_and_prints_the_labels(cli: Cli, receiver: Receiver,
                                                                     tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    # No keychain here (the file, as a server without one keeps it); no token: not registered.
    no_bus = {**cli.env(), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    r = cli("configure", "--scanning-key", "--store", "file", "--json", env=no_bus)
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    path = cli.home / ".config" / "cd" / "scanning-key-default.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = path.read_text()
    assert private.startswith("-----BEGIN PRIVATE KEY-----")
    assert private.strip() not in r.stdout + r.stderr and "PRIVATE" not in r.stdout + r.stderr
    assert made["registration"] == "no_credential" and made["registered"] is None
    # The key id the CLI printed is the SPKI hash of the public key it printed.
    assert receiver.register(made["public_key"]) == made["key_id"]
    # ... and the public key is the private key's (cryptography reads the stored PKCS#8).
    own = serialization.load_pem_private_key(private.encode(), password=None)
    assert Receiver.key_id(own.public_key()) == made["key_id"]

    token = new_token(cli.box, unique("leaked"))
    client_secret = str(cli.box.api("POST", "/v1/iam/service-accounts?project=web",
                                    {"name": unique("leaky-sa"), "role": "member", "project": "web"})["client_secret"])
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "a.env").write_text(f"# config\nTOKEN={token}\n")
    (tree / "b.py").write_text(f"secret = '{client_secret}'\n")
    receiver.labels = lambda t: ("true_positive", "revoked") if t.startswith("cd_") else ("false_positive", "none")

    r = cli("scan", str(tree), "--report-to", receiver.url, "--json", env=no_bus)
    assert r.returncode == 1, r.stderr
    assert token not in r.stdout + r.stderr and client_secret not in r.stdout + r.stderr
    sent = sorted(receiver.reports[-1], key=lambda i: i["url"])
    assert [(i["type"], i["url"]) for i in sent] == [
        ("clouddigit_api_token", f"{tree / 'a.env'}:2"),
        ("clouddigit_client_secret", f"{tree / 'b.py'}:1"),
    ]
    assert sent[0]["token"] == token and sent[1]["token"] == client_secret
    found = {Path(f["file"]).name: (f["prefix"], f["label"], f["action"]) for f in json.loads(r.stdout)}
    assert found == {"a.env": (token[:9], "true_positive", "revoked"),
                     "b.py": (client_secret[:11], "false_positive", "none")}

    text = cli("scan", str(tree), "--report-to", receiver.url, env=no_bus)
    assert text.returncode == 1, text.stderr
    assert f"{token[:9]}… [true_positive, revoked]" in text.stdout
    assert "[false_positive, none]" in text.stdout
    assert "1 true positive(s), 1 false positive(s), 1 revoked" in text.stderr
    # Nothing but false positives: exit 0.
    receiver.labels = lambda t: ("false_positive", "none")
    assert cli("scan", str(tree), "--report-to", receiver.url, env=no_bus).returncode == 0

    # History: where found is git:<commit>:<path>:<line>.
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "add", "a.env"], check=True)
    subprocess.run(["git", "-C", str(tree), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "commit", "-qm", "config"], check=True)
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    receiver.labels = lambda t: ("true_positive", "already_revoked")
    g = cli("scan", "--git", "--repo", str(tree), "--report-to", receiver.url, "--json", env=no_bus)
    assert g.returncode == 1, g.stderr
    assert [i["url"] for i in receiver.reports[-1]] == [f"git:{commit}:a.env:2"]
    assert json.loads(g.stdout)[0]["action"] == "already_revoked"

    # A key from elsewhere (SEC1 PEM, as openssl writes it) given with --report-key-file.
    other = ec.generate_private_key(ec.SECP256R1())
    other_file = tmp_path / "other.pem"
    other_file.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                               serialization.NoEncryption()))
    # Not registered: the receiver's 401 (unknown key), shown with its code and message; exit 3.
    bad = cli("scan", str(tree), "--report-to", receiver.url, "--report-key-file", str(other_file), env=no_bus)
    assert bad.returncode == 3, bad.stderr
    assert "HTTP 401 (unknown_key): no key with this identifier is registered" in bad.stderr, bad.stderr
    # Registered: accepted.
    receiver.register(other.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    ok = cli("scan", str(tree), "--report-to", receiver.url, "--report-key-file", str(other_file), env=no_bus)
    assert ok.returncode == 1, ok.stderr
    # A tampered registration (the CLI's id, another key): the signature does not verify.
    receiver.register(other.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
                      key_id=made["key_id"])
    bad = cli("scan", str(tree), "--report-to", receiver.url, env=no_bus)
    assert bad.returncode == 3, bad.stderr
    assert "HTTP 401 (bad_signature): the signature does not verify" in bad.stderr, bad.stderr
    assert token not in bad.stdout + bad.stderr


def test_scan_report_to_refuses_bad_input_before_scanning(cli: Cli, receiver: Receiver, tmp_path: Path) -> None:
    token = new_token(cli.box, unique("leaked"))
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "a.env").write_text(f"TOKEN={token}\n")
    no_bus = {**cli.env(), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    # No key: exit 2, and how to make one.
    r = cli("scan", str(tree), "--report-to", receiver.url, env=no_bus)
    assert r.returncode == 2 and "clouddigit configure --scanning-key" in r.stderr, r.stderr
    assert cli("configure", "--scanning-key", "--store", "file", env=no_bus).returncode == 0
    # Plain http beyond this machine, or not a URL: refused, nothing sent.
    for url in ["http://192.0.2.7/report", "ftp://127.0.0.1/x", "partner.example"]:
        r = cli("scan", str(tree), "--report-to", url, env=no_bus)
        assert r.returncode == 2 and "--report-to" in r.stderr, (url, r.stderr)
    assert receiver.reports == []
    # A key file others can read is refused, as the token file is.
    path = cli.home / ".config" / "cd" / "scanning-key-default.pem"
    path.chmod(0o644)
    r = cli("scan", str(tree), "--report-to", receiver.url, env=no_bus)
    assert r.returncode == 2 and "chmod 600" in r.stderr, r.stderr
    path.chmod(0o600)
    # No endpoint listening: exit 3.
    closed = cli("scan", str(tree), "--report-to", "http://127.0.0.1:9/report", env=no_bus)
    assert closed.returncode == 3 and "the report to 127.0.0.1:9 failed" in closed.stderr, closed.stderr
    assert token not in closed.stdout + closed.stderr


@needs_keyring
def test_configure_scanning_key_in_the_keychain_registered_with_the_profiles_token(cli: Cli, receiver: Receiver,
                                                                                   tmp_path: Path) -> None:
    profile = unique("scan")
    # Registering a key is an organization-level call: an all-projects token.
    scanner = new_token(cli.box, unique("scanner"), projects="all")
    assert cli.configure(scanner, "--profile", profile).returncode == 0
    env = {**cli.env(), "CD_PROFILE": profile}
    r = cli("configure", "--scanning-key", env=env)
    assert r.returncode == 0, r.stderr
    stored = keychain_lookup(f"scanning-key:{profile}")
    assert stored and stored.startswith("-----BEGIN PRIVATE KEY-----") and "PRIVATE" not in r.stdout
    public = public_key_of(r.stdout)
    key_id = receiver.register(public)
    assert f"key id {key_id}" in r.stdout
    assert "registered with the API" in r.stdout, r.stdout
    assert key_id in {k["key_identifier"] for k in cli.box.api("GET", "/v1/secret-scanning/keys")["public_keys"]}
    assert not (cli.home / ".config" / "cd" / f"scanning-key-{profile}.pem").exists()

    token = new_token(cli.box, unique("leaked"))
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "a.env").write_text(f"TOKEN={token}\n")
    s = cli("scan", str(tree), "--report-to", receiver.url, env=env)
    assert s.returncode == 1, s.stderr
    assert "[true_positive, revoked]" in s.stdout and token not in s.stdout + s.stderr
    assert receiver.reports[-1][0]["token"] == token
    # A new key replaces it: the old id no longer signs.
    assert cli("configure", "--scanning-key", env=env).returncode == 0
    assert keychain_lookup(f"scanning-key:{profile}") != stored
    again = cli("scan", str(tree), "--report-to", receiver.url, env=env)
    assert again.returncode == 3 and "unknown_key" in again.stderr, again.stderr
    cli("logout", env=env)
    subprocess.run(["secret-tool", "clear", "service", "clouddigit", "username", f"scanning-key:{profile}"])


def test_scan_report_to_the_sandbox_revokes_what_it_found(cli: Cli, tmp_path: Path) -> None:
    """The whole path with nothing of the test's own in between: configure makes and
    registers the key, scan reports to the sandbox's partner endpoint, and the token it
    found is revoked, with the reason and where it was found."""
    no_bus = {**cli.env(), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    admin = new_token(cli.box, unique("scan-admin"), projects="all")
    c = cli("configure", "--token-stdin", "--base-url", cli.box.url + "/v1", "--allow-insecure-http",
            "--project", "web", "--store", "file", stdin=admin + "\n", env=no_bus)
    assert c.returncode == 0, c.stderr
    r = cli("configure", "--scanning-key", "--store", "file", "--json", env=no_bus)
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["registration"] == "registered", made
    assert made["key_id"] in {k["key_identifier"] for k in cli.box.api("GET", "/v1/secret-scanning/keys")["public_keys"]}

    leaked = new_token(cli.box, unique("leaked"))
    leaked_id = next(t["id"] for t in cli.box.api("GET", "/v1/iam/tokens?limit=100")["tokens"] if leaked.startswith(t["prefix"]))
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "deploy.env").write_text(f"# prod\nCD_API_TOKEN={leaked}\n")
    s = cli("scan", str(tree), "--report-to", cli.box.url + "/v1/secret-scanning/alerts", "--json", env=no_bus)
    assert s.returncode == 1, s.stderr
    assert leaked not in s.stdout + s.stderr
    [finding] = json.loads(s.stdout)
    assert (finding["label"], finding["action"]) == ("true_positive", "revoked")
    token = cli.box.api("GET", f"/v1/iam/tokens/{leaked_id}")
    assert token["status"] == "revoked"
    assert token["revocation"]["reason"] == "leaked"
    assert token["revocation"]["url"] == f"{tree / 'deploy.env'}:2"
    # The admin token that reported it is untouched; the leaked one no longer works.
    assert cli("whoami", env={**no_bus, "CD_API_TOKEN": leaked}, sandbox_env=True).returncode == 1
    assert cli("whoami", env=no_bus).returncode == 0
    cli("logout", env=no_bus)
