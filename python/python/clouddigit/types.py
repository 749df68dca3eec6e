"""The JSON shapes the evaluator takes, as ``TypedDict``s: what the API returns for
tokens, owners and requests. Plain dicts of these shapes (``json.load`` output) are
what ``authorize`` and ``PreparedToken`` accept; ``schema/clouddigit.schema.json``
has the same shapes as JSON Schema.

Timestamps are RFC 3339 strings in UTC (``"2026-11-23T10:00:00Z"``); an aware
``datetime`` is accepted too. Results give timestamps back as aware ``datetime``s in
UTC (``TokenPreview.expires_at``).
"""

from datetime import datetime
from typing import Dict, List, Literal, Optional, TypedDict, Union

Timestamp = Union[str, datetime]

Role = Literal["read_only", "member", "admin", "org_admin", "org_owner"]
ProjectRole = Literal["read_only", "member", "admin"]
OrgRole = Literal["admin", "owner"]
Check = Literal[
    "revoked",
    "rotated",
    "expired",
    "owner_inactive",
    "ip_not_allowed",
    "unknown_action",
    "project_out_of_scope",
    "not_in_role",
    "not_in_token_permissions",
    "tag_mismatch",
    "step_up_required",
    "in_rotation_grace",
]
Reason = Literal[
    "allowed",
    "revoked",
    "rotated",
    "expired",
    "owner_inactive",
    "ip_not_allowed",
    "unknown_action",
    "project_out_of_scope",
    "not_in_role",
    "not_in_token_permissions",
    "tag_mismatch",
    "step_up_required",
    "in_rotation_grace",
]
Outcome = Literal["pass", "fail", "skipped"]
PermissionScope = Literal["project", "organization"]
IssueCode = Literal[
    # errors
    "name_required",
    "name_too_long",
    "name_invalid_characters",
    "name_taken",
    "organization_mismatch",
    "owner_inactive",
    "projects_required",
    "project_unknown",
    "project_no_role",
    "all_projects_not_allowed",
    "permissions_empty",
    "permission_unknown",
    "permission_not_in_role",
    "permission_organization_level",
    "expiry_invalid",
    "expiry_in_past",
    "expiry_beyond_max_lifetime",
    "expiry_never_forbidden",
    "invalid_cidr",
    "prefix_too_long",
    "host_bits_set",
    "allowed_ips_required",
    "description_too_long",
    "role_invalid",
    "tag_selector_invalid",
    "tag_selector_duplicate_key",
    "service_account_limit_reached",
    "creator_not_admin",
    "too_many_permissions",
    "too_many_allowed_ips",
    "caller_in_rotation_grace",
    "exceeds_caller_projects",
    "exceeds_caller_permissions",
    "exceeds_caller_expiry",
    "exceeds_caller_allowed_ips",
    # warnings
    "expiry_never",
    "lifetime_over_90_days",
    "allowed_ips_missing",
    "name_suggests_automation",
    "mixed_environments",
    "permission_partial",
    "permission_needs_step_up",
    "all_projects_scope",
    "duplicate",
    "covered",
    "allows_all",
]
EvaluateErrorCode = Literal["unknown_permission", "invalid_allowed_ip", "missing_action", "invalid_input"]
TokenFormatErrorCode = Literal["missing_prefix", "wrong_length", "invalid_character", "bad_checksum"]


class UserRef(TypedDict):
    type: Literal["user"]
    id: str


class ServiceAccountRef(TypedDict):
    type: Literal["service_account"]
    id: str


OwnerRef = Union[UserRef, ServiceAccountRef]


class CredentialCreator(TypedDict, total=False):
    """Which credential made a token: ``type`` is ``token``, ``bearer``,
    ``client_secret`` or ``access_key`` (with its ``id``), ``bootstrap``, or
    ``sandbox_admin`` (with the administrator's ``token``)."""

    type: Literal["token", "bearer", "client_secret", "access_key", "bootstrap", "sandbox_admin"]
    id: str
    token: str


class _TokenRequired(TypedDict):
    id: str
    name: str
    owner: OwnerRef
    organization: str
    projects: Union[Literal["all"], List[str]]
    permissions: Union[Literal["inherit"], List[str]]
    created_at: Timestamp


class Token(_TokenRequired, total=False):
    """A token's metadata, never its secret (``prefix`` is ``cd_`` + 6 characters)."""

    prefix: str
    expires_at: Optional[Timestamp]
    allowed_ips: List[str]
    revoked_at: Optional[Timestamp]
    rotated_at: Optional[Timestamp]
    grace_ends_at: Optional[Timestamp]


