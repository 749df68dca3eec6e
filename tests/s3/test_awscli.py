"""The aws CLI (awscli from PyPI, unmodified) against the sandbox's S3 endpoint.

Each command runs as a subprocess, as a user would run it: credentials in the
environment, --endpoint-url, and config files of its own (path-style addressing, nothing
from the user's home). The CLI is the one installed next to the running Python
(scripts/test.sh puts it in target/s3-venv).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import pytest

from conftest import REGION, Sandbox



class Key:
    """An access key; its repr names only the id, so no report or traceback shows the
    secret (the leak sweep searches the suite's output for it)."""

    def __init__(self, pair: Tuple[str, str]) -> None:
        self.id, self.secret = pair

    def __repr__(self) -> str:
        return f"Key({self.id}, secret=...)"


def aws_command() -> List[str]:
    exe = Path(sys.executable).parent / "aws"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "awscli"]


class Cli:
    """Runs `aws` with one access key against one sandbox."""

    def __init__(self, sandbox: Sandbox, home: Path) -> None:
        self.sandbox = sandbox
        self.home = home
        config = home / "config"
        config.write_text("[default]\ns3 =\n  addressing_style = path\n", encoding="utf-8")
        credentials = home / "credentials"
        credentials.write_text("", encoding="utf-8")
        # Nothing of the caller's AWS setup leaks in: no profile, no session token, no
        # config or credentials file from the home directory.
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        base.update({
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
            "HOME": str(home),
        })
        self.base_env = base

    def env(self, key: Key) -> Dict[str, str]:
        return dict(self.base_env, AWS_ACCESS_KEY_ID=key.id, AWS_SECRET_ACCESS_KEY=key.secret)

    def run(self, key: Key, *args: str, check: bool = True, debug: bool = False,
            cwd: Optional[Path] = None) -> "subprocess.CompletedProcess[str]":
        env = self.env(key)
        argv = [*aws_command(), "--endpoint-url", self.sandbox.s3_url, *args]
        if debug:
            argv.append("--debug")
        proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                              encoding="utf-8", timeout=120)
        if check and proc.returncode != 0:
            # The command line and what the CLI said; never the environment (the secret).
            raise AssertionError(f"aws {' '.join(args)} exited {proc.returncode}\n"
                                 f"stdout: {proc.stdout}\nstderr: {proc.stderr[-4000:]}")
        return proc

    def json(self, key: Key, *args: str, cwd: Optional[Path] = None) -> Dict:
        out = self.run(key, *args, "--output", "json", cwd=cwd).stdout
        return json.loads(out) if out.strip() else {}


