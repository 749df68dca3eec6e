// Type-checked (tsc --strict), not run: the public types are precise enough that
// mistakes are compile errors. Resolves '@clouddigit/sdk' through package.json exports.
import {
  AllowList,
  AllowedIpsError,
  checkAllowedIps,
  type AllowedIpErrorCode,
  type AllowedIpsReport,
} from '@clouddigit/sdk';

const report: AllowedIpsReport = checkAllowedIps('10.0.0.1/8');
const code: AllowedIpErrorCode | undefined = report.errors[0]?.code;
const suggestion: string | undefined = report.errors[0]?.suggestion;
// @ts-expect-error: codes are a closed union, not any string.
const bad: AllowedIpErrorCode = 'not_a_code';

try {
  const list = AllowList.parse('192.0.2.0/24');
  const allowed: boolean = list.contains('192.0.2.1');
  const networks: string[] = list.networks;
  void allowed, networks;
} catch (err) {
  if (err instanceof AllowedIpsError) {
    const first: number | undefined = err.errors[0]?.index;
    void first;
  }
}
void code, suggestion, bad;

// ---- Evaluator, token format and catalog ----
import {
  EvaluateError,
  PreparedToken,
  TokenFormatError,
  authorize,
  catalog,
  effectivePermissions,
  expandPermission,
  isToken,
  parseTokenSecret,
  resolveRoute,
  type CatalogFile,
  type Check,
  type Decision,
  type EvaluateErrorCode,
  type OwnerState,
  type Reason,
  type Role,
  type Request,
  type Token,
  type TokenFormatErrorCode,
  type TokenPolicy,
  type TokenSecretInfo,
} from '@clouddigit/sdk';

const token: Token = {
  id: 'tok_1',
  name: 'ci',
  prefix: 'cd_a1B2c3',
  owner: { type: 'user', id: 'u_alice' },
  organization: 'acme',
  projects: ['web'],
  permissions: ['compute.servers.*'],
  created_at: '2026-11-01T00:00:00Z',
  expires_at: null,
  allowed_ips: ['203.0.113.0/24'],
};
const owner: OwnerState = {
  type: 'user',
  id: 'u_alice',
  organization: 'acme',
  status: 'active',
  org_role: null,
  project_roles: { web: 'member' },
};
const request: Request = {
  action: 'compute.servers.list',
  project: 'web',
  ip: '203.0.113.9',
  time: '2026-11-23T10:00:00Z',
  resource_tags: { env: 'prod' },
};
const policy: TokenPolicy = { max_lifetime_days: 90 };

const decision: Decision = authorize(token, owner, request);
const underPolicy: Decision = authorize(token, owner, request, policy);
const reason: Reason = decision.reason;
const failed: Check[] = decision.checks.filter((c) => c.outcome === 'fail').map((c) => c.check);
const permission: string | null = decision.permission;
const names: string[] = effectivePermissions(token, owner, 'web');
const orgLevel: string[] = effectivePermissions(token, owner);
// @ts-expect-error: reasons are a closed union.
const badReason: Reason = 'because';
// @ts-expect-error: a request needs its time.
const noTime: Request = { action: 'compute.servers.list' };
// @ts-expect-error: owners are tagged by `type`.
const untagged: OwnerState = { id: 'u_x', organization: 'acme', status: 'active' };

{
  using prepared = new PreparedToken(token);
  const again: Decision = prepared.authorize(owner, request, policy);
  const effective: string[] = prepared.effectivePermissions(owner, 'web');
  const label: string = `${prepared.prefix} ${prepared.id} ${prepared.name} ${prepared.toString()}`;
  void again, effective, label;
}

try {
  authorize(token, owner, { time: '2026-11-23T10:00:00Z' });
} catch (err) {
  if (err instanceof EvaluateError) {
    const errCode: EvaluateErrorCode = err.code;
    const field: string = err.field;
    const hint: string | undefined = err.suggestion;
    void errCode, field, hint;
  }
}

try {
  const info: TokenSecretInfo = parseTokenSecret('cd_...');
  const prefix: string = info.prefix;
  void prefix;
} catch (err) {
  if (err instanceof TokenFormatError) {
    const formatCode: TokenFormatErrorCode = err.code;
    void formatCode;
  }
}
const looksLikeToken: boolean = isToken('cd_...');

const cat: CatalogFile = catalog();
const version: string = cat.version;
const firstRoute: string | undefined = cat.permissions[0]?.routes[0]?.path;
const inherits: Role | null | undefined = cat.roles[0]?.inherits;
// @ts-expect-error: data objects are JSON: a missing value is null, never undefined.
const undefinedPermission: string | undefined = decision.permission;
const mapped: string | undefined = resolveRoute('GET', '/v1/compute/servers/s-1');
const expanded: string[] = expandPermission('compute.*');

void decision, underPolicy, reason, failed, permission, names, orgLevel, badReason, noTime, untagged;
void undefinedPermission, looksLikeToken, version, firstRoute, inherits, mapped, expanded;

// ---- S3: SigV4 explained and verified (async: loaded on first use), S3Client settings ----
import {
  ConfigError,
  SigV4Error,
  s3Config,
  sigv4Explain,
  sigv4Verify,
  type Explanation,
  type RequestText,
  type S3ClientConfig,
  type SigV4Verdict,
} from '@clouddigit/sdk';