class _UserStateRequired(TypedDict):
    type: Literal["user"]
    id: str
    organization: str
    status: Literal["active", "suspended", "removed"]


class UserState(_UserStateRequired, total=False):
    email: str
    org_role: Optional[OrgRole]
    project_roles: Dict[str, ProjectRole]


class _ServiceAccountStateRequired(TypedDict):
    type: Literal["service_account"]
    id: str
    name: str
    organization: str
    role: ProjectRole
    status: Literal["active", "disabled", "deleted"]


class ServiceAccountState(_ServiceAccountStateRequired, total=False):
    description: str
    project: Optional[str]
    tag_selector: Dict[str, str]
    allowed_ips: List[str]


OwnerState = Union[UserState, ServiceAccountState]


class _RequestRequired(TypedDict):
    time: Timestamp


class Request(_RequestRequired, total=False):
    """One call: ``action`` (a permission name) or ``method`` + ``path``."""

    action: str
    method: str
    path: str
    organization: str
    project: str
    ip: str
    resource_tags: Dict[str, str]


class TokenPolicy(TypedDict, total=False):
    """An organization's token rules; ``max_lifetime_days`` binds on every use."""

    max_lifetime_days: Optional[int]
    allow_never_expiring: bool
    require_allowed_ips_for_service_accounts: bool
    max_service_accounts_per_project: int



class CustomExpiry(TypedDict):
    """A date (``"2027-03-31"``: the token works through the end of that day, UTC) or
    an RFC 3339 instant."""

    custom: str


Expiry = Union[Literal["30d", "90d", "365d", "never"], CustomExpiry]


class TokenDraft(TypedDict, total=False):
    """What the user filled in on the "New API token" form. ``expiry`` defaults to
    ``"30d"``, ``permissions`` to ``"inherit"``, ``organization`` to the owner's."""

    name: str
    organization: Optional[str]
    projects: Union[Literal["all"], List[str]]
    permissions: Union[Literal["inherit"], List[str]]
    expiry: Expiry
    allowed_ips: Union[str, List[str]]


class _TokenRequestRequired(TypedDict):
    draft: TokenDraft
    owner: OwnerState
    now: Timestamp


class CallerCredential(TypedDict):
    """The token that will send a create, as ``whoami`` returns it: what it makes may
    not exceed it."""

    token: Token
    owner: OwnerState


class TokenRequest(_TokenRequestRequired, total=False):
    """Everything token validation looks at: the draft, the owner as they are now,
    their tokens (names must be unique among active ones), the policy, the
    organization's projects (when known) and the calling token (when known)."""

    existing_tokens: List[Token]
    policy: Optional[TokenPolicy]
    organization_projects: List[str]
    caller: CallerCredential


class ServiceAccountDraft(TypedDict, total=False):
    """What the user filled in on the "New service account" form. ``role`` is
    ``admin``, ``member`` or ``read_only`` (another value is a ``role_invalid`` error,
    not an exception); ``project`` ``None`` is an organization-level account;
    ``tag_selector`` is ``key=value`` pairs (text) or a dict."""

    name: str
    description: str
    organization: Optional[str]
    project: Optional[str]
    role: str
    tag_selector: Union[str, Dict[str, str]]
    allowed_ips: Union[str, List[str]]


class _ServiceAccountRequestRequired(TypedDict):
    draft: ServiceAccountDraft
    creator: OwnerState


class ServiceAccountRequest(_ServiceAccountRequestRequired, total=False):
    """Everything service-account validation looks at: the draft, the creator as they
    are now, the organization's service accounts, the policy and its projects."""

    existing: List[ServiceAccountState]
    policy: Optional[TokenPolicy]
    organization_projects: List[str]
    caller: CallerCredential
    now: Timestamp


__all__ = [
    "CallerCredential",
    "Check",
    "CredentialCreator",
    "CustomExpiry",
    "EvaluateErrorCode",
    "Expiry",
    "IssueCode",
    "OrgRole",
    "Outcome",
    "OwnerRef",
    "OwnerState",
    "PermissionScope",
    "ProjectRole",
    "Reason",
    "Request",
    "Role",
    "ServiceAccountDraft",
    "ServiceAccountRef",
    "ServiceAccountRequest",
    "ServiceAccountState",
    "Timestamp",
    "Token",
    "TokenDraft",
    "TokenFormatErrorCode",
    "TokenPolicy",
    "TokenRequest",
    "UserRef",
    "UserState",
]
