# Types of the native module built from python/src/lib.rs.
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Optional, Union, final

from .types import (
    AllowedIpErrorCode,
    AllowedIpWarningCode,
    AuditContext,
    AuditEvent,
    AuditFormat,
    Check,
    EvaluateErrorCode,
    Explanation,
    IssueCode,
    Limits,
    Outcome,
    OwnerState,
    PermissionScope,
    Preset,
    PresetInfo,
    Reason,
    Request,
    RequestText,
    Role,
    Route,
    ServiceAccountRequest,
    SigV4Verdict,
    Timestamp,
    Token,
    TokenFormatErrorCode,
    TokenPolicy,
    TokenRequest,
    Trust,
    TrustCheckReport,
    TrustSpec,
    TrustValidation,
)

__all__ = [
    "AllowList",
    "AllowedIpEntry",
    "AllowedIpEntryError",
    "AllowedIpEntryWarning",
    "AllowedIpsError",
    "AllowedIpsReport",
    "Catalog",
    "CheckResult",
    "ClientError",
    "ClouddigitError",
    "Decision",
    "EvaluateError",
    "InvalidIpError",
    "Issue",
    "PermissionDef",
    "PreparedOwner",
    "PreparedToken",
    "Replay",
    "RoleDef",
    "ScopePreview",
    "ServiceAccountPreview",
    "ServiceAccountValidation",
    "Session",
    "SigV4Error",
    "Task",
    "TokenFormatError",
    "TokenPreview",
    "TokenSecretInfo",
    "TokenValidation",
    "__version__",
    "after_response",
    "audit_record",
    "authorize",
    "authorize_many",
    "catalog",
    "check_allowed_ips",
    "check_trust",
    "decision",
    "effective_permissions",
    "expand_permission",
    "hashed_token",
    "is_token",
    "limits",
    "parse_token_secret",
    "redacted",
    "resolve_route",
    "keychain_get",
    "run_cli",
    "s3_config",
    "s3_env_vars",
    "sigv4_explain",
    "sigv4_verify",
    "token_validation",
    "trust_preset",
    "trust_presets",
    "validate_service_account",
    "validate_token",
    "validate_trust",
]

__version__: str

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

    def __new__(cls, text: str) -> AllowList: ...
    def contains(self, ip: str) -> bool:
        """Whether a caller at ``ip`` is allowed; raises ``InvalidIpError`` for a non-address."""
    def __contains__(self, ip: str, /) -> bool: ...
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

    def __new__(cls, token: Token) -> PreparedToken: ...
    def authorize(
        self, owner: OwnerState, request: Request, policy: Optional[TokenPolicy] = None
    ) -> Decision: ...
    def effective_permissions(self, owner: OwnerState, project: Optional[str] = None) -> list[str]: ...
    def check(
        self,
        owner: PreparedOwner,
        action: str,
        project: Optional[str] = None,
        ip: Optional[str] = None,
        time: Optional[Timestamp] = None,
    ) -> Reason:
        """The hot path: ``"allowed"`` or the first failing check, no explanation.

        ``action`` is a permission name or ``"METHOD /v1/path"``; an ``ip`` that is not an
        address counts as none; ``time`` is an aware ``datetime``, an RFC 3339 string or
        ``None`` (now). A naive ``datetime`` or a bad string raises ``EvaluateError``
        (``invalid_input``, field ``time``)."""
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
    def credential(self) -> bool: ...
    @property
    def routes(self) -> list[Route]:
        """The REST calls that map to it, as ``{"method", "path"}`` dicts."""
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

def limits() -> Limits:
    """The limits the forms and the server hold drafts to (``max_token_permissions``,
    ``max_allowed_ips``, name and description lengths, ``max_policy_lifetime_days``)."""

def catalog() -> Catalog:
    """The built-in permission catalog and role table."""

def resolve_route(method: str, path: str) -> Optional[str]:
    """The permission a REST call maps to, or None."""

def expand_permission(pattern: str) -> list[str]:
    """The permissions a name or wildcard (``compute.*``) stands for; empty when none."""

@final
class PreparedOwner:
    """An owner's current state prepared once, for ``PreparedToken.check``; raises
    ``EvaluateError`` (``invalid_input``, field ``owner``) for a dict of the wrong shape."""

    def __new__(cls, owner: OwnerState) -> PreparedOwner: ...
    @property
    def type(self) -> Literal["user", "service_account"]: ...
    @property
    def id(self) -> str: ...

