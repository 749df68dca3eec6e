"""The JSON shapes the evaluator takes, as ``TypedDict``s: what the API returns for
tokens, owners and requests. Plain dicts of these shapes (``json.load`` output) are
what ``authorize`` and ``PreparedToken`` accept; ``schema/clouddigit.schema.json``
has the same shapes as JSON Schema.

Timestamps are RFC 3339 strings in UTC (``"2026-11-23T10:00:00Z"``); an aware
``datetime`` is accepted too.
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
]
Outcome = Literal["pass", "fail", "skipped"]
PermissionScope = Literal["project", "organization"]
EvaluateErrorCode = Literal["unknown_permission", "invalid_allowed_ip", "missing_action", "invalid_input"]
TokenFormatErrorCode = Literal["missing_prefix", "wrong_length", "invalid_character", "bad_checksum"]


class UserRef(TypedDict):
    type: Literal["user"]
    id: str


class ServiceAccountRef(TypedDict):
    type: Literal["service_account"]
    id: str


OwnerRef = Union[UserRef, ServiceAccountRef]


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


__all__ = [
    "Check",
    "EvaluateErrorCode",
    "OrgRole",
    "Outcome",
    "OwnerRef",
    "OwnerState",
    "PermissionScope",
    "ProjectRole",
    "Reason",
    "Request",
    "Role",
    "ServiceAccountRef",
    "ServiceAccountState",
    "Timestamp",
    "Token",
    "TokenFormatErrorCode",
    "TokenPolicy",
    "UserRef",
    "UserState",
]
