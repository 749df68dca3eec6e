// Runs tests/vectors/allowed_ips.json against the installed @clouddigit/sdk package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  AllowList,
  AllowedIpsError,
  ClouddigitError,
  InvalidIpError,
  checkAllowedIps,
} from '@clouddigit/sdk';
import { unreached } from './codes.mjs';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const { cases } = JSON.parse(readFileSync(`${vectorsDir}/allowed_ips.json`, 'utf8'));

const projectError = (e) => {
  const out = { index: e.index, text: e.text, code: e.code };
  if (e.suggestion !== undefined) out.suggestion = e.suggestion;
  return out;
};
const projectWarning = (w) => {
  const out = { index: w.index, code: w.code };
  if (w.related_index !== undefined) out.related_index = w.related_index;
  return out;
};

test('vectors file has cases', () => assert.ok(cases.length >= 20));

const errorsSeen = new Set();
const warningsSeen = new Set();

for (const c of cases) {
  test(`allowed_ips: ${c.name}`, () => {
    const report = checkAllowedIps(c.input);
    for (const e of report.errors) errorsSeen.add(e.code);
    for (const w of report.warnings) warningsSeen.add(w.code);
    assert.deepEqual(report.entries.map((e) => e.network), c.networks);
    assert.deepEqual(report.errors.map(projectError), c.errors);
    assert.deepEqual(report.warnings.map(projectWarning), c.warnings);
    for (const item of [...report.errors, ...report.warnings]) assert.ok(item.message.length > 0);

    if (c.errors.length === 0) {
      const list = AllowList.parse(c.input);
      assert.deepEqual(list.networks, c.networks);
      assert.equal(list.isEmpty, c.networks.length === 0);
      for (const [ip, allowed] of Object.entries(c.contains ?? {})) {
        assert.equal(list.contains(ip), allowed, `contains(${ip})`);
      }
      for (const ip of c.invalid_addresses ?? []) {
        assert.throws(() => list.contains(ip), (err) => {
          assert.ok(err instanceof InvalidIpError && err instanceof ClouddigitError && err instanceof Error);
          assert.equal(err.code, 'invalid_ip');
          assert.equal(err.text, ip);
          return true;
        });
      }
      list.free();
    } else {
      assert.throws(() => AllowList.parse(c.input), (err) => {
        assert.ok(err instanceof AllowedIpsError && err instanceof ClouddigitError && err instanceof Error);
        assert.equal(err.name, 'AllowedIpsError');
        assert.equal(err.code, 'invalid_allowed_ips');
        assert.deepEqual(err.errors.map(projectError), c.errors);
        assert.match(err.message, /^allowed_ips: \d+ invalid entr/);
        return true;
      });
    }
  });
}

test('non-string input throws a catchable error and the module survives', () => {
  // wasm-bindgen rejects a non-string before the core sees it; it must throw, not abort.
  assert.throws(() => checkAllowedIps(42));
  // The module is still usable afterwards.
  assert.equal(checkAllowedIps('10.0.0.0/8').entries.length, 1);
});

test('every error and warning code is reached', () => {
  assert.deepEqual(unreached('allowed_ips_errors', errorsSeen), []);
  assert.deepEqual(unreached('allowed_ips_warnings', warningsSeen), []);
});
