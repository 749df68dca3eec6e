// tests/vectors/codes.json: the codes each vector file's cases must reach, the same list
// every host's runner reads (core/tests/codes.rs checks it against the Rust enums).
import { readFileSync } from 'node:fs';

const vectorsDir = process.env.CLOUDDIGIT_VECTORS ?? new URL('../../tests/vectors/', import.meta.url).pathname;
const codes = JSON.parse(readFileSync(`${vectorsDir}/codes.json`, 'utf8'));

/** The codes listed under `key` that `seen` (a Set of what the SDK returned) lacks. */
export function unreached(key, seen) {
  if (!Array.isArray(codes[key]) || codes[key].length === 0) throw new Error(`codes.json has no list ${key}`);
  return codes[key].filter((c) => !seen.has(c));
}

/** The codes listed under `key`. */
export function listed(key) {
  if (!Array.isArray(codes[key]) || codes[key].length === 0) throw new Error(`codes.json has no list ${key}`);
  return [...codes[key]];
}
