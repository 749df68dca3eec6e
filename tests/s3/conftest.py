"""The sandbox's S3 endpoint, started for real clients (boto3, the aws CLI, requests).

Each test module gets a sandbox binary on free ports (tests/sandbox_harness.py), a
bootstrap owner token, and helpers that make service accounts and access keys through the
/v1 API, as a user would.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sandbox_harness import Key, Sandbox  # noqa: E402

REGION = "bd-dha-1"
__all__ = ["Key", "REGION", "Sandbox", "client"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    s = Sandbox()
    yield s
    s.close()


def client(sandbox: Sandbox, key: Any, **config: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=sandbox.s3_url, region_name=REGION,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )
