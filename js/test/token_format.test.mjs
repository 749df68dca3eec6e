// Runs tests/vectors/token_format.json against the installed @clouddigit/sdk package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ClouddigitError, TokenFormatError, isToken, parseTokenSecret } from '@clouddigit/sdk';
import { unreached } from './codes.mjs';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const { cases } = JSON.parse(readFileSync(`${vectorsDir}/token_format.json`, 'utf8'));

test('vectors file has cases', () => assert.ok(cases.length >= 10));

const seen = new Set();

for (const c of cases) {
  test(`token_format: ${c.name}`, () => {
    if (c.expect.ok) {
      assert.deepEqual(parseTokenSecret(c.text), { prefix: c.expect.prefix });
      assert.equal(isToken(c.text.trim()), true);
      return;
    }
    assert.equal(isToken(c.text), false);
    assert.throws(() => parseTokenSecret(c.text), (err) => {
      assert.ok(err instanceof TokenFormatError && err instanceof ClouddigitError && err instanceof Error);
      assert.equal(err.name, 'TokenFormatError');
      seen.add(err.code);
      assert.equal(err.code, c.expect.code);
      // Nothing past the 9-character prefix is ever echoed (as the Rust runner checks),
      // and no run of 8 characters of it either.
      const secretPart = [...c.text.trim()].slice(9).join('');
      if (secretPart.length >= 8) {
        assert.ok(!err.message.includes(secretPart), err.message);
        for (let i = 0; i + 8 <= secretPart.length; i++) {
          assert.ok(!err.message.includes(secretPart.slice(i, i + 8)), err.message);
        }
      }
      assert.ok(!String(err).includes(secretPart) || secretPart.length < 8);
      return true;
    });
  });
}

test('non-string input throws and the module survives', () => {
  assert.throws(() => parseTokenSecret(42));
  assert.equal(isToken('cd_'), false);
});

test('every code is reached', () => {
  assert.deepEqual(unreached('token_format', seen), []);
});
