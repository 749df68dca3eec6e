// The part of `node:assert/strict` the vector tests use, with its strict semantics:
// Object.is for values; deep equality with same prototypes and the same own keys;
// `throws` and `rejects` with an Error class or a validation function that must return true.
export class AssertionError extends Error {}
AssertionError.prototype.name = 'AssertionError';

const show = (v) => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};
const fail = (message, fallback) => {
  throw new AssertionError(message instanceof Error ? message.message : message ?? fallback);
};

function difference(a, b, path) {
  if (Object.is(a, b)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return `${path}: ${show(a)} !== ${show(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: different prototypes`;
  if (a instanceof Map || a instanceof Set) return difference([...a], [...b], path);
  if (a instanceof Date) return difference(a.getTime(), b.getTime(), path);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k) => !Object.prototype.hasOwnProperty.call(b, k))) {
    return `${path}: keys ${show(ka)} !== ${show(kb)}`;
  }
  for (const k of ka) {
    const d = difference(a[k], b[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

export function ok(value, message) {
  if (!value) fail(message, `expected a truthy value, got ${show(value)}`);
}
export function equal(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, `${show(actual)} !== ${show(expected)}`);
}
export function deepEqual(actual, expected, message) {
  const d = difference(actual, expected, '');
  if (d) fail(message === undefined ? undefined : `${message}: ${d}`, d);
}
export function match(text, regexp, message) {
  if (typeof text !== 'string' || !regexp.test(text)) fail(message, `${show(text)} does not match ${regexp}`);
}
export function throws(fn, expected, message) {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  let error;
  try {
    fn();
  } catch (e) {
    error = e ?? new Error('threw a nullish value');
  }
  check(error, expected, message);
}
// `rejects` takes a Promise (or a function returning one) and checks its rejection as
// `throws` checks an exception.
export async function rejects(promiseOrFn, expected, message) {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  let error;
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    error = e ?? new Error('rejected with a nullish value');
  }
  check(error, expected, message);
}
function check(error, expected, message) {
  if (error === undefined) fail(message, 'missing expected exception');
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) fail(message, `wrong exception: ${error}`);
    if (expected.call({}, error) !== true) fail(message, `the validation function rejected: ${error}`);
  } else if (expected instanceof RegExp) {
    if (!expected.test(String(error))) fail(message, `${error} does not match ${expected}`);
  } else if (expected !== undefined) {
    // Node also takes an object of expected properties; the vector tests do not use it.
    throw new TypeError(`throws: this stand-in does not support ${typeof expected} expectations`);
  }
}

const assert = { AssertionError, ok, equal, deepEqual, match, throws, rejects, strictEqual: equal, deepStrictEqual: deepEqual };
export default assert;
