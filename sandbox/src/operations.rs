//! Every operation the API offers, as data: its method and path, what it reads and
//! answers (as the Rust types it reads and answers with), its statuses and parameters.
//! The router pairs each with its handler (`routes`) and the OpenAPI document is built
//! from the same table (`openapi`), so the two cannot drift apart, and neither needs the
//! other.

use clouddigit_core::UserState;
use clouddigit_session::models::{
    AccessToken, ApiToken, ClientCredentials, CreatedAccessKey, CreatedServiceAccount,
    CreatedToken, RevokedCount, Rotation, ServiceAccount, Whoami,
};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use clouddigit_core::secret_scanning::{AlertReport, AlertResult};

use crate::bodies::{
    AuthorizeRequest, BucketCreate, ClientCredentialsForm, ClockChange, DevTokenRequest, Downscope,
    OrgServiceAccountCreate, PolicyBody, ProjectId, ScanningKeyCreate, ServerCreate,
    ServiceAccountCreate, ServiceAccountUpdate, TokenCreate, TrustCreate, UserUpdate,
};
use crate::db::{Bucket, Server};
use crate::faults::{FaultPlan, FaultStatus};
use crate::query::{AuditQuery, AuditSummaryQuery, PageQuery};
use crate::streams::api::{AuditStream, AuditStreamList, CreatedStream, StreamCreate, StreamTest};
use crate::views::{
    AccessKeyList, AuditEventList, AuthorizeResult, BucketList, Clock, DevToken, PublicKeyList,
    ServerList, ServiceAccountList, TokenList, TrustList, TrustView, TrustedKeyView, UserList,
};

#[derive(Debug, Clone, Copy)]
pub enum Auth {
    /// `Authorization: Bearer cd_...`
    Bearer,
    /// No authentication (the OpenAPI document, the token endpoint).
    None,
}

/// A type's JSON Schema as the document takes it, from the type itself.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// `T`'s schema where it is used: a `$ref` to its component (its definition joins the
/// document's components).
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// `T`'s own schema, not a reference: what a query struct's parameters are read from.
pub fn fields<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    T::json_schema(generator)
}

/// A query parameter, as the OpenAPI document describes it.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub schema: SchemaFn,
    pub description: &'static str,
}

/// An operation's query parameters: one described here, or every field of a query
/// struct a handler reads ([`crate::query`]), each with the field's own schema and doc.
#[derive(Debug, Clone, Copy)]
pub enum Query {
    One(Param),
    Fields(SchemaFn),
}

const fn project(description: &'static str) -> Param {
    Param {
        name: "project",
        required: false,
        schema: schema::<ProjectId>,
        description,
    }
}

const fn required(mut p: Param) -> Param {
    p.required = true;
    p
}

const PAGE: [Query; 1] = [Query::Fields(fields::<PageQuery>)];
const PROJECT_LIST: [Query; 2] = [
    Query::One(project(
        "The project to list (default: the token's first project, else the organization's first)",
    )),
    Query::Fields(fields::<PageQuery>),
];
const PROJECT_ONLY: [Query; 1] = [Query::One(required(project("The project to list")))];
const PROJECT_OPTIONAL: [Query; 1] = [Query::One(project(
    "The project, when the body does not name one",
))];
const AUDIT_FILTERS: [Query; 1] = [Query::Fields(fields::<AuditQuery>)];
const SUMMARY_FILTERS: [Query; 1] = [Query::Fields(fields::<AuditSummaryQuery>)];

#[derive(Debug, Clone, Copy)]
pub struct RouteDef {
    pub method: &'static str,
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub auth: Auth,
    /// The type of the body it reads, if any.
    pub request: Option<SchemaFn>,
    /// Success status and the type of its body (`None`: no body, or not JSON).
    pub status: u16,
    pub response: Option<SchemaFn>,
    /// Takes an `Idempotency-Key`.
    pub idempotent: bool,
    pub query: &'static [Query],
    /// For an operation that creates something: where its id is in the response (a JSON
    /// pointer). The document links it to every operation under `{path}/{id}`.
    pub id_at: Option<&'static str>,
    /// Statuses beyond the common ones, with what they mean here.
    pub also: &'static [(u16, &'static str)],
    /// Request headers it reads beyond the common ones: (name, description).
    pub headers: &'static [(&'static str, &'static str)],
}

