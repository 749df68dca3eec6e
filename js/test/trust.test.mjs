// Runs tests/vectors/oidc.json (JWTs signed by PyJWT) through the installed
// @clouddigit/sdk's checkTrust, reading the report into the vector's terms exactly as
// core/tests/oidc_vectors.rs does, and tests/vectors/trust_validate.json through
// validateTrust as tests/rust/trust_validate.rs does. Also run in Chromium through
// js/browser.js (js/test/browser/vectors.test.mjs), where checkTrust loads the command's
// module on its first call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClouddigitError, EvaluateError, checkTrust, trustPreset, trustPresets, validateTrust } from '@clouddigit/sdk';
import { unreached } from './codes.mjs';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const load = (name) => JSON.parse(readFileSync(`${vectorsDir}/${name}`, 'utf8'));
const oidc = load('oidc.json');
const trustValidate = load('trust_validate.json');
const jwks = JSON.stringify(oidc.jwks);
const at = (seconds) => new Date(seconds * 1000).toISOString();

/** The report in the vector's terms: the signature, the trust, else the first failed check of the last trust. */
function verdict(report) {
  let failure = null;
  if (report.trust === null) {
    failure = report.claims === null ? 'malformed' : report.matches.at(-1).checks.find((c) => !c.passed).check;
  }
  return { signature: report.signature, trust: report.trust, failure };
}

test('oidc.json has cases', () => assert.ok(oidc.cases.length >= 20, `${oidc.cases.length}`));

for (const c of oidc.cases) {
  test(`oidc.json: ${c.name}`, async () => {
    const report = await checkTrust(c.jwt, c.trusts, at(c.now), jwks);
    assert.deepEqual(verdict(report), c.expect, report.message);
    assert.equal(report.accepted, report.trust !== null && report.signature === 'ok');
    assert.ok(!JSON.stringify(report).includes(c.jwt), 'the report holds the token');
    // The JWKS parsed, and the time as a Date, read alike.
    assert.deepEqual(await checkTrust(c.jwt, c.trusts, new Date(c.now * 1000).toISOString(), oidc.jwks), report);
    // Without the JWKS the claims are read alike and the signature is not checked.
    const unchecked = await checkTrust(c.jwt, c.trusts, at(c.now));
    assert.equal(unchecked.trust, report.trust);
    assert.deepEqual(unchecked.matches, report.matches);
    if (report.claims !== null) {
      assert.equal(unchecked.signature, 'not_checked');
      assert.equal(unchecked.accepted, report.trust !== null);
    }
  });
}

test('every check of every trust is explained', async () => {
  const c = oidc.cases.find((x) => x.name === 'environment subject matches the deploy trust');
  const r = await checkTrust(c.jwt, c.trusts, at(c.now), jwks);
  assert.equal(r.trust, 'trust_deploy');
  assert.deepEqual(r.matches.map((m) => [m.trust, m.matched]), [['trust_main', false], ['trust_deploy', true]]);
  const failed = r.matches[0].checks.filter((x) => !x.passed);
  assert.deepEqual(failed.map((x) => x.check), ['subject']);
  assert.match(failed[0].detail, /does not match/);
  assert.equal(r.claims.sub, 'repo:acme/web:environment:prod');
  assert.deepEqual(r.claims.aud, ['https://iam.clouddigit.ai/acme']);
  assert.match(r.message, /signature verified/);
  assert.match(r.signature_detail, /verified with the JWKS's key/);
});

test('arguments of the wrong shape throw EvaluateError naming the argument, never the token', async () => {
  const c = oidc.cases[0];
  await assert.rejects(checkTrust(c.trusts, c.jwt), (e) => e instanceof EvaluateError && e.code === 'invalid_input' && e.field === 'jwt');
  await assert.rejects(checkTrust(c.jwt, [{ name: 't', issuer: 'https://x', audiences: ['a'] }, { id: [c.jwt] }]), (e) => {
    assert.ok(e instanceof EvaluateError && e instanceof ClouddigitError);
    assert.equal(e.field, 'trusts');
    assert.match(e.message, /^trusts\[1\]\.id: /);
    assert.ok(!e.message.includes(c.jwt) && !String(e).includes(c.jwt), e.message);
    return true;
  });
  await assert.rejects(checkTrust(c.jwt, { name: 't', issuer: 'https://x', audiences: ['a'], subjet: 's' }), (e) => /unknown field `subjet`/.test(e.message));
  await assert.rejects(checkTrust(c.jwt, c.trusts, c.jwt), (e) => e.field === 'now' && !e.message.includes(c.jwt));
  await assert.rejects(checkTrust(c.jwt, [() => 1]), (e) => e.field === 'trusts' && /a function is not data/.test(e.message));
  // Not a JWT, a JWKS that is none: reports, not errors.
  const r = await checkTrust('cd_not_a_jwt', c.trusts);
  assert.equal(r.signature, 'malformed_jwt');
  assert.equal(r.claims, null);
  assert.equal((await checkTrust(c.jwt, c.trusts, at(c.now), { keys: 3 })).signature, 'bad_jwks');
  // One trust instead of a list.
  assert.equal((await checkTrust(c.jwt, c.trusts[1], at(c.now))).matches.length, 1);
});

const seen = new Set();

test('trust_validate.json', () => {
  assert.ok(trustValidate.cases.length >= 20);
  for (const c of trustValidate.cases) {
    const got = validateTrust(c.spec, trustValidate.account_projects);
    for (const key of ['errors', 'warnings']) {
      const have = got[key].map((i) => {
        seen.add(i.code);
        assert.ok(i.message, `${c.name}: ${key} ${i.code} has no message`);
        return [i.field, i.code];
      });
      assert.deepEqual(have, c.expect[key], `${c.name} (${c.why}): ${key}`);
    }
  }
});

test('every code of trust validation is reached', () => {
  assert.deepEqual(unreached('trust_validate', seen), []);
});

test('presets draft trusts that validate once named and pinned; wrong shapes throw', () => {
  const presets = trustPresets();
  assert.deepEqual(presets.map((p) => p.preset), ['github_branch', 'github_environment', 'github_pull_request', 'gitlab_branch', 'kubernetes_service_account']);
  for (const p of presets) {
    const spec = trustPreset(p.preset, 'acme/web', 'main', 'https://iam.clouddigit.ai/acme');
    assert.equal(spec.issuer, p.issuer);
    assert.equal(validateTrust(spec).errors[0].code, 'name_required');
    spec.name = 'deploy';
    if (p.id_claim) spec.claims[p.id_claim] = '4242';
    assert.deepEqual(validateTrust(spec), { errors: [], warnings: [] });
  }
  assert.equal(trustPreset('github_environment', 'acme/web', 'prod', 'aud').subject, 'repo:acme/web:environment:prod');
  assert.throws(() => trustPreset('jenkins', 'a', 'b', 'c'), (e) => e instanceof EvaluateError && e.field === 'preset' && /github_branch/.test(e.message));
  assert.throws(() => validateTrust({ name: 'x' }), (e) => e instanceof EvaluateError && e.field === 'spec' && /issuer/.test(e.message));
  // Projects the account reaches: absent, null or a list.
  const spec = { ...trustPreset('github_branch', 'acme/web', 'main', 'aud'), name: 'n', claims: { repository_owner_id: '1' }, projects: ['web'] };
  assert.equal(validateTrust(spec).errors[0].code, 'project_unknown');
  assert.equal(validateTrust(spec, null).errors[0].code, 'project_unknown');
  assert.deepEqual(validateTrust(spec, ['web']).errors, []);
});
