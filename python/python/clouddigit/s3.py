"""S3: Cloud Digit object storage through boto3, and SigV4 signatures explained offline.

``boto3.client("s3", **s3_config())`` reaches the region's S3 endpoint. Which endpoint,
region and addressing that is (``https://s3.<region>.mymine.space``, or
``…clouddigit.ai`` with ``ingress="canonical"``, or an explicit ``endpoint_url`` such
as the sandbox's; buckets in the path) is decided by the Rust session
(``clouddigit-session``'s ``s3_config``), as for every SDK; this module only renames
its answer to boto3's arguments.

``sigv4_explain`` and ``sigv4_verify`` are the core's SigV4 verification, the code the
S3 endpoint runs: how it reads a request (canonical request, string to sign) and the
signature a secret gives, the answer to ``SignatureDoesNotMatch``.
"""

import importlib
import os
from typing import Any, Dict, Optional, TypedDict, Union, cast

from . import _native
from ._native import SigV4Error, sigv4_explain, sigv4_verify
from .errors import from_native
from .models import Secret
from .types import Explanation, Ingress, Region, RequestText, SigV4Verdict


class _S3ClientArgsRequired(TypedDict):
    endpoint_url: str
    region_name: str


class S3ClientArgs(_S3ClientArgsRequired, total=False):
    """What ``boto3.client("s3", **args)`` takes. Printing it shows the secret's prefix
    only."""

    aws_access_key_id: str
    aws_secret_access_key: str
    #: ``botocore.config.Config(s3={"addressing_style": "path"})``, when botocore is
    #: installed (boto3 brings it). Without it, pass that ``config=`` yourself.
    config: Any


class _Args(Dict[str, Any]):
    """A dict whose ``repr`` (and so ``print``, logging, tracebacks) redacts the secret."""

    def __repr__(self) -> str:
        shown = {k: (_native.redacted(v) if k == "aws_secret_access_key" else v) for k, v in self.items()}
        return repr(shown)

    __str__ = __repr__


def s3_config(
    region: Optional[Region] = None,
    *,
    ingress: Optional[Ingress] = None,
    endpoint_url: Optional[str] = None,
    access_key_id: Optional[str] = None,
    secret_access_key: Union[str, Secret, None] = None,
    allow_insecure_http: Optional[bool] = None,
    env: bool = True,
) -> S3ClientArgs:
    """The arguments of ``boto3.client("s3", **s3_config(...))`` for Cloud Digit object
    storage: ``endpoint_url``, ``region_name``, path-style addressing (``config``), and
    the access key when given (``secret_access_key`` a ``str`` or the :class:`Secret`
    that ``access_keys.create`` returned).

    Arguments win over the environment (``CD_S3_ENDPOINT_URL``, ``CD_REGION``,
    ``CD_ALLOW_INSECURE_HTTP``; ``env=False`` ignores it), and the environment over the
    defaults (``bd-dha-1``, operational). Raises :class:`clouddigit.ConfigError`
    (``unknown_region``, ``bad_endpoint_url``, ``insecure_endpoint_url``,
    ``incomplete_access_key``, ``bad_option``).
    """
    if isinstance(secret_access_key, Secret):
        secret_access_key = secret_access_key.reveal()
    given = {
        "region": region,
        "ingress": ingress,
        "endpoint_url": endpoint_url,
        "access_key_id": access_key_id,
        "secret_access_key": secret_access_key,
        "allow_insecure_http": allow_insecure_http,
    }
    options = {k: v for k, v in given.items() if v is not None}
    found = {k: os.environ[k] for k in _native.s3_env_vars() if k in os.environ} if env else {}
    try:
        c = _native.s3_config(options, found)
    except _native.ClientError as e:
        raise from_native(e) from None
    args = _Args(endpoint_url=c["endpoint_url"], region_name=c["region"])
    if "access_key_id" in c:
        args["aws_access_key_id"] = c["access_key_id"]
        args["aws_secret_access_key"] = c["secret_access_key"]
    if c["force_path_style"]:
        try:
            botocore_config: Any = importlib.import_module("botocore.config")
        except ImportError:
            pass
        else:
            args["config"] = botocore_config.Config(s3={"addressing_style": "path"})
    return cast(S3ClientArgs, args)


__all__ = [
    "Explanation",
    "RequestText",
    "S3ClientArgs",
    "SigV4Error",
    "SigV4Verdict",
    "s3_config",
    "sigv4_explain",
    "sigv4_verify",
]