#[allow(clippy::too_many_arguments)]
const fn r(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    tag: &'static str,
    request: Option<SchemaFn>,
    status: u16,
    response: Option<SchemaFn>,
) -> RouteDef {
    RouteDef {
        method,
        path,
        operation_id,
        summary,
        tag,
        auth: Auth::Bearer,
        request,
        status,
        response,
        idempotent: false,
        query: &[],
        id_at: None,
        also: &[],
        headers: &[],
    }
}

const fn query(mut d: RouteDef, params: &'static [Query]) -> RouteDef {
    d.query = params;
    d
}

const fn makes(mut d: RouteDef, id_at: &'static str) -> RouteDef {
    d.id_at = Some(id_at);
    d
}

const fn also(mut d: RouteDef, statuses: &'static [(u16, &'static str)]) -> RouteDef {
    d.also = statuses;
    d
}

const PROTECTED: (u16, &str) = (
    409,
    "protected: the sandbox runs with --protect-bootstrap and this would end the bootstrap token or change its owner",
);
const NOT_ACTIVE: (u16, &str) = (
    409,
    "already_rotated, token_revoked or token_expired: only an active token rotates",
);
const NAME_TAKEN: (u16, &str) = (409, "name_taken: the name is in use");
const NOT_EMPTY: (u16, &str) = (
    409,
    "bucket_not_empty: the bucket still holds objects (put through the S3 endpoint)",
);

const fn headers(mut d: RouteDef, h: &'static [(&'static str, &'static str)]) -> RouteDef {
    d.headers = h;
    d
}

/// A secret scanning report's signature headers (GitHub's, and ours as aliases).
const REPORT_HEADERS: [(&str, &str); 4] = [
    (
        "Github-Public-Key-Identifier",
        "The trusted key's identifier (GET /v1/secret-scanning/keys)",
    ),
    (
        "Github-Public-Key-Signature",
        "Base64 of the DER ECDSA P-256 SHA-256 signature over the raw body",
    ),
    (
        "X-Clouddigit-Key-Identifier",
        "Alias of Github-Public-Key-Identifier",
    ),
    (
        "X-Clouddigit-Signature",
        "Alias of Github-Public-Key-Signature",
    ),
];
const REPORT_STATUSES: [(u16, &str); 5] = [
    (400, "invalid_json, invalid_request (not an array) or too_many_alerts (more than 1000)"),
    (401, "missing_signature, unknown_key (not a trusted key) or bad_signature (`detail`: not_base64, not_der, mismatch): nothing was read or done"),
    (413, "payload_too_large: more than 1 MiB"),
    (422, "validation_failed: an entry is not {token, type, url, source} of strings within their lengths"),
    (429, "Too many unauthenticated or failed calls from this address"),
];
const OPEN_READ: [(u16, &str); 1] = [(
    429,
    "Too many unauthenticated or failed calls from this address",
)];
const KEY_TAKEN: (u16, &str) = (
    409,
    "key_exists (the key is trusted already) or name_taken (another key has the name)",
);

const fn idem(mut d: RouteDef) -> RouteDef {
    d.idempotent = true;
    d
}

const fn open(mut d: RouteDef) -> RouteDef {
    d.auth = Auth::None;
    d
}

