// Runs tests/vectors/audit_format.json through the installed @clouddigit/sdk's
// auditRecord and hashedToken, as core/tests/audit_format_vectors.rs does: every record
// must equal the file's `expect` exactly. Both are async: they run in the module a page
// loads on the first call (js/audit.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ClouddigitError, EvaluateError, auditRecord, hashedToken } from '@clouddigit/sdk';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const { cases } = JSON.parse(readFileSync(`${vectorsDir}/audit_format.json`, 'utf8'));
const MIN_CASES = 15;

test('audit_format.json has enough cases and every format', () => {
  assert.ok(cases.length >= MIN_CASES, `${cases.length} cases`);
  assert.deepEqual(new Set(cases.map((c) => c.format)), new Set(['json', 'ocsf', 'cloudtrail']));
});

for (const c of cases) {
  test(`audit_format.json: ${c.name}`, async () => {
    assert.deepEqual(await auditRecord(c.event, c.format, c.context), c.expect);
  });
}

test('hashedToken is the secret\'s SHA-256 in base64', async () => {
  const withSecret = cases.filter((c) => c.secret !== undefined);
  assert.ok(withSecret.length >= 2);
  for (const c of withSecret) {
    // Independently of the core: Node's own SHA-256.
    const expected = createHash('sha256').update(c.secret, 'utf8').digest('base64');
    assert.equal(c.event.hashed_token, expected, c.name);
    assert.equal(await hashedToken(c.secret), expected, c.name);
    assert.ok(!JSON.stringify(c.expect).includes(c.secret), c.name);
  }
  for (const secret of ['', 'cd_ünïcødé_秘密']) {
    assert.equal(await hashedToken(secret), createHash('sha256').update(secret, 'utf8').digest('base64'));
  }
});

async function throwsInvalid(promise, field) {
  let message;
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof EvaluateError && err instanceof ClouddigitError && err instanceof Error);
    assert.equal(err.code, 'invalid_input');
    assert.equal(err.field, field);
    // The message starts at the place that did not fit (`event.time: ...`).
    assert.ok(err.message.startsWith(field) && /^[:.[]/.test(err.message.slice(field.length)), err.message);
    message = err.message;
    return true;
  });
  return message;
}

test('an unknown format rejects with EvaluateError naming the field', async () => {
  const c = cases[0];
  const message = await throwsInvalid(auditRecord(c.event, 'xml', c.context), 'format');
  assert.match(message, /xml/);
  await throwsInvalid(auditRecord(c.event, 'OCSF', c.context), 'format');
  await throwsInvalid(auditRecord(c.event, 3, c.context), 'format');
});

test('an event or context of the wrong shape rejects with EvaluateError naming the field', async () => {
  const c = cases[0];
  const { status, ...noStatus } = c.event;
  void status;
  assert.match(await throwsInvalid(auditRecord(noStatus, c.format, c.context), 'event'), /status/);
  assert.match(await throwsInvalid(auditRecord({ ...c.event, time: 'yesterday' }, c.format, c.context), 'event'), /time/);
  await throwsInvalid(auditRecord('not an event', c.format, c.context), 'event');
  await throwsInvalid(auditRecord(undefined, c.format, c.context), 'event');
  // Not data at all: rejected before it reaches the module, still naming the argument.
  await throwsInvalid(auditRecord({ ...c.event, detail: () => 1 }, c.format, c.context), 'event');
  const { region, ...noRegion } = c.context;
  void region;
  assert.match(await throwsInvalid(auditRecord(c.event, c.format, noRegion), 'context'), /region/);
});

test('hashedToken rejects a secret that is not a string', async () => {
  for (const secret of [undefined, null, 3, { secret: 'cd_x' }]) {
    await throwsInvalid(hashedToken(secret), 'secret');
  }
});
