# Types of the native module built from python/src/lib.rs.
from collections.abc import Sequence
from typing import Literal, Optional, Union, final

from .types import (
    Check,
    EvaluateErrorCode,
    Outcome,
    OwnerState,
    PermissionScope,
    Reason,
    Request,
    Role,
    Token,
    TokenFormatErrorCode,
    TokenPolicy,
)

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

class EvaluateError(ClouddigitError):
    """A token, owner, request or policy that cannot be evaluated; ``field`` names the input."""

    code: EvaluateErrorCode
    field: str
    suggestion: Optional[str]

class TokenFormatError(ClouddigitError):
    """A string that is not a token secret; the message shows at most its first 9 characters."""

    code: TokenFormatErrorCode

@final
class CheckResult:
    @property
    def check(self) -> Check: ...
    @property
    def outcome(self) -> Outcome: ...
    @property
    def detail(self) -> str: ...

@final
class Decision:
    """The explained decision: allow or deny, the reason, a message and every check."""

    @property
    def allowed(self) -> bool: ...
    @property
    def reason(self) -> Reason: ...
    @property
    def message(self) -> str: ...
    @property
    def permission(self) -> Optional[str]: ...
    @property
    def checks(self) -> list[CheckResult]: ...
    @property
    def failed(self) -> list[Check]:
        """The checks that failed, in check order."""

@final
class PreparedToken:
    """A token checked and prepared once; raises ``EvaluateError`` for a bad token."""

    def __init__(self, token: Token) -> None: ...
    def authorize(
        self, owner: OwnerState, request: Request, policy: Optional[TokenPolicy] = None
    ) -> Decision: ...
    def effective_permissions(self, owner: OwnerState, project: Optional[str] = None) -> list[str]: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def prefix(self) -> str: ...

def authorize(
    token: Union[Token, PreparedToken],
    owner: OwnerState,
    request: Request,
    policy: Optional[TokenPolicy] = None,
) -> Decision:
    """Decides and explains one call; raises ``EvaluateError`` for input that cannot be evaluated."""

def authorize_many(
    prepared: PreparedToken,
    owner: OwnerState,
    requests: Sequence[Request],
    policy: Optional[TokenPolicy] = None,
) -> list[Decision]:
    """Decides many calls of one token; the GIL is released while deciding."""

def effective_permissions(
    token: Union[Token, PreparedToken], owner: OwnerState, project: Optional[str] = None
) -> list[str]:
    """Permission names the token may use in ``project`` (None: organization level)."""

@final
class TokenSecretInfo:
    @property
    def prefix(self) -> str: ...

def parse_token_secret(text: str) -> TokenSecretInfo:
    """Checks a token secret offline; raises ``TokenFormatError``."""

def is_token(text: str) -> bool: ...

@final
class Route:
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...

@final
class PermissionDef:
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def scope(self) -> PermissionScope: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def step_up(self) -> bool: ...
    @property
    def routes(self) -> list[Route]: ...
    @property
    def summary(self) -> str: ...

@final
class RoleDef:
    @property
    def name(self) -> Role: ...
    @property
    def level(self) -> PermissionScope: ...
    @property
    def inherits(self) -> Optional[Role]: ...
    @property
    def summary(self) -> str: ...

@final
class Catalog:
    @property
    def version(self) -> str: ...
    @property
    def roles(self) -> list[RoleDef]: ...
    @property
    def permissions(self) -> list[PermissionDef]: ...

def catalog() -> Catalog:
    """The built-in permission catalog and role table."""

def resolve_route(method: str, path: str) -> Optional[str]:
    """The permission a REST call maps to, or None."""

def expand_permission(pattern: str) -> list[str]:
    """The permissions a name or wildcard (``compute.*``) stands for; empty when none."""