/// The table. Paths use `{param}` in both axum and OpenAPI syntax.
#[rustfmt::skip]
pub fn operations() -> Vec<RouteDef> {
    vec![
        open(r("GET", "/v1/openapi.json", "getOpenApi", "This OpenAPI document", "meta", None, 200, None)),
        // Personal tokens
        query(r("GET", "/v1/iam/tokens", "listTokens", "List the caller's own API tokens", "tokens", None, 200, Some(schema::<TokenList>)), &PAGE),
        makes(idem(r("POST", "/v1/iam/tokens", "createToken", "Create a personal API token (the secret is in this response only)", "tokens", Some(schema::<TokenCreate>), 201, Some(schema::<CreatedToken>))), "/token/id"),
        r("GET", "/v1/iam/whoami", "whoami", "The calling token, its owner as they are now, the organization's projects and the caller's address (any live token)", "tokens", None, 200, Some(schema::<Whoami>)),
        r("POST", "/v1/iam/authorize", "authorizeCalls", "Decide calls for the calling token without making them: as it would make them now, from this address, along its lineage (any live token, about itself)", "tokens", Some(schema::<AuthorizeRequest>), 200, Some(schema::<AuthorizeResult>)),
        r("GET", "/v1/iam/tokens/{id}", "getToken", "Show one of the caller's tokens", "tokens", None, 200, Some(schema::<ApiToken>)),
        also(r("DELETE", "/v1/iam/tokens/{id}", "revokeToken", "Revoke a token: its next call fails with 401", "tokens", None, 200, Some(schema::<ApiToken>)), &[PROTECTED]),
        also(makes(idem(r("POST", "/v1/iam/tokens/{id}/rotate", "rotateToken", "Replace a token with a new one of the same scope; the old one works 7 more days", "tokens", None, 201, Some(schema::<Rotation>))), "/token/id"), &[PROTECTED, NOT_ACTIVE]),
        also(makes(idem(r("POST", "/v1/iam/tokens/{id}/downscope", "downscopeToken", "Rotate a token into fewer permissions, each within its own (the smallest set covering its calls, from its usage): the replacement keeps its projects, expiry and allow-list; the old one works 7 more days", "tokens", Some(schema::<Downscope>), 201, Some(schema::<Rotation>))), "/token/id"), &[PROTECTED, NOT_ACTIVE]),
        // Service accounts
        query(r("GET", "/v1/iam/service-accounts", "listServiceAccounts", "List a project's service accounts (?project=)", "service-accounts", None, 200, Some(schema::<ServiceAccountList>)), &PROJECT_LIST),
        query(makes(idem(r("POST", "/v1/iam/service-accounts", "createServiceAccount", "Create a project service account (client secret in this response only)", "service-accounts", Some(schema::<ServiceAccountCreate>), 201, Some(schema::<CreatedServiceAccount>))), "/service_account/id"), &PROJECT_OPTIONAL),
        r("GET", "/v1/iam/service-accounts/{id}", "getServiceAccount", "Show a service account", "service-accounts", None, 200, Some(schema::<ServiceAccount>)),
        r("PATCH", "/v1/iam/service-accounts/{id}", "updateServiceAccount", "Change description, role or tag selector", "service-accounts", Some(schema::<ServiceAccountUpdate>), 200, Some(schema::<ServiceAccount>)),
        r("PUT", "/v1/iam/service-accounts/{id}", "replaceServiceAccount", "Change description, role or tag selector", "service-accounts", Some(schema::<ServiceAccountUpdate>), 200, Some(schema::<ServiceAccount>)),
        r("DELETE", "/v1/iam/service-accounts/{id}", "deleteServiceAccount", "Delete a service account: its tokens and keys stop working", "service-accounts", None, 204, None),
        r("POST", "/v1/iam/service-accounts/{id}/disable", "disableServiceAccount", "Disable a service account", "service-accounts", None, 200, Some(schema::<ServiceAccount>)),
        r("POST", "/v1/iam/service-accounts/{id}/enable", "enableServiceAccount", "Enable a service account", "service-accounts", None, 200, Some(schema::<ServiceAccount>)),
        r("POST", "/v1/iam/service-accounts/{id}/secret", "resetServiceAccountSecret", "Reset the client secret; the old one and its bearers stop working", "service-accounts", None, 200, Some(schema::<ClientCredentials>)),
        query(r("GET", "/v1/iam/service-accounts/{id}/tokens", "listServiceAccountTokens", "List a service account's API tokens", "service-accounts", None, 200, Some(schema::<TokenList>)), &PAGE),
        makes(idem(r("POST", "/v1/iam/service-accounts/{id}/tokens", "createServiceAccountToken", "Create a service-account API token", "service-accounts", Some(schema::<TokenCreate>), 201, Some(schema::<CreatedToken>))), "/token/id"),
        also(makes(idem(r("POST", "/v1/iam/service-accounts/{id}/tokens/{token_id}/rotate", "rotateServiceAccountToken", "Rotate a service-account token", "service-accounts", None, 201, Some(schema::<Rotation>))), "/token/id"), &[NOT_ACTIVE]),
        also(makes(idem(r("POST", "/v1/iam/service-accounts/{id}/tokens/{token_id}/downscope", "downscopeServiceAccountToken", "Rotate a service-account token into fewer permissions, each within its own; the old one works 7 more days", "service-accounts", Some(schema::<Downscope>), 201, Some(schema::<Rotation>))), "/token/id"), &[NOT_ACTIVE]),
        r("DELETE", "/v1/iam/service-accounts/{id}/tokens/{token_id}", "revokeServiceAccountToken", "Revoke a service-account token", "service-accounts", None, 200, Some(schema::<ApiToken>)),
        r("GET", "/v1/iam/service-accounts/{id}/access-keys", "listAccessKeys", "List S3 access key ids", "service-accounts", None, 200, Some(schema::<AccessKeyList>)),
        makes(idem(r("POST", "/v1/iam/service-accounts/{id}/access-keys", "createAccessKey", "Create an S3 access key (secret in this response only)", "service-accounts", None, 201, Some(schema::<CreatedAccessKey>))), "/id"),
        r("DELETE", "/v1/iam/service-accounts/{id}/access-keys/{key_id}", "deleteAccessKey", "Delete an S3 access key", "service-accounts", None, 204, None),
        r("GET", "/v1/iam/service-accounts/{id}/trusts", "listTrusts", "List the OIDC issuers a service account trusts (workload identity)", "service-accounts", None, 200, Some(schema::<TrustList>)),
        makes(idem(r("POST", "/v1/iam/service-accounts/{id}/trusts", "createTrust", "Trust an OIDC issuer's tokens whose audience, subject and claims match, for short-lived tokens through the token exchange", "service-accounts", Some(schema::<TrustCreate>), 201, Some(schema::<TrustView>))), "/id"),
        r("DELETE", "/v1/iam/service-accounts/{id}/trusts/{trust_id}", "deleteTrust", "Remove a trust; the tokens it minted stop working", "service-accounts", None, 204, None),
        query(r("GET", "/v1/org/service-accounts", "listOrgServiceAccounts", "List organization-level service accounts", "service-accounts", None, 200, Some(schema::<ServiceAccountList>)), &PAGE),
        makes(idem(r("POST", "/v1/org/service-accounts", "createOrgServiceAccount", "Create an organization-level service account", "service-accounts", Some(schema::<OrgServiceAccountCreate>), 201, Some(schema::<CreatedServiceAccount>))), "/service_account/id"),
        r("DELETE", "/v1/org/service-accounts/{id}", "deleteOrgServiceAccount", "Delete an organization-level service account", "service-accounts", None, 204, None),
        also(r("POST", "/v1/org/members/{id}/revoke-tokens", "revokeMemberTokens", "Revoke every personal token of a member (offboarding)", "tokens", None, 200, Some(schema::<RevokedCount>)), &[PROTECTED]),
        // Resources
        query(r("GET", "/v1/compute/servers", "listServers", "List servers in a project (?project=)", "compute", None, 200, Some(schema::<ServerList>)), &PROJECT_ONLY),
        query(makes(idem(r("POST", "/v1/compute/servers", "createServer", "Create a server", "compute", Some(schema::<ServerCreate>), 201, Some(schema::<Server>))), "/id"), &PROJECT_OPTIONAL),
        r("GET", "/v1/compute/servers/{id}", "getServer", "Show a server", "compute", None, 200, Some(schema::<Server>)),
        r("DELETE", "/v1/compute/servers/{id}", "deleteServer", "Delete a server", "compute", None, 204, None),
        r("POST", "/v1/compute/servers/{id}/start", "startServer", "Start a server", "compute", None, 200, Some(schema::<Server>)),
        r("POST", "/v1/compute/servers/{id}/stop", "stopServer", "Stop a server", "compute", None, 200, Some(schema::<Server>)),
        query(r("GET", "/v1/storage/buckets", "listBuckets", "List buckets in a project (?project=)", "storage", None, 200, Some(schema::<BucketList>)), &PROJECT_ONLY),
        also(query(makes(idem(r("POST", "/v1/storage/buckets", "createBucket", "Create a bucket", "storage", Some(schema::<BucketCreate>), 201, Some(schema::<Bucket>))), "/name"), &PROJECT_OPTIONAL), &[NAME_TAKEN]),
        r("GET", "/v1/storage/buckets/{id}", "getBucket", "Show a bucket", "storage", None, 200, Some(schema::<Bucket>)),
        also(r("DELETE", "/v1/storage/buckets/{id}", "deleteBucket", "Delete an empty bucket", "storage", None, 204, None), &[NOT_EMPTY]),
        r("POST", "/v1/storage/buckets/{id}/object-lock", "enableObjectLock", "Turn on Object Lock", "storage", None, 200, Some(schema::<Bucket>)),
        r("DELETE", "/v1/storage/buckets/{id}/object-lock", "disableObjectLock", "Turn off Object Lock: needs MFA step-up, so always 403 step_up_required for tokens", "storage", None, 200, Some(schema::<Bucket>)),
        // Audit
        query(r("GET", "/v1/audit/events", "listAuditEvents", "Audit events, newest first: filters actor, token_prefix, hashed_token, from, to, status, project, path; cursor pagination; ?format=jsonl, ocsf or cloudtrail for JSON lines", "audit", None, 200, Some(schema::<AuditEventList>)), &AUDIT_FILTERS),
        query(r("GET", "/v1/audit/summary", "summarizeAuditEvents", "The matching events counted: calls per hour (a day per bar past 31 days) as allowed, denied (by reason) and failed, the addresses used from, and the last call; from defaults to the oldest matching event, to to now", "audit", None, 200, Some(schema::<clouddigit_core::audit_summary::AuditSummary>)), &SUMMARY_FILTERS),
        query(r("GET", "/v1/audit/events/export", "exportAuditEvents", "Every matching audit event as JSON lines", "audit", None, 200, None), &AUDIT_FILTERS),
        r("GET", "/v1/audit/streams", "listAuditStreams", "The organization's audit streams, each with its health (last delivery, lag, last error)", "audit", None, 200, Some(schema::<AuditStreamList>)),
        makes(r("POST", "/v1/audit/streams", "createAuditStream", "Stream the audit log to a webhook (HMAC-signed JSON lines), a syslog receiver (RFC 5424 over TCP) or an S3 bucket (gzipped JSON lines by hour), as json, ocsf or cloudtrail; a webhook's signing secret is shown once", "audit", Some(schema::<StreamCreate>), 201, Some(schema::<CreatedStream>)), "/stream/id"),
        r("GET", "/v1/audit/streams/{id}", "getAuditStream", "Show an audit stream and its health", "audit", None, 200, Some(schema::<AuditStream>)),
        r("DELETE", "/v1/audit/streams/{id}", "deleteAuditStream", "Delete an audit stream and the events it has yet to deliver", "audit", None, 204, None),
        r("POST", "/v1/audit/streams/{id}/pause", "pauseAuditStream", "Pause a stream: events wait (up to 7 days) until it resumes", "audit", None, 200, Some(schema::<AuditStream>)),
        r("POST", "/v1/audit/streams/{id}/resume", "resumeAuditStream", "Resume a stream: what waited is delivered, in order", "audit", None, 200, Some(schema::<AuditStream>)),
        r("POST", "/v1/audit/streams/{id}/test", "testAuditStream", "Send one test event to the stream's sink now and say how it went", "audit", None, 200, Some(schema::<StreamTest>)),
        // OAuth
        open(r("POST", "/realms/{org}/protocol/openid-connect/token", "clientCredentialsToken", "Client-credentials grant (a 300-second bearer for a service account), or the token exchange (RFC 8693: an OIDC JWT a trust accepts, for a short-lived token of the account)", "oauth", Some(schema::<ClientCredentialsForm>), 200, Some(schema::<AccessToken>))),
        // Sandbox administration (organization owner only)
        open(r("GET", "/_sandbox/oidc/.well-known/openid-configuration", "getDevIssuerConfiguration", "The development OIDC issuer's discovery document", "sandbox", None, 200, None)),
        open(r("GET", "/_sandbox/oidc/jwks", "getDevIssuerJwks", "The development OIDC issuer's keys (the current and the previous)", "sandbox", None, 200, None)),
        r("POST", "/_sandbox/oidc/token", "mintDevIssuerToken", "A CI-like JWT with the claims given, signed by the development issuer", "sandbox", Some(schema::<DevTokenRequest>), 200, Some(schema::<DevToken>)),
        r("POST", "/_sandbox/oidc/rotate", "rotateDevIssuerKey", "The development issuer signs with a new key; the previous stays published", "sandbox", None, 200, None),
        r("GET", "/_sandbox/clock", "getSandboxClock", "The sandbox's current time", "sandbox", None, 200, Some(schema::<Clock>)),
        r("POST", "/_sandbox/clock", "setSandboxClock", "Move the sandbox clock: advance_seconds, set or reset", "sandbox", Some(schema::<ClockChange>), 200, Some(schema::<Clock>)),
        r("GET", "/_sandbox/policy", "getSandboxPolicy", "The organization's token policy ({policy: null} for none)", "sandbox", None, 200, Some(schema::<PolicyBody>)),
        also(r("PUT", "/_sandbox/policy", "setSandboxPolicy", "Replace the token policy: maximum lifetime (binding on every call), never-expiring tokens, allow-lists for service-account tokens, accounts per project", "sandbox", Some(schema::<PolicyBody>), 200, Some(schema::<PolicyBody>)), &[PROTECTED]),
        r("GET", "/_sandbox/users", "listSandboxUsers", "The seeded users and their current state", "sandbox", None, 200, Some(schema::<UserList>)),
        also(r("PATCH", "/_sandbox/users/{id}", "updateSandboxUser", "Change a user's status, organization role or project roles", "sandbox", Some(schema::<UserUpdate>), 200, Some(schema::<UserState>)), &[PROTECTED]),
        r("GET", "/_sandbox/faults", "getSandboxFaults", "The armed fault plan and how many faults it injected", "sandbox", None, 200, Some(schema::<FaultStatus>)),
        r("POST", "/_sandbox/faults", "setSandboxFaults", "Make the next calls fail: {count, status (503, 429...), drop (handle, then cut the connection), path_prefix, method, retry_after, retry_after_ms, should_retry}", "sandbox", Some(schema::<FaultPlan>), 200, Some(schema::<FaultStatus>)),
        makes(idem(r("POST", "/_sandbox/users/{id}/tokens", "issueSandboxUserToken", "Mint a personal token for any user", "sandbox", Some(schema::<TokenCreate>), 201, Some(schema::<CreatedToken>))), "/token/id"),
        // Secret scanning (GitHub's partner program): reports of leaked secrets, signed
        open(headers(also(r("POST", "/v1/secret-scanning/alerts", "reportLeakedSecrets", "Report secrets found in public (no token: signed with a trusted key over the raw body). Each secret of ours is revoked with everything made through it, or quarantined, as the organization's policy says; the answer gives each one's hashes, label and action, in order", "secret-scanning", Some(schema::<AlertReport>), 200, Some(schema::<Vec<AlertResult>>)), &REPORT_STATUSES), &REPORT_HEADERS)),
        open(also(r("GET", "/v1/secret-scanning/keys", "listSecretScanningKeys", "The public keys reports may be signed with, in GitHub's format (no token)", "secret-scanning", None, 200, Some(schema::<PublicKeyList>)), &OPEN_READ)),
        also(makes(r("POST", "/v1/secret-scanning/keys", "createSecretScanningKey", "Trust a secret scanner's ECDSA P-256 public key (organization admins); its identifier is the hex SHA-256 of its DER SubjectPublicKeyInfo", "secret-scanning", Some(schema::<ScanningKeyCreate>), 201, Some(schema::<TrustedKeyView>)), "/key_identifier"), &[KEY_TAKEN]),
        r("DELETE", "/v1/secret-scanning/keys/{key_identifier}", "deleteSecretScanningKey", "Stop trusting a key: the reports it signs are refused from now on", "secret-scanning", None, 204, None),
    ]
}
