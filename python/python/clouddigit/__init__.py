"""Cloud Digit API tokens and service accounts: SDK and offline policy evaluator.

Every rule runs in the Rust core (``clouddigit._native``), the same code the browser
console, the npm package and the sandbox server run. This package only re-exports it.

Errors: functions that *check* return a report object and never raise; constructors
that need valid input raise a ``ClouddigitError`` (a ``ValueError``) with a stable
``code`` attribute.
"""

from ._native import (
    AllowedIpEntry,
    AllowedIpEntryError,
    AllowedIpEntryWarning,
    AllowedIpsError,
    AllowedIpsReport,
    AllowList,
    ClouddigitError,
    InvalidIpError,
    __version__,
    check_allowed_ips,
)

__all__ = [
    "AllowList",
    "AllowedIpEntry",
    "AllowedIpEntryError",
    "AllowedIpEntryWarning",
    "AllowedIpsError",
    "AllowedIpsReport",
    "ClouddigitError",
    "InvalidIpError",
    "__version__",
    "check_allowed_ips",
]
