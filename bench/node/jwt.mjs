// Node: JWT verification per second through @clouddigit/sdk's checkTrust (the command's
// wasm module, loaded on the first call), the tokens of tests/vectors/oidc.json: RS256
// (2048-bit) and ES256 against the vectors' JWKS, read against two trusts. The same call
// as core/benches/jwt.rs's check_trust and bench/python/jwt.py. Run: scripts/bench-hosts.sh jwt.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkTrust } from '@clouddigit/sdk';

const vectors = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const file = JSON.parse(readFileSync(`${vectors}/oidc.json`, 'utf8'));
const jwks = JSON.stringify(file.jwks);

/** Median µs per call of the async `fn` over `rounds` rounds of `n` calls, after `warmMs` of warm-up. */
async function medianUs(fn, { n = 200, rounds = 21, warmMs = 2000 } = {}) {
  const w0 = performance.now();
  while (performance.now() - w0 < warmMs) await fn();
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    per.push(((performance.now() - t0) * 1000) / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(rounds / 2)];
}

for (const [alg, name] of [['RS256', 'RS256 token from main matches the branch trust'], ['ES256', 'ES256 key']]) {
  const c = file.cases.find((x) => x.name === name);
  const now = new Date(c.now * 1000).toISOString();
  const once = await checkTrust(c.jwt, c.trusts, now, jwks);
  assert.equal(once.accepted, true, once.message);
  const us = await medianUs(() => checkTrust(c.jwt, c.trusts, now, jwks));
  console.log(`checkTrust ${alg} (verify + 2 trusts)`.padEnd(40), `median ${us.toFixed(1).padStart(7)} µs  ${Math.round(1e6 / us).toString().padStart(6)}/s`);
}
