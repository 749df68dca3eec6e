"""Cloud Digit API tokens and service accounts: SDK and offline policy evaluator.

Every rule runs in the Rust core (``clouddigit._native``), the same code the browser
console, the npm package and the sandbox server run. This package only re-exports it.

Errors: functions that *check* return a report object and never raise; constructors
that need valid input raise a ``ClouddigitError`` (a ``ValueError``) with a stable
``code`` attribute (``EvaluateError``, ``TokenFormatError``, ``AllowedIpsError``...).

Inputs are the API's JSON as plain dicts; ``clouddigit.types`` has their shapes as
``TypedDict``s (``Token``, ``OwnerState``, ``Request``, ``TokenPolicy``,
``TokenRequest``, ``ServiceAccountRequest``), generated from the same JSON Schema as
every other host's types. Data without behaviour comes back as such dicts too
(``limits()``, a permission's ``routes``).

Validation (``validate_token``, ``validate_service_account``) returns every error and
warning of a "New API token" / "New service account" draft with its field, and a
preview. The hot path is ``PreparedToken(token).check(PreparedOwner(owner), action,
project, ip, time)``, which returns only the reason code. The ``clouddigit`` command
(``clouddigit.cli``) runs the same core.

The API client is :class:`Client` (blocking, standard library transport) and
:class:`AsyncClient` (asyncio); see ``clouddigit.client``. Its errors are
``ApiError`` subclasses (``AuthenticationError``, ``PermissionDeniedError``, ...), its
results frozen dataclasses (``clouddigit.models``), and secrets shown once are
``Secret`` objects that print as their prefix.

OIDC workload identity: ``validate_trust`` checks a service account's trust in a CI
platform's issuer as the console's form does, ``trust_presets``/``trust_preset`` draft
one for GitHub Actions, GitLab CI or Kubernetes, and ``check_trust`` explains offline
whether a CI job's JWT would be accepted under a list of trusts, and why (its signature
verified only when the issuer's JWKS is given).

S3 (``clouddigit.s3``): ``boto3.client("s3", **s3_config(...))`` reaches the region's
object storage, and ``sigv4_explain``/``sigv4_verify`` run the S3 endpoint's SigV4
verification offline, to find out why a signature does not match.
"""

from ._native import (
    AllowedIpEntry,
    AllowedIpEntryError,
    AllowedIpEntryWarning,
    AllowedIpsError,
    AllowedIpsReport,
    AllowList,
    Catalog,
    CheckResult,
    ClouddigitError,
    Decision,
    EvaluateError,
    InvalidIpError,
    Issue,
    PermissionDef,
    PreparedOwner,
    PreparedToken,
    RoleDef,
    ScopePreview,
    ServiceAccountPreview,
    ServiceAccountValidation,
    TokenFormatError,
    TokenPreview,
    TokenSecretInfo,
    TokenValidation,
    __version__,
    audit_record,
    authorize,
    authorize_many,
    catalog,
    check_allowed_ips,
    check_trust,
    effective_permissions,
    expand_permission,
    hashed_token,
    limits,
    is_token,
    parse_token_secret,
    resolve_route,
    trust_preset,
    trust_presets,
    validate_service_account,
    validate_token,
    validate_trust,
)
# The SDK's Python modules load on first use (PEP 562), so that the `clouddigit` command,
# which needs only the native module, starts in a fifth of the time: the client pulls
# in asyncio, the types module typing's machinery (about 80 ms together).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import types
    from .client import AsyncClient, Client, ClientCredentials, HttpRequest, HttpResponse, RetryInfo, Transport
    from .errors import (
        ApiError,
        AuthenticationError,
        ConfigError,
        ConflictError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ServerError,
        TimeoutError,
        TransportError,
        ValidationError,
    )
    from .models import Secret
    from .s3 import S3ClientArgs, SigV4Error, s3_config, sigv4_explain, sigv4_verify
    from .types import (
        AuditContext,
        AuditEvent,
        AuditFormat,
        OwnerState,
        Request,
        Route,
        ServiceAccountRequest,
        Token,
        TokenPolicy,
        TokenRequest,
        Trust,
        TrustCheckReport,
        TrustSpec,
        TrustValidation,
    )

_LAZY = {
    "types": ("types", None),
    **{n: ("client", n) for n in ("AsyncClient", "Client", "ClientCredentials", "HttpRequest", "HttpResponse", "RetryInfo", "Transport")},
    **{
        n: ("errors", n)
        for n in (
            "ApiError", "AuthenticationError", "ConfigError", "ConflictError", "NotFoundError",
            "PermissionDeniedError", "RateLimitError", "ServerError", "TimeoutError", "TransportError", "ValidationError",
        )
    },
    "Secret": ("models", "Secret"),
    **{n: ("s3", n) for n in ("S3ClientArgs", "SigV4Error", "s3_config", "sigv4_explain", "sigv4_verify")},
    **{
        n: ("types", n)
        for n in (
            "AuditContext", "AuditEvent", "AuditFormat", "OwnerState", "Request", "Route", "ServiceAccountRequest",
            "Token", "TokenPolicy", "TokenRequest",
            "Trust", "TrustCheckReport", "TrustSpec", "TrustValidation",
        )
    },
}  # fmt: skip


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(f".{module_name}", __name__)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ClientCredentials",
    "ConfigError",
    "ConflictError",
    "HttpRequest",
    "HttpResponse",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryInfo",
    "Secret",
    "ServerError",
    "TimeoutError",
    "Transport",
    "TransportError",
    "ValidationError",
    "AllowList",
    "AllowedIpEntry",
    "AllowedIpEntryError",
    "AllowedIpEntryWarning",
    "AllowedIpsError",
    "AllowedIpsReport",
    "AuditContext",
    "AuditEvent",
    "AuditFormat",
    "Catalog",
    "CheckResult",
    "ClouddigitError",
    "Decision",
    "EvaluateError",
    "InvalidIpError",
    "Issue",
    "OwnerState",
    "PermissionDef",
    "PreparedOwner",
    "PreparedToken",
    "Request",
    "RoleDef",
    "Route",
    "ScopePreview",
    "ServiceAccountPreview",
    "ServiceAccountRequest",
    "ServiceAccountValidation",
    "S3ClientArgs",
    "SigV4Error",
    "Token",
    "TokenFormatError",
    "TokenPolicy",
    "TokenPreview",
    "TokenRequest",
    "TokenSecretInfo",
    "TokenValidation",
    "Trust",
    "TrustCheckReport",
    "TrustSpec",
    "TrustValidation",
    "__version__",
    "audit_record",
    "authorize",
    "authorize_many",
    "catalog",
    "limits",
    "check_allowed_ips",
    "check_trust",
    "effective_permissions",
    "expand_permission",
    "hashed_token",
    "is_token",
    "parse_token_secret",
    "resolve_route",
    "s3_config",
    "sigv4_explain",
    "sigv4_verify",
    "trust_preset",
    "trust_presets",
    "types",
    "validate_service_account",
    "validate_token",
    "validate_trust",
]
