"""boto3 over https, where it frames uploads as aws-chunked with a CRC trailer
(STREAMING-UNSIGNED-PAYLOAD-TRAILER): over plain http it signs the payload's hash
instead, so this form needs TLS. A TLS proxy in the test (a self-signed certificate from
openssl) passes the bytes through unchanged to the sandbox's S3 port."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import urlparse

import pytest

from conftest import REGION, Sandbox

HEADERS_SEEN: List[Dict[str, str]] = []


def pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class TlsProxy:
    def __init__(self, target: Tuple[str, int], cert: Path, key: Path) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.target = target
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
                tls = self.ctx.wrap_socket(conn, server_side=True)
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=pipe, args=(tls, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, tls), daemon=True).start()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def https(sandbox: Sandbox, tmp_path_factory: Any) -> Iterator[Tuple[str, Path]]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    u = urlparse(sandbox.s3_url)
    proxy = TlsProxy((u.hostname or "127.0.0.1", u.port or 80), cert, key)
    yield f"https://127.0.0.1:{proxy.port}", cert
    proxy.close()


def test_uploads_framed_with_a_checksum_trailer(sandbox: Sandbox, https: Tuple[str, Path], tmp_path: Path) -> None:
    import boto3
    from botocore.config import Config

    url, cert = https
    key = sandbox.access_key(sandbox.account("boto-https", "member"))
    s3 = boto3.client("s3", endpoint_url=url, region_name=REGION, verify=str(cert),
                      aws_access_key_id=key[0], aws_secret_access_key=key[1],
                      config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    sent: List[Dict[str, str]] = []
    s3.meta.events.register("before-send.s3.*", lambda request, **_: sent.append(
        {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}))
    s3.create_bucket(Bucket="boto-tls")
    s3.put_object(Bucket="boto-tls", Key="a.txt", Body=b"hello world")
    assert s3.get_object(Bucket="boto-tls", Key="a.txt")["Body"].read() == b"hello world"
    data = os.urandom(9 * 1024 * 1024)
    src = tmp_path / "tls.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), "boto-tls", "tls.bin")  # two parts, each framed the same way
    assert s3.get_object(Bucket="boto-tls", Key="tls.bin")["Body"].read() == data
    puts = [h for h in sent if h.get("x-amz-content-sha256", "").startswith("STREAMING-")]
    assert len(puts) >= 3, [h.get("x-amz-content-sha256") for h in sent]
    assert all(h["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER" for h in puts)
    assert all("aws-chunked" in h.get("content-encoding", "") for h in puts)
    # aws-chunked framed this request only: the object keeps no such encoding.
    assert "ContentEncoding" not in s3.head_object(Bucket="boto-tls", Key="a.txt")
