// List your tokens, create a short-lived downscoped one, check it locally, revoke it.
// Type-checked with `tsc --strict` (js/tsconfig.json); to run it, compile and point it
// at the sandbox:
//
//   CD_BASE_URL=http://127.0.0.1:8787/v1 CD_API_TOKEN=$(cat .clouddigit-sandbox-token) \
//     node <compiled>/client.js
import {
  ApiError,
  Client,
  PermissionDeniedError,
  RateLimitError,
  Secret,
  ValidationError,
  type ApiToken,
  type CreatedToken,
  type Decision,
  type RetryInfo,
  type TokenDraft,
} from '@clouddigit/sdk';

// Checked without DOM or Node typings, so the package's types are known to need neither.
declare const console: { log(...data: unknown[]): void; error(...data: unknown[]): void };

async function main(): Promise<number> {
  // CD_API_TOKEN or ~/.config/cd/token; CD_BASE_URL; CD_LOG=debug.
  const client = new Client({
    maxRetries: 3,
    onRetry: (r: RetryInfo) => console.error(`retry ${r.retry} in ${r.waitMs} ms (${r.cause})`),
  });
  const me = await client.whoami();
  console.log(`signed in as ${me.owner.id} with ${me.token.prefix}`);
  for await (const token of client.tokens.list({ limit: 50 })) {
    const t: ApiToken = token;
    console.log(`  ${t.name.padEnd(24)} ${t.prefix}  ${t.status.padEnd(8)} expires ${t.expires_at ?? 'never'}`);
  }

  const draft: TokenDraft = {
    name: 'example-reader',
    projects: ['web'],
    permissions: ['compute.servers.list'],
    expiry: '30d',
  };
  let created: CreatedToken;
  try {
    created = await client.tokens.create(draft);
  } catch (e) {
    if (e instanceof ValidationError) {
      for (const f of e.fieldErrors) console.error(`${f.field}: ${f.message}`);
      return 2;
    }
    throw e;
  }
  const secret: Secret = created.secret;
  // @ts-expect-error: a Secret is not a string; reveal() reads it.
  const notAString: string = created.secret;
  console.log(`created ${created.token.name}: ${secret}  (printed redacted; reveal() reads it)`);

  const reader = new Client({ token: secret.reveal() }); // CD_BASE_URL still applies
  await reader.whoami();
  const decision: Decision = await reader.can('compute.servers.create', 'web');
  console.log(`may it create servers? ${decision.allowed} (${decision.reason})`);
  try {
    for await (const event of reader.audit.list({ status: 403 })) console.log(event.path);
  } catch (e) {
    if (e instanceof PermissionDeniedError) console.log(`audit log refused as expected: ${e.code}`);
    else if (e instanceof RateLimitError) console.log(`slow down: ${e.retryAfterMs} ms`);
    else if (e instanceof ApiError) console.log(`${e.kind} ${e.status} [${e.requestId}]`);
    else throw e;
  }
  const revoked: ApiToken = await client.tokens.revoke(created.token.id);
  console.log(`revoked ${revoked.name}: ${revoked.status}`);
  void notAString;
  return 0;
}

const status = await main();
if (status !== 0) throw new Error(`example failed (${status})`);
