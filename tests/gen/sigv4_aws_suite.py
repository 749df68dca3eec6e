"""Writes tests/vectors/sigv4_aws_suite.json from the AWS SigV4 test suite: the
header-signed requests whose canonical request S3's rules give too, so the core's
verification is checked against the suite's own signatures.

    python3 tests/gen/sigv4_aws_suite.py <suite dir>

<suite dir> is the suite's `v4` folder as awslabs/aws-c-auth vendors it
(tests/aws-signing-test-suite/v4/, one folder per case). The vectors are committed; the
test command does not run this. Standard library only.

What is taken and how:
- `header-signed-request.txt` is the request as the server receives it. Its target is
  percent-encoded as a client sends it on the wire (`/example space/` arrives as
  `/example%20space/`, `/ሴ` as `/%E1%88%B4`); a folded header line (obs-fold) is
  unfolded into one value, as RFC 9112 has a server do. The body's SHA-256 is
  `body_sha256`: these requests sign it without an `x-amz-content-sha256` header.
- A case is kept only when its canonical URI is the path encoded once, not normalized,
  as S3 signs it; the `*-normalized` cases that remove dot segments or merge slashes are
  listed under `excluded`, with the reason. The presigned (`query-*`) forms are left
  out: the suite signs the body's hash there, where S3's presigned URLs always sign
  `UNSIGNED-PAYLOAD`.
- `canonical_request` is the suite's own, which `sigv4 explain` must reproduce.
- Refusals are accepted cases with one change each (`expect`: the S3 error code).
"""
import hashlib
import json
import pathlib
import sys
import urllib.parse

OUT = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "sigv4_aws_suite.json"
NOW = "2015-08-30T12:36:00Z"


def read(case_dir, name):
    return (case_dir / name).read_text(encoding="utf-8")


def parse_signed(text):
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    # `GET /example space/ HTTP/1.1`: the target may hold spaces.
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            # obs-fold: the continuation joins the value with one space.
            headers[-1][1] = headers[-1][1].rstrip() + " " + line.strip()
            continue
        name, _, value = line.partition(":")
        headers.append([name, value.strip()])
    wire = urllib.parse.quote(target, safe="!#$&'()*+,/:;=?@[]~%")
    path, _, query = wire.partition("?")
    return {
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
    }


def s3_canonical_uri(path):
    return urllib.parse.quote(urllib.parse.unquote(path), safe="/-_.~")


def load(suite):
    cases, excluded = [], []
    for d in sorted(p for p in suite.iterdir() if p.is_dir()):
        ctx = json.loads(read(d, "context.json"))
        creq = read(d, "header-canonical-request.txt")
        req = parse_signed(read(d, "header-signed-request.txt"))
        creds = ctx["credentials"]
        if s3_canonical_uri(req["path"]) != creq.split("\n")[1]:
            excluded.append(
                {
                    "name": d.name,
                    "why": f"the suite normalizes the path {req['path']!r} to {creq.split(chr(10))[1]!r}; S3 signs the path as sent",
                }
            )
            continue
        assert creq.rstrip("\n").split("\n")[-1] == req["body_sha256"], d.name
        cases.append(
            {
                "name": d.name,
                "request": req,
                "secret": creds["secret_access_key"],
                "now": ctx["timestamp"],
                "expect": "ok",
                "canonical_request": creq,
                "_key_id": creds["access_key_id"],
                "_region": ctx["region"],
            }
        )
    return cases, excluded


def changed(cases, name, new_name, edit):
    base = next(c for c in cases if c["name"] == name)
    out = json.loads(json.dumps(base))
    out["name"] = new_name
    out["expect"] = "SignatureDoesNotMatch"
    out.pop("canonical_request")
    edit(out)
    return out


def main():
    suite = pathlib.Path(sys.argv[1])
    cases, excluded = load(suite)
    key_ids = {c.pop("_key_id") for c in cases}
    regions = {c.pop("_region") for c in cases}
    assert len(key_ids) == 1 and len(regions) == 1 and all(c["now"] == NOW for c in cases)

    def query(c):
        c["request"]["query"] = c["request"]["query"].replace("value1", "value9")

    def unsigned_payload(c):
        del c["request"]["body_sha256"]

    def secret(c):
        c["secret"] = c["secret"][:-1] + "Z"

    def reorder(c):
        hs = c["request"]["headers"]
        mine = [h for h in hs if h[0] == "My-Header1"]
        values = [h[1] for h in mine][::-1]
        for h, v in zip(mine, values):
            h[1] = v

    refusals = [
        changed(cases, "get-vanilla-query-order-key-case", "get-vanilla-query-order-key-case, a query value changed", query),
        changed(cases, "get-vanilla", "get-vanilla without the body's hash (read as UNSIGNED-PAYLOAD)", unsigned_payload),
        changed(cases, "post-x-www-form-urlencoded", "post-x-www-form-urlencoded, another secret", secret),
        changed(cases, "get-header-value-order", "get-header-value-order, the repeated header's values reversed", reorder),
    ]
    excluded.append(
        {
            "name": "query-* (every case's presigned form)",
            "why": "the suite signs the body's hash in presigned URLs; S3's presigned URLs sign UNSIGNED-PAYLOAD",
        }
    )
    doc = {
        "description": "The AWS SigV4 test suite's header-signed requests (awslabs/aws-c-auth tests/aws-signing-test-suite/v4) whose canonical request S3's rules give too, written by tests/gen/sigv4_aws_suite.py, and the verdict the core's SigV4 verification must give: `ok` or the S3 error code. `body_sha256` is the hash these requests sign without an x-amz-content-sha256 header; `canonical_request` is the suite's.",
        "key_id": key_ids.pop(),
        "region": regions.pop(),
        "excluded": excluded,
        "cases": cases + refusals,
    }
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(cases)} suite cases, {len(refusals)} refusals, {len(excluded)} excluded")


if __name__ == "__main__":
    main()
