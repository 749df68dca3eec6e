// The leak sweep's Node workload (scripts/leak-sweep.sh): every kind of secret made,
// used, printed the ways a program prints things (template strings, util.inspect, JSON,
// errors), and ended, with CD_LOG=debug. Nothing here may put a secret in its output;
// the sweep checks.
//
//   CD_BASE_URL=... CD_API_TOKEN=... CD_LOG=debug node tests/leak/workload.mjs
import { inspect } from 'node:util';
import { Client, parseTokenSecret } from '@clouddigit/sdk';

const base = process.env.CD_BASE_URL;
const show = (what, v) => console.log(`${what}: ${v} | ${inspect(v, { depth: 4 })} | ${JSON.stringify(v)}`);
async function fails(what, f) {
  try {
    await f();
    console.log(`${what}: no error`);
  } catch (e) {
    console.log(`${what}: ${e.name}: ${e.message} | ${inspect(e)} | ${e.stack}`);
  }
}
const as = (token) => new Client({ token, baseUrl: base, debug: true });

const admin = new Client({ debug: true });
show('whoami', (await admin.whoami()).token);
const made = await admin.tokens.create({ name: `leak-node-${process.pid}`, projects: ['web'], expiry: '30d' });
show('created', made);
show('secret', made.secret);
show('as the new token', (await as(made.secret.reveal()).whoami()).token);
const rotated = await admin.tokens.rotate(made.token.id);
show('rotation', rotated);
const newer = as(rotated.secret.reveal());
show('as the replacement', (await newer.whoami()).token);
const sa = await admin.serviceAccounts.create({ name: `leak-node-sa-${process.pid}`, project: 'web', role: 'member' });
show('service account', sa);
show('access key', await admin.serviceAccounts.accessKeys.create(sa.service_account.id));
const bearer = new Client({
  baseUrl: base,
  debug: true,
  clientCredentials: { organization: 'acme', clientId: sa.client_id, clientSecret: sa.client_secret.reveal() },
});
show('as the account', (await bearer.whoami()).token);
const reset = await fetch(`${base}/iam/service-accounts/${sa.service_account.id}/secret`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${process.env.CD_API_TOKEN}` },
}).then((r) => r.json());
console.log(`reset: new secret ${reset.client_secret.slice(0, 10)}…`);
await admin.tokens.revoke(rotated.token.id);
await admin.tokens.revoke(made.token.id);
await fails('the revoked replacement', () => newer.whoami());
await fails('a stale bearer after the reset', () => bearer.whoami());
await fails('a secret with a wrong checksum', () => parseTokenSecret(made.secret.reveal().slice(0, -1) + '0'));
await fails('a client with a mistyped token', () => as(made.secret.reveal().slice(0, -1) + '0'));
await fails('a token for the wrong API', () => new Client({ token: made.secret.reveal(), baseUrl: `${base}/nope`, debug: true }).whoami());
await admin.serviceAccounts.delete(sa.service_account.id);
console.log('node workload done');
