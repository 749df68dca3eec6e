// Decide a few calls for a downscoped token offline, with @clouddigit/sdk.
//   node examples/authorize.mjs [token secret]
// Prints each decision and, for a denial, the failing checks; checks the secret's
// format (offline, no call) when one is given.
import {
  EvaluateError,
  PreparedToken,
  TokenFormatError,
  expandPermission,
  parseTokenSecret,
  resolveRoute,
} from '@clouddigit/sdk';

const token = {
  id: 'tok_ci0001',
  name: 'ci-deploy',
  prefix: 'cd_a1B2c3',
  owner: { type: 'user', id: 'u_alice' },
  organization: 'acme',
  projects: ['web'],
  permissions: ['compute.servers.*', 'storage.objects.get'],
  created_at: '2026-11-01T00:00:00Z',
  expires_at: '2027-02-01T00:00:00Z',
  allowed_ips: ['203.0.113.0/24'],
};
const owner = {
  type: 'user',
  id: 'u_alice',
  organization: 'acme',
  status: 'active',
  project_roles: { web: 'member', data: 'read_only' },
};
const time = '2026-11-23T10:00:00Z';
const requests = [
  { action: 'compute.servers.list', project: 'web', ip: '203.0.113.7', time },
  { method: 'POST', path: '/v1/compute/servers/s-1/start', project: 'web', ip: '203.0.113.7', time },
  { action: 'compute.servers.list', project: 'data', ip: '203.0.113.7', time },
  { action: 'storage.buckets.delete', project: 'web', ip: '203.0.113.7', time },
  { action: 'compute.servers.list', project: 'web', ip: '198.51.100.1', time },
];

const [secret] = process.argv.slice(2);
if (secret !== undefined) {
  try {
    console.log(`secret format ok: ${parseTokenSecret(secret).prefix}…`);
  } catch (err) {
    if (!(err instanceof TokenFormatError)) throw err;
    console.error(`${err.code}: ${err.message}`);
    process.exit(1);
  }
}

let prepared;
try {
  prepared = new PreparedToken(token);
} catch (err) {
  if (!(err instanceof EvaluateError)) throw err;
  console.error(`${err.code} at ${err.field}: ${err.message}`);
  process.exit(1);
}
console.log(`${prepared}: ${expandPermission('compute.servers.*').length} compute.servers permissions`);
console.log(`POST /v1/compute/servers/s-1/start needs ${resolveRoute('POST', '/v1/compute/servers/s-1/start')}`);
for (const request of requests) {
  const decision = prepared.authorize(owner, request);
  const what = request.action ?? `${request.method} ${request.path}`;
  console.log(`${what} in ${request.project}: ${decision.allowed ? 'allow' : `deny (${decision.reason})`}`);
  for (const check of decision.checks) {
    if (check.outcome === 'fail') console.log(`    ${check.check}: ${check.detail}`);
  }
}
console.log(`may use in web: ${prepared.effectivePermissions(owner, 'web').join(', ')}`);
prepared.free();
