"""Writes tests/vectors/sigv4.json: S3 requests signed by botocore's own signers
(S3SigV4Auth for headers, S3SigV4QueryAuth for presigned URLs), so the core's SigV4
verification is checked against an independent implementation, not against itself.

Needs botocore (pip install botocore); the vectors are committed, the test command does
not run this. Each case: the request as a server receives it (method, raw path, raw query
string, headers), the key's secret, the server's clock, and the verdict (`ok`, or the
S3 error code the server must answer). Refusals are made from accepted requests by one
change each: another secret, a tampered header or path, the clock moved.
"""
import datetime as dt
import json
import pathlib
import urllib.parse
from unittest import mock

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OUT = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "sigv4.json"
KEY_ID = "CDAKEXAMPLE0123456789"
SECRET = "cdsk/EXAMPLE+secret0123456789abcdefghijklm"
REGION = "bd-dha-1"
SIGNED_AT = dt.datetime(2026, 11, 24, 12, 0, 0)
HOST = "127.0.0.1:8788"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def signed(method, path, query="", headers=None, body=b"", presign_expires=None, payload=None):
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    creds = Credentials(KEY_ID, SECRET)
    if payload == "UNSIGNED-PAYLOAD":
        # What boto3 sends when told not to sign bodies (s3={"payload_signing_enabled": False}).
        req.context["client_config"] = mock.Mock(s3={"payload_signing_enabled": False})
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT):
        if presign_expires is not None:
            S3SigV4QueryAuth(creds, "s3", REGION, expires=presign_expires).add_auth(req)
        else:
            S3SigV4Auth(creds, "s3", REGION).add_auth(req)
    parts = urllib.parse.urlsplit(req.url)
    hdrs = [[k, v] for k, v in req.headers.items()]
    if not any(k.lower() == "host" for k, _ in hdrs):
        hdrs.append(["Host", HOST])
    return {"method": method, "path": parts.path, "query": parts.query, "headers": hdrs}


def at(seconds):
    return (SIGNED_AT + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def case(name, request, expect, now=at(60), secret=SECRET):
    return {"name": name, "request": request, "secret": secret, "now": now, "expect": expect}


def header(req, name, value):
    out = json.loads(json.dumps(req))
    for h in out["headers"]:
        if h[0].lower() == name.lower():
            h[1] = value
    return out


cases = []
# Header-signed requests, as boto3 sends them.
list_buckets = signed("GET", "/")
cases.append(case("ListBuckets, header-signed", list_buckets, "ok"))
put = signed("PUT", "/web-assets/photos/2026/cat.jpg", body=b"meow",
             headers={"Content-Type": "image/jpeg"}, payload=__import__("hashlib").sha256(b"meow").hexdigest())
cases.append(case("PutObject with a signed payload hash", put, "ok"))
unsigned = signed("PUT", "/web-assets/big.bin", body=b"x" * 10, payload="UNSIGNED-PAYLOAD")
cases.append(case("PutObject with UNSIGNED-PAYLOAD", unsigned, "ok"))
listv2 = signed("GET", "/web-assets", query="list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=100&continuation-token=abc%3D%3D")
cases.append(case("ListObjectsV2 with an encoded query", listv2, "ok"))
spaces = signed("GET", "/web-assets/" + urllib.parse.quote("a key with spaces & ümlauts.txt"))
cases.append(case("GetObject of a key that needs encoding", spaces, "ok"))
tagging = signed("PUT", "/web-assets/cat.jpg", query="tagging", body=b"<Tagging/>", payload=__import__("hashlib").sha256(b"<Tagging/>").hexdigest())
cases.append(case("PutObjectTagging (a value-less query key)", tagging, "ok"))
multi = signed("POST", "/web-assets/big.bin", query="uploads")
cases.append(case("CreateMultipartUpload", multi, "ok"))
part = signed("PUT", "/web-assets/big.bin", query="partNumber=2&uploadId=u%2B1", payload="UNSIGNED-PAYLOAD")
cases.append(case("UploadPart", part, "ok"))
# Refusals of header-signed requests.
cases.append(case("another secret", list_buckets, "SignatureDoesNotMatch", secret=SECRET[:-1] + "M"))
cases.append(case("a signed header changed on the way", header(put, "Content-Type", "text/plain"), "SignatureDoesNotMatch"))
tampered = json.loads(json.dumps(put)); tampered["path"] = "/web-assets/photos/2026/dog.jpg"
cases.append(case("the path changed on the way", tampered, "SignatureDoesNotMatch"))
cases.append(case("14 minutes of skew is allowed", list_buckets, "ok", now=at(14 * 60)))
cases.append(case("16 minutes late", list_buckets, "RequestTimeTooSkewed", now=at(16 * 60)))
cases.append(case("16 minutes early", list_buckets, "RequestTimeTooSkewed", now=at(-16 * 60)))
bad_auth = header(list_buckets, "Authorization", "AWS4-HMAC-SHA256 Credential=" + KEY_ID + "/20261124/bd-dha-1/s3/aws4_request, Signature=00")
cases.append(case("an Authorization header without SignedHeaders", bad_auth, "AuthorizationHeaderMalformed"))
v2 = header(list_buckets, "Authorization", "AWS " + KEY_ID + ":c2lnbmF0dXJl")
cases.append(case("a SigV2 Authorization header", v2, "AuthorizationHeaderMalformed"))
# Presigned URLs.
get_url = signed("GET", "/web-assets/report.pdf", presign_expires=3600)
cases.append(case("a presigned GET within its hour", get_url, "ok", now=at(3599)))
cases.append(case("a presigned GET after its hour", get_url, "AccessDenied", now=at(3601)))
put_url = signed("PUT", "/web-assets/upload.bin", presign_expires=604800)
cases.append(case("a presigned PUT valid for 7 days", put_url, "ok", now=at(604000)))
too_long = signed("GET", "/web-assets/report.pdf", presign_expires=604801)
cases.append(case("a presigned URL asking for more than 7 days", too_long, "AuthorizationQueryParametersError"))
tampered_url = json.loads(json.dumps(get_url)); tampered_url["path"] = "/web-assets/other.pdf"
cases.append(case("a presigned URL for another key", tampered_url, "SignatureDoesNotMatch"))

doc = {
    "description": "S3 requests signed by botocore " + __import__("botocore").__version__ + " (tests/gen/sigv4_vectors.py) and the verdict the core's SigV4 verification must give: `ok` or the S3 error code.",
    "key_id": KEY_ID,
    "region": REGION,
    "cases": cases,
}
OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {OUT} ({len(cases)} cases)")
