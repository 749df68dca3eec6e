// The npm package's Client against schema/client-surface.json, the list every host's
// method names come from (the Python namespaces are generated from it): every listed
// method is there, nothing public is missing from the list, and docs/client.md shows
// each one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Client } from '@clouddigit/sdk';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const root = `${vectorsDir}/../..`;
const { methods } = JSON.parse(readFileSync(`${root}/schema/client-surface.json`, 'utf8'));
const client = new Client({ token: 'cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA', baseUrl: 'http://127.0.0.1:9/v1' });

/** The methods an object offers (its class's prototype, wasm-bindgen's own left out). */
function methodsOf(obj) {
  const proto = Object.getPrototypeOf(obj);
  return Object.getOwnPropertyNames(proto).filter((k) => {
    const d = Object.getOwnPropertyDescriptor(proto, k);
    return typeof d.value === 'function' && k !== 'constructor' && k !== 'free' && !k.startsWith('__');
  });
}

/** Every public method path of the client, walking its namespaces (getters). */
function walk(obj, prefix, out) {
  for (const k of methodsOf(obj)) out.push(prefix + k);
  const proto = Object.getPrototypeOf(obj);
  for (const k of Object.getOwnPropertyNames(proto)) {
    if (typeof Object.getOwnPropertyDescriptor(proto, k).get === 'function') walk(obj[k], `${prefix}${k}.`, out);
  }
  return out;
}

test('the Client has exactly the methods of schema/client-surface.json', () => {
  const listed = methods.map((m) => m.name).sort();
  const offered = walk(client, '', []).sort();
  assert.deepEqual(offered, listed);
});

test('docs/client.md shows every method of the surface', () => {
  const docs = readFileSync(`${root}/docs/client.md`, 'utf8');
  const missing = methods.map((m) => m.name).filter((n) => !docs.includes(`client.${n}(`));
  assert.deepEqual(missing, []);
});
