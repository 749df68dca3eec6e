// `node:test` in the page: tests are collected as a module registers them, then run in
// order by the harness (as node --test runs a file's tests after it has loaded).
export function test(name, fn) {
  globalThis.__clouddigitTests.push({ name, fn });
}
export default test;