@pytest.fixture(scope="module")
def cli(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(sandbox, tmp_path_factory.mktemp("aws-home"))


@pytest.fixture(scope="module")
def member(sandbox: Sandbox) -> Key:
    return Key(sandbox.access_key(sandbox.account("awscli-member", role="member")))


@pytest.fixture()
def bucket(cli: Cli, member: Key, request: pytest.FixtureRequest) -> str:
    name = "cli-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:50]
    cli.run(member, "s3", "mb", f"s3://{name}")
    return name


def keys_in(cli: Cli, key: Key, bucket: str, prefix: str = "") -> List[str]:
    out = cli.json(key, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix)
    return sorted(o["Key"] for o in out.get("Contents") or [])


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_mb_ls_rb(cli: Cli, member: Key) -> None:
    made = cli.run(member, "s3", "mb", "s3://cli-made-and-removed")
    assert made.stdout.strip() == "make_bucket: cli-made-and-removed"
    listed = cli.run(member, "s3", "ls").stdout
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d cli-made-and-removed$", listed, re.M), listed
    # A second mb of the same name is refused, and the CLI says why.
    again = cli.run(member, "s3", "mb", "s3://cli-made-and-removed", check=False)
    assert again.returncode != 0
    assert "BucketAlreadyOwnedByYou" in again.stderr or "BucketAlreadyExists" in again.stderr, again.stderr
    removed = cli.run(member, "s3", "rb", "s3://cli-made-and-removed")
    assert removed.stdout.strip() == "remove_bucket: cli-made-and-removed"
    assert "cli-made-and-removed" not in cli.run(member, "s3", "ls").stdout


def test_cp_up_and_down_multipart(cli: Cli, member: Key, bucket: str, tmp_path: Path) -> None:
    # Over the CLI's 8 MiB multipart threshold (and chunk size): two parts.
    data = os.urandom(9 * 1024 * 1024 + 12345)
    write(tmp_path / "big.bin", data)
    up = cli.run(member, "s3", "cp", "--no-progress", "big.bin", f"s3://{bucket}/blobs/big.bin", cwd=tmp_path)
    assert up.stdout == f"upload: ./big.bin to s3://{bucket}/blobs/big.bin\n", up.stdout
    head = cli.json(member, "s3api", "head-object", "--bucket", bucket, "--key", "blobs/big.bin")
    assert head["ContentLength"] == len(data)
    assert re.fullmatch(r'"[0-9a-f]{32}-2"', head["ETag"]), head["ETag"]
    down = cli.run(member, "s3", "cp", "--no-progress", f"s3://{bucket}/blobs/big.bin", "down/big.bin",
                   cwd=tmp_path)
    assert down.stdout == f"download: s3://{bucket}/blobs/big.bin to down/big.bin\n", down.stdout
    got = (tmp_path / "down" / "big.bin").read_bytes()
    assert len(got) == len(data) and hashlib.sha256(got).digest() == hashlib.sha256(data).digest()

    # A small file in one PutObject, then stdin and stdout streams (`-`).
    write(tmp_path / "small.txt", b"hello, sandbox\n")
    cli.run(member, "s3", "cp", "--no-progress", "small.txt", f"s3://{bucket}/small.txt", cwd=tmp_path)
    assert cli.run(member, "s3", "cp", f"s3://{bucket}/small.txt", "-").stdout == "hello, sandbox\n"
    argv = [*aws_command(), "--endpoint-url", cli.sandbox.s3_url, "s3", "cp"]
    subprocess.run([*argv, "-", f"s3://{bucket}/from-stdin.txt"], input=b"piped bytes\n",
                   env=cli.env(member), capture_output=True, check=True, timeout=120)
    piped = subprocess.run([*argv, f"s3://{bucket}/from-stdin.txt", "-"], env=cli.env(member),
                           capture_output=True, check=True, timeout=120)
    assert piped.stdout == b"piped bytes\n"


def test_ls_prefixes_and_recursive(cli: Cli, member: Key, bucket: str, tmp_path: Path) -> None:
    for k in ["top.txt", "docs/a.txt", "docs/b.txt", "docs/deep/c.txt", "img/x.png"]:
        write(tmp_path / "src" / k, b"12345")
    cli.run(member, "s3", "cp", "--recursive", "--no-progress", str(tmp_path / "src"), f"s3://{bucket}/")

    root = cli.run(member, "s3", "ls", f"s3://{bucket}/").stdout.splitlines()
    assert [ln.split()[-1] for ln in root if "PRE" in ln] == ["docs/", "img/"], root
    files = [ln for ln in root if "PRE" not in ln]
    assert len(files) == 1 and files[0].endswith("          5 top.txt"), root

    docs = cli.run(member, "s3", "ls", f"s3://{bucket}/docs/").stdout.splitlines()
    assert [ln.split()[-1] for ln in docs] == ["deep/", "a.txt", "b.txt"], docs

    # Without the trailing slash the CLI lists the prefix itself, as S3 does.
    assert cli.run(member, "s3", "ls", f"s3://{bucket}/doc").stdout.split() == ["PRE", "docs/"]

    rec = cli.run(member, "s3", "ls", "--recursive", f"s3://{bucket}").stdout.splitlines()
    assert sorted(ln.split()[-1] for ln in rec) == sorted(
        ["top.txt", "docs/a.txt", "docs/b.txt", "docs/deep/c.txt", "img/x.png"]), rec
    summary = cli.run(member, "s3", "ls", "--recursive", "--summarize", f"s3://{bucket}/docs/").stdout
    assert "Total Objects: 3" in summary and "Total Size: 15" in summary, summary


SYNC_TREE = {
    "readme.txt": b"top level\n",
    "a b/with space.txt": b"spaces in a directory and a name\n",
    "a b/c+d=e&f.txt": b"plus, equals, ampersand\n",
    "\u00fcn\u00efc\u00f8d\u00e9/\u65e5\u672c\u8a9e \u0444\u0430\u0439\u043b.txt": b"unicode\n",
    "deep/er/and/deeper/leaf (1).json": b'{"leaf": true}\n',
    "deep/er/x~y@z,%20.txt": b"tilde at comma percent\n",
    "empty.txt": b"",
}


def tree_bytes(root: Path) -> Dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_sync_tree(cli: Cli, member: Key, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "site"
    for rel, data in SYNC_TREE.items():
        write(src / rel, data)
    dest = f"s3://{bucket}/site"

    first = cli.run(member, "s3", "sync", "--no-progress", "site", dest, cwd=tmp_path)
    assert sorted(first.stdout.splitlines()) == sorted(
        f"upload: site/{k} to {dest}/{k}" for k in SYNC_TREE), first.stdout
    assert keys_in(cli, member, bucket, "site/") == sorted("site/" + k for k in SYNC_TREE)

    # Nothing changed: nothing to upload, nothing said.
    second = cli.run(member, "s3", "sync", "--no-progress", "site", dest, cwd=tmp_path)
    assert second.stdout == "", second.stdout

    # One file changed (its size too, so the CLI's size-or-newer check sees it).
    changed = "a b/c+d=e&f.txt"
    write(src / changed, b"plus, equals, ampersand -- edited\n")
    third = cli.run(member, "s3", "sync", "--no-progress", "site", dest, cwd=tmp_path)
    assert third.stdout.splitlines() == [f"upload: site/{changed} to {dest}/{changed}"], third.stdout
    head = cli.json(member, "s3api", "head-object", "--bucket", bucket, "--key", f"site/{changed}")
    assert head["ContentLength"] == len(b"plus, equals, ampersand -- edited\n")

    # Down into an empty directory: the same tree, byte for byte.
    down = cli.run(member, "s3", "sync", "--no-progress", dest, "back", cwd=tmp_path)
    assert sorted(down.stdout.splitlines()) == sorted(
        f"download: {dest}/{k} to back/{k}" for k in SYNC_TREE), down.stdout
    assert tree_bytes(tmp_path / "back") == tree_bytes(src)

    # --delete removes what is gone locally.
    (src / "readme.txt").unlink()
    pruned = cli.run(member, "s3", "sync", "--no-progress", "--delete", "site", dest, cwd=tmp_path)
    assert pruned.stdout.splitlines() == [f"delete: {dest}/readme.txt"], pruned.stdout
    assert "site/readme.txt" not in keys_in(cli, member, bucket, "site/")


def test_rm_recursive_and_rb(cli: Cli, member: Key, bucket: str, tmp_path: Path) -> None:
    names = [f"logs/2024/{i:03d}.log" for i in range(12)] + ["keep/me.txt", "logs.txt"]
    for n in names:
        write(tmp_path / "src" / n, b"x")
    cli.run(member, "s3", "sync", "--no-progress", str(tmp_path / "src"), f"s3://{bucket}")

    # A bucket with objects is not removed without --force.
    full = cli.run(member, "s3", "rb", f"s3://{bucket}", check=False)
    assert full.returncode != 0 and "BucketNotEmpty" in full.stderr, full.stderr

    rm = cli.run(member, "s3", "rm", "--recursive", f"s3://{bucket}/logs/")
    assert len(re.findall(r"^delete: s3://", rm.stdout, re.M)) == 12, rm.stdout
    assert keys_in(cli, member, bucket) == ["keep/me.txt", "logs.txt"]

    everything = cli.run(member, "s3", "rm", "--recursive", f"s3://{bucket}")
    assert len(re.findall(r"^delete: s3://", everything.stdout, re.M)) == 2, everything.stdout
    assert keys_in(cli, member, bucket) == []
    assert cli.run(member, "s3", "rb", f"s3://{bucket}").stdout.strip() == f"remove_bucket: {bucket}"
    assert re.search(rf" {bucket}$", cli.run(member, "s3", "ls").stdout, re.M) is None


def test_s3api(cli: Cli, member: Key, bucket: str, tmp_path: Path) -> None:
    body = write(tmp_path / "body.txt", "caf\u00e9 au lait\n".encode())
    put = cli.json(member, "s3api", "put-object", "--bucket", bucket, "--key", "notes/caf\u00e9.txt",
                   "--body", str(body), "--content-type", "text/plain; charset=utf-8",
                   "--metadata", "owner=web,stage=beta")
    assert put["ETag"] == '"%s"' % hashlib.md5(body.read_bytes()).hexdigest()

    head = cli.json(member, "s3api", "head-object", "--bucket", bucket, "--key", "notes/caf\u00e9.txt")
    assert head["ContentLength"] == len(body.read_bytes())
    assert head["ContentType"] == "text/plain; charset=utf-8"
    assert head["Metadata"] == {"owner": "web", "stage": "beta"}
    assert head["ETag"] == put["ETag"]

    out = tmp_path / "got.txt"
    got = cli.json(member, "s3api", "get-object", "--bucket", bucket, "--key", "notes/caf\u00e9.txt", str(out))
    assert out.read_bytes() == body.read_bytes()
    assert got["ContentLength"] == len(body.read_bytes()) and got["ETag"] == put["ETag"]
    part = tmp_path / "part.txt"
    ranged = cli.json(member, "s3api", "get-object", "--bucket", bucket, "--key", "notes/caf\u00e9.txt",
                      "--range", "bytes=0-3", str(part))
    assert part.read_bytes() == "caf\u00e9".encode()[:4]
    assert ranged["ContentRange"] == f"bytes 0-3/{len(body.read_bytes())}"

    missing = cli.run(member, "s3api", "head-object", "--bucket", bucket, "--key", "nope", check=False)
    assert missing.returncode != 0 and "404" in missing.stderr, missing.stderr
    no_key = cli.run(member, "s3api", "get-object", "--bucket", bucket, "--key", "nope", str(tmp_path / "x"),
                     check=False)
    assert no_key.returncode != 0 and "NoSuchKey" in no_key.stderr, no_key.stderr

    for k in ["notes/a.txt", "notes/b.txt", "notes/sub/c.txt", "other.txt"]:
        cli.run(member, "s3api", "put-object", "--bucket", bucket, "--key", k, "--body", str(body))
    listed = cli.json(member, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "notes/",
                      "--delimiter", "/", "--no-paginate")
    assert [o["Key"] for o in listed["Contents"]] == ["notes/a.txt", "notes/b.txt", "notes/caf\u00e9.txt"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["notes/sub/"]
    assert listed["KeyCount"] == 4 and listed["IsTruncated"] is False
    # The CLI's own pagination, two keys a page.
    paged = cli.json(member, "s3api", "list-objects-v2", "--bucket", bucket, "--page-size", "2")
    assert len(paged["Contents"]) == 5
    first_page = cli.json(member, "s3api", "list-objects-v2", "--bucket", bucket, "--max-items", "2")
    assert len(first_page["Contents"]) == 2 and first_page.get("NextToken")

    tags = "TagSet=[{Key=env,Value=prod},{Key=team,Value=web site}]"
    cli.run(member, "s3api", "put-object-tagging", "--bucket", bucket, "--key", "notes/a.txt", "--tagging", tags)
    got_tags = cli.json(member, "s3api", "get-object-tagging", "--bucket", bucket, "--key", "notes/a.txt")
    assert sorted((t["Key"], t["Value"]) for t in got_tags["TagSet"]) == [("env", "prod"), ("team", "web site")]
    assert cli.json(member, "s3api", "head-object", "--bucket", bucket, "--key", "notes/a.txt")["TagCount"] == 2

    deleted = cli.json(member, "s3api", "delete-objects", "--bucket", bucket, "--delete",
                       "Objects=[{Key=notes/a.txt},{Key=notes/b.txt},{Key=never-there}]")
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["never-there", "notes/a.txt", "notes/b.txt"]
    assert not deleted.get("Errors")
    assert keys_in(cli, member, bucket) == ["notes/caf\u00e9.txt", "notes/sub/c.txt", "other.txt"]


def test_read_only_upload_refused(cli: Cli, member: Key, sandbox: Sandbox, bucket: str, tmp_path: Path) -> None:
    reader = Key(sandbox.access_key(sandbox.account("awscli-reader", role="read_only")))
    f = write(tmp_path / "f.txt", b"readable\n")
    cli.run(member, "s3", "cp", "--no-progress", str(f), f"s3://{bucket}/f.txt")

    up = cli.run(reader, "s3", "cp", "--no-progress", str(f), f"s3://{bucket}/by-reader.txt", check=False)
    assert up.returncode != 0, up.stdout
    assert "AccessDenied" in up.stderr, up.stderr
    assert "upload failed" in up.stderr, up.stderr
    # What it may do, it does: list and download.
    assert "f.txt" in cli.run(reader, "s3", "ls", f"s3://{bucket}/").stdout
    assert cli.run(reader, "s3", "cp", f"s3://{bucket}/f.txt", "-").stdout == "readable\n"
    assert keys_in(cli, member, bucket) == ["f.txt"]
    mb = cli.run(reader, "s3", "mb", "s3://cli-reader-bucket", check=False)
    assert mb.returncode != 0 and "AccessDenied" in mb.stderr, mb.stderr


def test_tag_selector(cli: Cli, member: Key, sandbox: Sandbox, tmp_path: Path) -> None:
    cli.run(member, "s3", "mb", "s3://cli-tagged-prod")
    cli.run(member, "s3", "mb", "s3://cli-untagged")
    cli.run(member, "s3api", "put-bucket-tagging", "--bucket", "cli-tagged-prod",
            "--tagging", "TagSet=[{Key=env,Value=prod}]")
    prod = Key(sandbox.access_key(sandbox.account("awscli-prod-only", role="member",
                                                  tag_selector={"env": "prod"})))
    f = write(tmp_path / "f.txt", b"prod\n")
    cli.run(prod, "s3", "cp", "--no-progress", str(f), "s3://cli-tagged-prod/f.txt")
    refused = cli.run(prod, "s3", "cp", "--no-progress", str(f), "s3://cli-untagged/f.txt", check=False)
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr, refused.stderr


def test_payload_modes(cli: Cli, member: Key, bucket: str, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    """Records how the CLI sends bodies over plain http (PutObject and UploadPart)."""
    small = write(tmp_path / "small.bin", os.urandom(1000))
    big = write(tmp_path / "big.bin", os.urandom(8 * 1024 * 1024 + 1))
    seen: Dict[str, List[str]] = {}
    for name, path in [("PutObject", small), ("UploadPart", big)]:
        proc = cli.run(member, "s3", "cp", "--no-progress", str(path), f"s3://{bucket}/{path.name}", debug=True)
        sent = [ln for ln in proc.stderr.splitlines()
                if "Sending http request" in ln and "method=PUT" in ln]
        assert sent, proc.stderr[-2000:]
        modes = set()
        for ln in sent:
            sha = re.search(r"'X-Amz-Content-SHA256': b'([^']+)'", ln)
            enc = re.search(r"'Content-Encoding': b'([^']+)'", ln)
            trailer = re.search(r"'X-Amz-Trailer': b'([^']+)'", ln, re.I)
            checksum = re.search(r"'(x-amz-checksum-[a-z0-9]+)'", ln)
            payload = sha.group(1) if sha else "-"
            if re.fullmatch(r"[0-9a-f]{64}", payload):
                payload = "<hex sha256 of the body>"
            modes.add(f"x-amz-content-sha256={payload} content-encoding={enc.group(1) if enc else '-'}"
                      f" x-amz-trailer={trailer.group(1) if trailer else '-'}"
                      f" checksum-header={checksum.group(1) if checksum else '-'}")
        seen[name] = sorted(modes)
        head = cli.json(member, "s3api", "head-object", "--bucket", bucket, "--key", path.name)
        assert head["ContentLength"] == path.stat().st_size
    with capsys.disabled():
        for name, modes in seen.items():
            for m in modes:
                print(f"\n[awscli payload] {name}: {m}", end="")
        print()
