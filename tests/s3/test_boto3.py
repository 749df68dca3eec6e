"""boto3, unmodified, against the sandbox's S3 endpoint: every operation the issue lists,
multipart through upload_file/download_file, presigned URLs fetched with requests, a
paginator over 2,500 keys, and the refusals a user meets, as boto3 raises them."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import REGION, Key, Sandbox, client

BUCKET = "boto-everyday"


def code(e: ClientError) -> str:
    return str(e.response["Error"]["Code"])


@pytest.fixture(scope="module")
def writer(sandbox: Sandbox) -> Key:
    return sandbox.access_key(sandbox.account("boto-writer", "member"))


@pytest.fixture(scope="module")
def s3(sandbox: Sandbox, writer: Key) -> Any:
    c = client(sandbox, writer)
    c.create_bucket(Bucket=BUCKET)
    return c


def test_buckets(sandbox: Sandbox, s3: Any) -> None:
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert BUCKET in names
    s3.head_bucket(Bucket=BUCKET)
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == REGION
    # The same bucket through /v1, in the key's project.
    v1 = sandbox.api("GET", "/v1/storage/buckets?project=web")["buckets"]
    assert BUCKET in [b["name"] for b in v1]
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=BUCKET)
    assert code(e.value) == "BucketAlreadyOwnedByYou"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Not_Valid")
    assert code(e.value) == "InvalidBucketName"
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="no-such-bucket")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.create_bucket(Bucket="boto-short-lived", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="boto-short-lived", Key="x", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="boto-short-lived")
    assert code(e.value) == "BucketNotEmpty"
    s3.delete_object(Bucket="boto-short-lived", Key="x")
    s3.delete_bucket(Bucket="boto-short-lived")
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="boto-short-lived")
    assert code(e.value) == "NoSuchBucket"


def test_objects_round_trip_with_metadata_ranges_and_conditions(s3: Any) -> None:
    key = "docs/hello world+ü.txt"
    put = s3.put_object(Bucket=BUCKET, Key=key, Body=b"hello world", ContentType="text/plain",
                        Metadata={"owner": "web"}, CacheControl="no-cache")
    assert put["ETag"] == '"5eb63bbbe01eeed093cb22bb8f5acdc3"'  # MD5, as S3 computes it
    got = s3.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read() == b"hello world"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "web"}
    assert got["CacheControl"] == "no-cache"
    part = s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=6-")
    assert part["Body"].read() == b"world"
    assert part["ContentRange"] == "bytes 6-10/11"
    assert s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=-3")["Body"].read() == b"rld"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=100-")
    assert code(e.value) == "InvalidRange"
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentLength"] == 11 and head["ETag"] == put["ETag"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key=key, IfMatch='"0000"')
    assert code(e.value) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key=key, IfNoneMatch=put["ETag"])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"again", IfNoneMatch="*")
    assert code(e.value) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key="docs/missing")
    assert code(e.value) == "NoSuchKey"
    # Copy, with and without new metadata.
    s3.copy_object(Bucket=BUCKET, Key="docs/copy.txt", CopySource={"Bucket": BUCKET, "Key": key})
    copy = s3.get_object(Bucket=BUCKET, Key="docs/copy.txt")
    assert copy["Body"].read() == b"hello world" and copy["Metadata"] == {"owner": "web"}
    s3.copy_object(Bucket=BUCKET, Key="docs/copy.txt", CopySource={"Bucket": BUCKET, "Key": key},
                   MetadataDirective="REPLACE", Metadata={"owner": "data"}, ContentType="text/markdown")
    copy = s3.head_object(Bucket=BUCKET, Key="docs/copy.txt")
    assert copy["Metadata"] == {"owner": "data"} and copy["ContentType"] == "text/markdown"
    s3.delete_object(Bucket=BUCKET, Key="docs/copy.txt")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=BUCKET, Key="docs/copy.txt")
    # Checksums the client asks for come back, and a wrong one is refused.
    put = s3.put_object(Bucket=BUCKET, Key="docs/sum.txt", Body=b"hello world", ChecksumAlgorithm="SHA256")
    assert put["ChecksumSHA256"] == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
    got = s3.get_object(Bucket=BUCKET, Key="docs/sum.txt", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == put["ChecksumSHA256"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=BUCKET, Key="docs/sum.txt", Body=b"hello world", ChecksumCRC32="AAAAAA==")
    assert code(e.value) == "BadDigest"


def test_listing_prefixes_delimiters_and_deleting_many(s3: Any) -> None:
    keys = ["list/a/1", "list/a/2", "list/b", "list/c/1", "list/c/2/x", "list/d"]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    out = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["list/b", "list/d"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["list/a/", "list/c/"]
    assert out["KeyCount"] == 4
    page = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", MaxKeys=2)
    assert page["IsTruncated"] and len(page["Contents"]) == 2
    rest = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", ContinuationToken=page["NextContinuationToken"])
    assert [o["Key"] for o in page["Contents"] + rest["Contents"]] == sorted(keys)
    after = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", StartAfter="list/c/1")
    assert [o["Key"] for o in after["Contents"]] == ["list/c/2/x", "list/d"]
    v1 = s3.list_objects(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    assert [o["Key"] for o in v1["Contents"]] == ["list/b", "list/d"]
    deleted = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == sorted(keys)
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="list/")["KeyCount"] == 0


def test_a_paginator_over_2500_keys(s3: Any) -> None:
    keys = [f"many/{i:05d}" for i in range(2500)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=BUCKET, Key=k, Body=b"."), keys))
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="many/"))
    assert len(pages) == 3  # 1000 keys a page
    assert [o["Key"] for p in pages for o in p["Contents"]] == keys
    # v1's paginator (markers) sees the same keys.
    v1 = s3.get_paginator("list_objects").paginate(Bucket=BUCKET, Prefix="many/")
    assert sum(len(p["Contents"]) for p in v1) == 2500
    for i in range(0, 2500, 1000):
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})


def test_upload_file_and_download_file_of_20_mb_go_through_multipart(s3: Any, tmp_path: Path) -> None:
    data = os.urandom(20 * 1024 * 1024)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), BUCKET, "big/20mb.bin")
    head = s3.head_object(Bucket=BUCKET, Key="big/20mb.bin")
    assert head["ContentLength"] == len(data)
    # upload_file uses 8 MB parts: three of them, and S3's multipart ETag.
    md5s = b"".join(hashlib.md5(data[i:i + 8 * 1024 * 1024]).digest() for i in range(0, len(data), 8 * 1024 * 1024))
    assert head["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    dst = tmp_path / "back.bin"
    s3.download_file(BUCKET, "big/20mb.bin", str(dst))
    assert dst.read_bytes() == data
    # A managed copy of a large object goes through UploadPartCopy.
    s3.copy({"Bucket": BUCKET, "Key": "big/20mb.bin"}, BUCKET, "big/copy.bin")
    assert s3.get_object(Bucket=BUCKET, Key="big/copy.bin")["Body"].read() == data


def test_multipart_calls_by_hand(s3: Any) -> None:
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/hand.bin", Metadata={"k": "v"})
    uid = up["UploadId"]
    p1 = s3.upload_part(Bucket=BUCKET, Key="mp/hand.bin", UploadId=uid, PartNumber=1, Body=b"a" * (5 * 1024 * 1024))
    p2 = s3.upload_part(Bucket=BUCKET, Key="mp/hand.bin", UploadId=uid, PartNumber=2, Body=b"tail")
    parts = s3.list_parts(Bucket=BUCKET, Key="mp/hand.bin", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * 1024 * 1024), (2, 4)]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=BUCKET, Key="mp/hand.bin", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 2, "ETag": p2["ETag"]}, {"PartNumber": 1, "ETag": p1["ETag"]}]})
    assert code(e.value) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=BUCKET, Key="mp/hand.bin", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"0123"'}]})
    assert code(e.value) == "InvalidPart"
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="mp/hand.bin", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
    assert done["ETag"].endswith('-2"')
    got = s3.get_object(Bucket=BUCKET, Key="mp/hand.bin")
    assert got["ContentLength"] == 5 * 1024 * 1024 + 4 and got["Metadata"] == {"k": "v"}
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=BUCKET, Key="mp/hand.bin", UploadId=uid)
    assert code(e.value) == "NoSuchUpload"
    # Aborting drops the parts.
    uid = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/gone.bin")["UploadId"]
    s3.upload_part(Bucket=BUCKET, Key="mp/gone.bin", UploadId=uid, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=BUCKET, Key="mp/gone.bin", UploadId=uid)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=BUCKET, Key="mp/gone.bin", UploadId=uid, PartNumber=2, Body=b"y")
    assert code(e.value) == "NoSuchUpload"


def test_tagging_and_object_lock(sandbox: Sandbox, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="tags/a", Body=b"a", Tagging="team=web&tier=gold")
    assert {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=BUCKET, Key="tags/a")["TagSet"]} == {
        "team": "web", "tier": "gold"}
    s3.put_object_tagging(Bucket=BUCKET, Key="tags/a", Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    assert s3.get_object_tagging(Bucket=BUCKET, Key="tags/a")["TagSet"] == [{"Key": "team", "Value": "data"}]
    s3.delete_object_tagging(Bucket=BUCKET, Key="tags/a")
    assert s3.get_object_tagging(Bucket=BUCKET, Key="tags/a")["TagSet"] == []
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=BUCKET)
    assert code(e.value) == "NoSuchTagSet"
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
    assert s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [{"Key": "env", "Value": "prod"}]
    # Bucket tags are the tags /v1 shows and tag selectors match.
    b = sandbox.api("GET", f"/v1/storage/buckets/{BUCKET}")
    assert b["tags"] == {"env": "prod"}
    s3.delete_bucket_tagging(Bucket=BUCKET)
    # Object Lock: on is an ordinary permission, off needs step-up, which no key has.
    s3.create_bucket(Bucket="boto-locked", ObjectLockEnabledForBucket=True)
    conf = s3.get_object_lock_configuration(Bucket="boto-locked")["ObjectLockConfiguration"]
    assert conf["ObjectLockEnabled"] == "Enabled"
    with pytest.raises(ClientError) as e:
        s3.get_object_lock_configuration(Bucket=BUCKET)
    assert code(e.value) == "ObjectLockConfigurationNotFoundError"
    s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert sandbox.api("GET", f"/v1/storage/buckets/{BUCKET}")["object_lock"] is True
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={})
    assert code(e.value) == "AccessDenied" and "step_up_required" in str(e.value)


def test_presigned_get_and_put_with_requests(sandbox: Sandbox, s3: Any) -> None:
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "pre/file.txt"}, ExpiresIn=300)
    r = requests.put(put_url, data=b"from a presigned PUT", timeout=30)
    assert r.status_code == 200, r.text
    get_url = s3.generate_presigned_url("get_object", Params={
        "Bucket": BUCKET, "Key": "pre/file.txt", "ResponseContentDisposition": "attachment"}, ExpiresIn=60)
    r = requests.get(get_url, timeout=30)
    assert r.status_code == 200 and r.content == b"from a presigned PUT"
    assert r.headers["content-disposition"] == "attachment"
    # Changed in transit: refused.
    r = requests.get(get_url.replace("pre/file.txt", "pre/other.txt"), timeout=30)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    # The signature never reaches the audit log.
    sig = get_url.split("X-Amz-Signature=")[1].split("&")[0]
    events = sandbox.audit(actor="boto-writer")
    assert events and not any(sig in str(e) for e in events)
    # Past its expiry (the sandbox clock moves; the URL was signed for 60 s).
    sandbox.advance(120)
    try:
        r = requests.get(get_url, timeout=30)
        assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text and "expired" in r.text
    finally:
        sandbox.reset_clock()
    # Longer than S3's seven days: refused by name.
    long_url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "x"}, ExpiresIn=8 * 86400)
    r = requests.get(long_url, timeout=30)
    assert r.status_code == 400 and "<Code>AuthorizationQueryParametersError</Code>" in r.text


def test_refusals_as_boto3_raises_them(sandbox: Sandbox, s3: Any, writer: Key) -> None:
    # A wrong secret.
    bad = client(sandbox, Key(writer[0], writer[1][:-2] + "xx"))
    with pytest.raises(ClientError) as e:
        bad.list_objects_v2(Bucket=BUCKET)
    assert code(e.value) == "SignatureDoesNotMatch"
    assert writer[1] not in str(e.value.response)
    # A deleted key.
    sa = sandbox.account("boto-deleted", "member")
    key = sandbox.access_key(sa)
    c = client(sandbox, key)
    c.list_objects_v2(Bucket=BUCKET)
    sandbox.api("DELETE", f"/v1/iam/service-accounts/{sa}/access-keys/{key[0]}")
    with pytest.raises(ClientError) as e:
        c.list_objects_v2(Bucket=BUCKET)
    assert code(e.value) == "InvalidAccessKeyId"
    # A disabled account, then enabled again.
    sa = sandbox.account("boto-disabled", "member")
    c = client(sandbox, sandbox.access_key(sa))
    sandbox.api("POST", f"/v1/iam/service-accounts/{sa}/disable")
    with pytest.raises(ClientError) as e:
        c.list_objects_v2(Bucket=BUCKET)
    assert code(e.value) == "AccessDenied" and "owner_inactive" in str(e.value)
    sandbox.api("POST", f"/v1/iam/service-accounts/{sa}/enable")
    c.list_objects_v2(Bucket=BUCKET)
    # A role without storage.objects.put reads but does not write.
    ro = client(sandbox, sandbox.access_key(sandbox.account("boto-reader", "read_only")))
    ro.get_object(Bucket=BUCKET, Key="tags/a")
    with pytest.raises(ClientError) as e:
        ro.put_object(Bucket=BUCKET, Key="nope", Body=b"x")
    assert code(e.value) == "AccessDenied" and "not_in_role" in str(e.value)
    with pytest.raises(ClientError) as e:
        ro.upload_part(Bucket=BUCKET, Key="nope", UploadId="u", PartNumber=1, Body=b"x")
    assert code(e.value) == "AccessDenied"
    # A tag selector that does not match the bucket's tags.
    s3.create_bucket(Bucket="boto-staging")
    s3.put_bucket_tagging(Bucket="boto-staging", Tagging={"TagSet": [{"Key": "env", "Value": "staging"}]})
    prod = client(sandbox, sandbox.access_key(sandbox.account("boto-prod-only", "member", tag_selector={"env": "prod"})))
    with pytest.raises(ClientError) as e:
        prod.put_object(Bucket="boto-staging", Key="x", Body=b"x")
    assert code(e.value) == "AccessDenied" and "tag_mismatch" in str(e.value)
    assert "boto-staging" not in [b["Name"] for b in prod.list_buckets()["Buckets"]]
    # ...and it cannot retag a bucket into its reach either.
    with pytest.raises(ClientError) as e:
        prod.put_bucket_tagging(Bucket="boto-staging", Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
    assert code(e.value) == "AccessDenied"
    # A clock more than 15 minutes away from the client's.
    sandbox.advance(16 * 60)
    try:
        with pytest.raises(ClientError) as e:
            s3.list_objects_v2(Bucket=BUCKET)
        assert code(e.value) == "RequestTimeTooSkewed"
    finally:
        sandbox.reset_clock()
    # The wrong region: the error names the right one, and boto3's region redirector
    # signs again with it, as it does against S3.
    import boto3
    from botocore.config import Config
    wrong = boto3.client("s3", endpoint_url=sandbox.s3_url, region_name="us-east-1",
                         aws_access_key_id=writer[0], aws_secret_access_key=writer[1],
                         config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    wrong.list_objects_v2(Bucket=BUCKET)
    refused = [e for e in sandbox.audit(token_prefix=writer[0]) if e["error_code"] == "AuthorizationHeaderMalformed"]
    assert refused


def test_every_call_is_audited_with_the_key_and_the_operation(sandbox: Sandbox, s3: Any, writer: Key) -> None:
    s3.put_object(Bucket=BUCKET, Key="audited/one.txt", Body=b"1")
    events = sandbox.audit(actor="boto-writer")
    put = [e for e in events if e["method"] == "PUT" and e["path"] == f"/{BUCKET}/audited/one.txt"]
    assert put, events[:3]
    e = put[0]
    assert e["token_prefix"] == writer[0] and e["token_id"] == writer[0]
    assert e["status"] == 200 and e["project"] == "web"
    assert "S3 PutObject" in (e.get("detail") or "")
    denied = [e for e in sandbox.audit(actor="boto-reader") if e["status"] == 403]
    assert denied and denied[0]["error_code"] == "AccessDenied"
    for ev in events:
        assert writer[1] not in str(ev)


def test_the_readme_quick_start(sandbox: Sandbox, writer: Key, tmp_path: Path, monkeypatch: Any) -> None:
    """README.md's three lines, as written, with the sandbox's endpoint in the environment."""
    import boto3
    import clouddigit

    monkeypatch.setenv("CD_S3_ENDPOINT_URL", sandbox.s3_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.csv").write_text("day,calls\n1,42\n")
    KEY_ID, SECRET = writer.id, writer.secret
    s3 = boto3.client("s3", **clouddigit.s3_config("bd-dha-1", access_key_id=KEY_ID, secret_access_key=SECRET))
    s3.upload_file("report.csv", "acme-web-assets", "reports/report.csv")
    got = s3.get_object(Bucket="acme-web-assets", Key="reports/report.csv")["Body"].read()
    assert got == b"day,calls\n1,42\n"
    assert KEY_ID in repr(clouddigit.s3_config(access_key_id=KEY_ID, secret_access_key=SECRET, endpoint_url=sandbox.s3_url)) \
        and SECRET not in repr(clouddigit.s3_config(access_key_id=KEY_ID, secret_access_key=SECRET, endpoint_url=sandbox.s3_url))


def test_objects_survive_a_restart_with_db(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    first = Sandbox("--db", str(db))
    try:
        key = first.access_key(first.account("persist", "member"))
        c = client(first, key)
        c.create_bucket(Bucket="boto-kept")
        c.put_object(Bucket="boto-kept", Key="k", Body=b"kept")
    finally:
        first.close()
    assert (tmp_path / "state.db.key").stat().st_mode & 0o077 == 0
    assert key[1].encode() not in db.read_bytes()
    second = Sandbox("--db", str(db))
    try:
        assert client(second, key).get_object(Bucket="boto-kept", Key="k")["Body"].read() == b"kept"
    finally:
        second.close()


def rss_peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def test_a_1_gib_object_goes_in_and_out_in_bounded_memory(tmp_path: Path) -> None:
    box = Sandbox()
    try:
        c = client(box, box.access_key(box.account("big", "member")))
        c.create_bucket(Bucket="boto-huge")
        size = 1024 * 1024 * 1024
        block = os.urandom(1024 * 1024)
        src = tmp_path / "huge.bin"
        with open(src, "wb") as f:
            for _ in range(size // len(block)):
                f.write(block)
        before = rss_peak_kb(box.proc.pid)
        with open(src, "rb") as f:  # one PUT: a single 1 GiB body, streamed
            c.put_object(Bucket="boto-huge", Key="huge.bin", Body=f)
        src.unlink()
        body = c.get_object(Bucket="boto-huge", Key="huge.bin")["Body"]
        h = hashlib.md5()
        n = 0
        for chunk in body.iter_chunks(1024 * 1024):
            h.update(chunk)
            n += len(chunk)
        assert n == size
        expected = hashlib.md5()
        for _ in range(size // len(block)):
            expected.update(block)
        assert h.hexdigest() == expected.hexdigest()
        peak = rss_peak_kb(box.proc.pid)
        print(f"sandbox peak RSS {before // 1024} MB before, {peak // 1024} MB after a 1 GiB PUT and GET")
        assert peak < before + 200 * 1024, (before, peak)
    finally:
        box.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(pytest.main([__file__, "-q"]))
