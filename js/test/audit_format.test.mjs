// Runs tests/vectors/audit_format.json through the installed @clouddigit/sdk's
// auditRecord and hashedToken, as core/tests/audit_format_vectors.rs does: every record
// must equal the file's `expect` exactly.
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
  test(`audit_format.json: ${c.name}`, () => {
    assert.deepEqual(auditRecord(c.event, c.format, c.context), c.expect);
  });
}

test('hashedToken is the secret\'s SHA-256 in base64', () => {
  const withSecret = cases.filter((c) => c.secret !== undefined);
  assert.ok(withSecret.length >= 2);
  for (const c of withSecret) {
    // Independently of the core: Node's own SHA-256.
    const expected = createHash('sha256').update(c.secret, 'utf8').digest('base64');
    assert.equal(c.event.hashed_token, expected, c.name);
    assert.equal(hashedToken(c.secret), expected, c.name);
    assert.ok(!JSON.stringify(c.expect).includes(c.secret), c.name);
  }
  for (const secret of ['', 'cd_ünïcødé_秘密']) {
    assert.equal(hashedToken(secret), createHash('sha256').update(secret, 'utf8').digest('base64'));
  }
});

function throwsInvalid(fn, field) {
  let message;
  assert.throws(fn, (err) => {
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

test('an unknown format throws EvaluateError naming the field', () => {
  const c = cases[0];
  const message = throwsInvalid(() => auditRecord(c.event, 'xml', c.context), 'format');
  assert.match(message, /xml/);
  throwsInvalid(() => auditRecord(c.event, 'OCSF', c.context), 'format');
  throwsInvalid(() => auditRecord(c.event, 3, c.context), 'format');
});

test('an event or context of the wrong shape throws EvaluateError naming the field', () => {
  const c = cases[0];
  const { status, ...noStatus } = c.event;
  void status;
  assert.match(throwsInvalid(() => auditRecord(noStatus, c.format, c.context), 'event'), /status/);
  assert.match(throwsInvalid(() => auditRecord({ ...c.event, time: 'yesterday' }, c.format, c.context), 'event'), /time/);
  throwsInvalid(() => auditRecord('not an event', c.format, c.context), 'event');
  const { region, ...noRegion } = c.context;
  void region;
  assert.match(throwsInvalid(() => auditRecord(c.event, c.format, noRegion), 'context'), /region/);
});
