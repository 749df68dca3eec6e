"""Cloud Digit API tokens and service accounts: SDK and offline policy evaluator.

Every rule runs in the Rust core (``clouddigit._native``), the same code the browser
console, the npm package and the sandbox server run. This package only re-exports it.

Errors: functions that *check* return a report object and never raise; constructors
that need valid input raise a ``ClouddigitError`` (a ``ValueError``) with a stable
``code`` attribute (``EvaluateError``, ``TokenFormatError``, ``AllowedIpsError``...).

Inputs are the API's JSON as plain dicts; ``clouddigit.types`` has their shapes as
``TypedDict``s (``Token``, ``OwnerState``, ``Request``, ``TokenPolicy``).
"""

from . import types
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
    PermissionDef,
    PreparedToken,
    RoleDef,
    Route,
    TokenFormatError,
    TokenSecretInfo,
    __version__,
    authorize,
    authorize_many,
    catalog,
    check_allowed_ips,
    effective_permissions,
    expand_permission,
    is_token,
    parse_token_secret,
    resolve_route,
)
from .types import OwnerState, Request, Token, TokenPolicy

__all__ = [
    "AllowList",
    "AllowedIpEntry",
    "AllowedIpEntryError",
    "AllowedIpEntryWarning",
    "AllowedIpsError",
    "AllowedIpsReport",
    "Catalog",
    "CheckResult",
    "ClouddigitError",
    "Decision",
    "EvaluateError",
    "InvalidIpError",
    "OwnerState",
    "PermissionDef",
    "PreparedToken",
    "Request",
    "RoleDef",
    "Route",
    "Token",
    "TokenFormatError",
    "TokenPolicy",
    "TokenSecretInfo",
    "__version__",
    "authorize",
    "authorize_many",
    "catalog",
    "check_allowed_ips",
    "effective_permissions",
    "expand_permission",
    "is_token",
    "parse_token_secret",
    "resolve_route",
    "types",
]
