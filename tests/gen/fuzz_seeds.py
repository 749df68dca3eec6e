#!/usr/bin/env python3
"""Seed corpora for the fuzz targets in fuzz/ from the shared cases in tests/vectors/.

libFuzzer starts from these inputs instead of from nothing, so a short CI pass already
reaches deep into the JSON the bindings pass. Written to a directory given on the
command line (scripts/fuzz.sh uses target/fuzz-corpus/<target>/), one file per input,
named by its content hash so repeated runs add nothing twice.

Usage: tests/gen/fuzz_seeds.py OUT_DIR
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text())


def seeds() -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {t: [] for t in (
        "secrets", "allowed_ips", "facade_json", "cli", "client_responses", "time", "decisions",
        "sigv4", "s3_body", "jwt",
    )}

    def js(value: object) -> str:
        return json.dumps(value, separators=(",", ":"))

    def facade(selector: int, text: str) -> None:
        out["facade_json"].append(bytes([selector]) + text.encode())

    token_format = load("token_format")
    for case in token_format["cases"]:
        out["secrets"].append(case["text"].encode())
        out["secrets"].append(f"export CD_TOKEN={case['text']}\n".encode())
    example = "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA"
    out["secrets"].append(f"https://x.test/?t={example.replace('_', '%5F', 1)}".encode())
    out["secrets"].append(b"cdcs_" + b"A" * 40 + b" cdsk_" + b"b" * 40)

    for case in load("allowed_ips")["cases"]:
        out["allowed_ips"].append(case["input"].encode())
        for address in case.get("contains", {}):
            out["allowed_ips"].append(address.encode())

    auth = load("authorize")
    owners, tokens = auth["owners"], auth["tokens"]
    for case in auth["cases"]:
        token, owner = tokens.get(case["token"]), owners.get(case["owner"])
        if token is None or owner is None:
            continue
        facade(0, js({"token": token, "owner": owner, "request": case["request"]}))
    for case in auth["effective"]:
        token, owner = tokens.get(case["token"]), owners.get(case["owner"])
        if token is None or owner is None:
            continue
        facade(3, js({"token": token, "owner": owner, "project": case.get("project")}))
        facade(5, js({"calls": case.get("permissions", [])[:10]}))
        facade(6, js({"tokens": [token], "now": "2026-11-23T10:00:00Z"}))
        facade(7, js({
            "caller": {"token": token, "owner": owner},
            "child": token,
            "child_owner": owner,
            "minted": "token",
            "now": "2026-11-23T10:00:00Z",
            "organization_projects": ["web", "data", "prod"],
        }))
    for case in load("validate_token")["cases"]:
        facade(1, js(case["input"]))
        draft = case["input"].get("draft", {})
        if isinstance(draft.get("expiry"), str):
            out["time"].append(draft["expiry"].encode())
    for case in load("validate_service_account")["cases"]:
        facade(2, js(case["input"]))
    for route in ("GET /v1/compute/servers", "POST /v1/iam/tokens/tok_1/rotate",
                  "DELETE /v1/storage/volumes/v1", "compute.servers.*", "*"):
        facade(4, route)

    alice, alice_tok = owners["alice"], tokens["alice_inherit"]
    lines = "\n".join(js(tokens[n]) for n in list(tokens)[:3])
    for args, files in (
        ("lint\ntokens.jsonl\n--now\n2026-11-23T10:00:00Z", [lines]),
        ("scan\n.", [f"CD_TOKEN={example}\n"]),
        ("check\n--token\nt.json\n--owner\no.json\n--call\nGET /v1/compute/servers\n"
         "--project\nweb\n--ip\n203.0.113.9", [js(alice_tok), js(alice)]),
        ("check\n--token\nt.json\n--owner\no.json\n--request\nr.jsonl\n--json",
         [js(alice_tok), js(alice), js(auth["cases"][0]["request"])]),
        ("least-privilege\ncalls.txt\n--role\nmember",
         ["GET /v1/compute/servers\nPOST /v1/storage/volumes\n"]),
        ("catalog\ncompute", []),
        ("--help", []),
        ("validate\ndraft.json", [js(load("validate_token")["cases"][0]["input"])]),
        ("validate\nsa.json\n--json", [js(load("validate_service_account")["cases"][0]["input"])]),
    ):
        out["cli"].append("\0".join([args, *files]).encode())

    for op in range(9):
        for status, head, body in (
            (100, "content-type: application/json", '{"id":"tok_1","name":"x"}'),
            (14, "retry-after: 3", '{"error":{"code":"rate_limited","message":"slow"}}'),
            (150, "location: http://evil.test/x", ""),
            (101, "retry-after: Wed, 21 Oct 2026 07:28:00 GMT", "not json"),
        ):
            out["client_responses"].append(bytes([op, status]) + f"{head}\n\n{body}".encode())

    for text in ("30d", "90d", "365d", "never", "2027-01-31", "2026-12-07T10:00:00Z"):
        out["time"].append(text.encode())

    for case in load("sigv4")["cases"]:
        r = case["request"]
        head = "\n".join(f"{k}: {v}" for k, v in r["headers"])
        out["sigv4"].append(f"{r['method']}\n{r['path']}\n{r['query']}\n{head}".encode())

    # Framed bodies as the SDKs send them: [form, trailer, split] then the bytes.
    for form, body in (
        (3, b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"),
        (3, b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"),
        (1, b"5;chunk-signature=" + b"0" * 64 + b"\r\nhello\r\n0;chunk-signature=" + b"1" * 64 + b"\r\n\r\n"),
        (0, b"hello world"),
        (4, b"hello world"),
    ):
        for split in (0, 6, 255):
            out["s3_body"].append(bytes([form, 0, split]) + body)

    for case in load("oidc")["cases"]:
        out["jwt"].append(case["jwt"].encode())

    out["decisions"].append(bytes(range(256)))
    return out


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    total = 0
    for target, inputs in seeds().items():
        d = root / target
        d.mkdir(parents=True, exist_ok=True)
        for data in inputs:
            (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
        total += len(inputs)
    print(f"fuzz seeds: {total} inputs from tests/vectors into {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