@final
class Issue:
    """One validation finding, attached to the field that caused it."""

    @property
    def field(self) -> str:
        """Where in the draft: ``name``, ``projects[1]``, ``permissions[5]``, ``allowed_ips[2]``."""
    @property
    def code(self) -> IssueCode: ...
    @property
    def message(self) -> str: ...
    @property
    def suggestion(self) -> Optional[str]:
        """The likely intended value, when there is one answer."""

@final
class ScopePreview:
    """What a token would be allowed to do in one place."""

    @property
    def project(self) -> Optional[str]:
        """A project id, or ``None`` for organization-level permissions."""
    @property
    def role(self) -> Optional[Role]:
        """The owner's role there now."""
    @property
    def permissions(self) -> list[str]:
        """Effective permissions, in catalog order."""

@final
class TokenPreview:
    @property
    def expires_at(self) -> Optional[datetime]:
        """An aware ``datetime`` in UTC; ``None`` when the token never expires or the expiry is not valid."""
    @property
    def lifetime_days(self) -> Optional[int]: ...
    @property
    def scopes(self) -> list[ScopePreview]: ...
    @property
    def summary(self) -> str:
        """One line for the confirmation step; never contains a secret."""

@final
class TokenValidation:
    @property
    def valid(self) -> bool:
        """No errors: the server would accept the draft."""
    @property
    def errors(self) -> list[Issue]: ...
    @property
    def warnings(self) -> list[Issue]: ...
    @property
    def preview(self) -> TokenPreview: ...

@final
class ServiceAccountPreview:
    @property
    def tag_selector(self) -> dict[str, str]:
        """The parsed selector (valid pairs only)."""
    @property
    def allowed_ips(self) -> list[str]:
        """The allow-list, normalized (valid entries only)."""
    @property
    def permissions(self) -> list[str]:
        """What the role grants, in catalog order."""
    @property
    def summary(self) -> str: ...

@final
class ServiceAccountValidation:
    @property
    def valid(self) -> bool: ...
    @property
    def errors(self) -> list[Issue]: ...
    @property
    def warnings(self) -> list[Issue]: ...
    @property
    def preview(self) -> ServiceAccountPreview: ...

def validate_token(request: TokenRequest) -> TokenValidation:
    """Validates a "New API token" request; never raises for what the user typed (every
    problem is an ``Issue``). Input of the wrong shape raises ``EvaluateError``
    (``invalid_input``, field ``request``)."""

def validate_service_account(request: ServiceAccountRequest) -> ServiceAccountValidation:
    """Validates a "New service account" request; never raises for what the user typed.
    Input of the wrong shape raises ``EvaluateError`` (``invalid_input``, field ``request``)."""

def audit_record(event: AuditEvent, format: AuditFormat, context: AuditContext) -> dict[str, Any]:
    """``event`` as ``format`` writes it (``"json"``, ``"ocsf"``, ``"cloudtrail"``),
    ``context`` saying where it came from: the record the audit export and every stream
    send, as a dict. Raises ``EvaluateError`` (``invalid_input``, ``field`` the argument)
    for an unknown format or a dict of the wrong shape."""

def hashed_token(secret: str) -> str:
    """A token secret's ``hashed_token`` as the audit log writes it (SHA-256, base64):
    the way to find a leaked secret's calls in the log, which never holds the secret."""

def run_cli(argv: list[str], host: Any | None = None) -> int:
    """Runs the ``clouddigit`` command line (without the program name) and returns its exit
    status: 0 success, 1 a denial or a finding, 2 bad input. Output goes to
    ``sys.stdout``/``sys.stderr``; a write error (closed pipe) or Ctrl-C is raised after
    the command stops."""

def keychain_get(profile: str) -> tuple[Optional[str], Optional[str]]:
    """The profile's token in the OS keychain: ``(token, None)``, ``(None, None)`` when
    there is no entry, ``(None, why)`` when the keychain could not be read."""

# ---- the SDK client's session (driven by clouddigit.client) ----

class ClientError(Exception):
    """Internal: ``args == (message, core ApiError as JSON)``; clouddigit.client raises
    the typed exception instead."""