const pastedRequest: RequestText = { method: 'GET', url: 'https://s3.bd-dha-1.mymine.space/b/k', headers: [['Host', 's3.bd-dha-1.mymine.space']] };
const asObject: RequestText = { method: 'GET', url: '/b/k', headers: { Host: 'x' }, body_sha256: 'e3b0...' };
// @ts-expect-error: a header pair has two strings.
const badPair: RequestText = { method: 'GET', url: '/', headers: [['Host']] };
async function s3Types(): Promise<void> {
  const x: Explanation = await sigv4Explain(pastedRequest, 'secret');
  const matches: boolean = x.matches;
  const canonical: string = x.canonical_request;
  const verdict: SigV4Verdict = await sigv4Verify(asObject, 'secret', '2026-11-24T12:00:00Z');
  const s3Code: string | null = verdict.code;
  // @ts-expect-error: the verdict's code is null when ok, never undefined.
  const undefinedCode: string | undefined = verdict.code;
  try {
    await sigv4Explain({ method: 'GET', url: '/' }, 'secret');
  } catch (err) {
    if (err instanceof SigV4Error) {
      const field: 'request' | 'now' = err.field;
      void field;
    }
  }
  void matches, canonical, s3Code, undefinedCode;
}
const s3: S3ClientConfig = s3Config({ region: 'bd-ctg-1', ingress: 'canonical', endpointUrl: 'http://127.0.0.1:8788' });
const forcePathStyle: boolean = s3.forcePathStyle;
const secretAccessKey: string | undefined = s3.credentials?.secretAccessKey;
// @ts-expect-error: regions are a closed union.
s3Config({ region: 'us-east-1' });
// @ts-expect-error: options are camelCase, as the AWS SDK's are.
s3Config({ endpoint_url: 'http://127.0.0.1:8788' });
void s3Types, badPair, forcePathStyle, secretAccessKey, ConfigError;

// ---- OIDC trusts: the form (sync) and a JWT read against trusts (async: loaded on use) ----
import {
  checkTrust,
  trustPreset,
  trustPresets,
  validateTrust,
  type PresetInfo,
  type Trust,
  type TrustCheckReport,
  type TrustIssueCode,
  type TrustSpec,
  type TrustValidation,
} from '@clouddigit/sdk';

const presetList: PresetInfo[] = trustPresets();
const draft: TrustSpec = trustPreset('github_branch', 'acme/web', 'main', 'https://iam.clouddigit.ai/acme');
// @ts-expect-error: presets are a closed union.
trustPreset('jenkins', 'a', 'b', 'c');
const minimal: TrustSpec = { name: 'n', issuer: 'https://token.actions.githubusercontent.com', audiences: ['a'], subject: 'repo:a/b:pull_request' };
const trustValidation: TrustValidation = validateTrust(draft);
const trustCode: TrustIssueCode | undefined = validateTrust(minimal, ['web']).errors[0]?.code;
const stored: Trust = { id: 'trust_1', ...minimal };
async function trustTypes(): Promise<void> {
  const r: TrustCheckReport = await checkTrust('a.b.c', [stored], '2026-11-30T00:00:00Z', '{"keys": []}');
  const accepted: boolean = r.accepted;
  const trustId: string | null = r.trust;
  const sub: string | null | undefined = r.claims?.sub;
  const firstCheck: string | undefined = r.matches[0]?.checks[0]?.detail;
  await checkTrust('a.b.c', stored, null, { keys: [] });
  await checkTrust('a.b.c', [stored]);
  // @ts-expect-error: the token is text.
  await checkTrust(42, [stored]);
  void accepted, trustId, sub, firstCheck;
}
void presetList, trustValidation, trustCode, trustTypes;

// ---- Audit records: an event in the shape a SIEM reads, and a secret's hash ----
import {
  auditRecord,
  hashedToken,
  type AuditContext,
  type AuditEvent,
  type AuditFormat,
  type Value,
} from '@clouddigit/sdk';

const auditEvent: AuditEvent = {
  id: 'evt_1', time: '2026-12-07T10:00:00Z', method: 'GET', path: '/v1/iam/tokens', status: 200, request_id: 'req_1',
  actor: null, token_name: null, token_prefix: null, query: null, project: null, error_code: null, source_ip: null,
  token_id: null, detail: null, hashed_token: null,
};
const auditContext: AuditContext = { organization: 'acme', region: 'bd-dha-1', product_version: '0.1.0' };
const auditFormat: AuditFormat = 'ocsf';
// @ts-expect-error: formats are a closed union.
const badFormat: AuditFormat = 'xml';
// Both load on the first call (js/audit.js), so both are async.
async function auditTypes(): Promise<void> {
  const record: { [key: string]: Value } = await auditRecord({ ...auditEvent, hashed_token: await hashedToken('cd_x') }, auditFormat, auditContext);
  const classUid: Value | undefined = record['class_uid'];
  const hash: string = await hashedToken('cd_x');
  // @ts-expect-error: a Promise, not the record.
  const notAwaited: { [key: string]: Value } = auditRecord(auditEvent, auditFormat, auditContext);
  // @ts-expect-error: a Promise, not the hash.
  const notAwaitedHash: string = hashedToken('cd_x');
  void classUid, hash, notAwaited, notAwaitedHash;
}
void badFormat, auditTypes;
