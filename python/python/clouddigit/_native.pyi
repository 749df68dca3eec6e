# Types of the native module built from python/src/lib.rs.
from typing import Literal, Optional, final

__version__: str

AllowedIpErrorCode = Literal["invalid_cidr", "prefix_too_long", "host_bits_set"]
AllowedIpWarningCode = Literal["duplicate", "covered", "allows_all"]

class ClouddigitError(ValueError):
    """Base of every clouddigit error; ``code`` is stable and machine-readable."""

    code: str

class AllowedIpsError(ClouddigitError):
    """An allow-list with bad entries; ``errors`` holds every one of them."""

    code: Literal["invalid_allowed_ips"]
    errors: list[AllowedIpEntryError]

class InvalidIpError(ClouddigitError):
    """Something that is not an IPv4 or IPv6 address was given where one was needed."""

    code: Literal["invalid_ip"]
    text: str

@final
class AllowedIpEntry:
    @property
    def index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def network(self) -> str: ...

@final
class AllowedIpEntryError:
    @property
    def index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def code(self) -> AllowedIpErrorCode: ...
    @property
    def message(self) -> str: ...
    @property
    def suggestion(self) -> Optional[str]: ...

@final
class AllowedIpEntryWarning:
    @property
    def index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def code(self) -> AllowedIpWarningCode: ...
    @property
    def message(self) -> str: ...
    @property
    def related_index(self) -> Optional[int]: ...

@final
class AllowedIpsReport:
    @property
    def entries(self) -> list[AllowedIpEntry]: ...
    @property
    def errors(self) -> list[AllowedIpEntryError]: ...
    @property
    def warnings(self) -> list[AllowedIpEntryWarning]: ...
    @property
    def is_valid(self) -> bool: ...

def check_allowed_ips(text: str) -> AllowedIpsReport:
    """Parses an "Allowed IPs" field and reports every problem. Never raises."""

@final
class AllowList:
    """A valid allow-list. Raises ``AllowedIpsError`` listing every bad entry."""

    def __init__(self, text: str) -> None: ...
    def contains(self, ip: str) -> bool:
        """Whether a caller at ``ip`` is allowed; raises ``InvalidIpError`` for a non-address."""
    def __contains__(self, ip: str) -> bool: ...
    def __len__(self) -> int: ...
    @property
    def networks(self) -> list[str]: ...