@final
class Session:
    """One client's sans-I/O session (``clouddigit-session``): options, credentials,
    the bearer cache, the throttle, the last whoami."""

    def __new__(cls, options: dict[str, Any], env: dict[str, Any] | None, host: str, seed: int) -> Session: ...
    @staticmethod
    def env_vars() -> list[str]: ...
    @staticmethod
    def keychain_profile(options: dict[str, Any], env: dict[str, Any]) -> str | None: ...
    def credential_source(self) -> dict[str, Any]: ...
    @property
    def user_agent(self) -> str: ...
    @property
    def allow_insecure_http(self) -> bool: ...
    @property
    def refreshing(self) -> bool: ...
    def start(self, command: dict[str, Any]) -> Task: ...
    def poll(self, task: Task, input_: dict[str, Any], now_ms: int, now_unix_ms: int) -> dict[str, Any]: ...
    def cancel(self, task: Task) -> None: ...

@final
class Task:
    """One public method of the client in progress."""

@final
class Replay:
    """A client conformance case (tests/vectors/client.json) replayed as a client's I/O."""

    def __new__(cls, case: dict[str, Any]) -> Replay: ...
    def seed(self) -> int: ...
    def now_ms(self) -> int: ...
    def now_unix_ms(self) -> int: ...
    def environment(self) -> dict[str, Any]: ...
    def send(self, request: dict[str, Any]) -> dict[str, Any]: ...
    def sleep(self, ms: int) -> None: ...
    def retried(self, info: dict[str, Any]) -> None: ...
    def provide(self) -> str: ...
    def provide_oidc(self, audience: Optional[str]) -> str: ...
    def read_file(self, path: str) -> str: ...
    def read_env(self, name: str) -> Optional[str]: ...
    def finish(self, outcomes: list[Any]) -> None: ...

def redacted(value: str) -> str: ...
def after_response(
    request: dict[str, Any],
    status: int,
    headers: list[tuple[str, str]],
    hops: int,
    allow_insecure_http: bool,
) -> dict[str, Any]: ...
def decision(value: Any) -> Decision: ...
def token_validation(value: Any) -> TokenValidation: ...

# ---- S3: SigV4 explained and verified, the S3 client's settings (python/src/s3.rs) ----

class SigV4Error(ClouddigitError):
    """A request ``sigv4_explain`` or ``sigv4_verify`` cannot read, or that carries no
    signature; ``code`` is the S3 error code (or ``invalid_input``), ``field`` the
    argument. Never holds the secret."""

    code: str
    field: str

def sigv4_explain(request: RequestText, secret: str) -> Explanation:
    """How the S3 endpoint reads ``request``: canonical request, string to sign, and the
    signature ``secret`` gives next to the one the request carries (``matches``). The
    clock is not judged. Raises ``SigV4Error`` when the request carries no readable
    signature."""

def sigv4_verify(request: RequestText, secret: str, now: Union[Timestamp, None] = None) -> SigV4Verdict:
    """The verdict the S3 endpoint reaches at ``now`` (None: now): ``ok``, or the S3
    error code and why. Raises ``SigV4Error`` only for arguments of the wrong shape."""

def s3_env_vars() -> list[str]: ...
def s3_config(options: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """The session's S3 settings; ``clouddigit.s3.s3_config`` renames them for boto3."""

# ---- OIDC trusts: the trust form, its presets, a JWT read against trusts (python/src/oidc.rs) ----

def validate_trust(spec: TrustSpec, account_projects: Optional[Sequence[str]] = None) -> TrustValidation:
    """A trust draft's errors and warnings, as the "Trusted issuers" form shows them, for
    an account that reaches ``account_projects``. Raises ``EvaluateError`` only for the
    wrong shape."""

def trust_presets() -> list[PresetInfo]:
    """Every preset, as a form lists them."""

def trust_preset(preset: Preset, path: str, branch_or_env: str, audience: str) -> TrustSpec:
    """A draft trust from ``preset``; the id claim to pin is left empty."""

def check_trust(
    jwt: str,
    trusts: Union[Sequence[Trust], Trust],
    now: Union[Timestamp, None] = None,
    jwks: Union[str, Mapping[str, Any], None] = None,
) -> TrustCheckReport:
    """``jwt`` read against ``trusts`` at ``now`` (None: now), its signature verified
    against ``jwks`` when one is given (``signature`` is ``not_checked`` otherwise). Never
    holds the token. Raises ``EvaluateError`` only for arguments of the wrong shape."""
