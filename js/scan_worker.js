// `clouddigit scan`'s file reading for js/cli.js: on the main thread and, for large
// trees, in worker threads (one per core). Only bytes move here: a file is a candidate
// if it contains one of the core's literals (SCAN_LITERALS, passed in); the core decides.
import { readFileSync } from 'node:fs';
import { isMainThread, workerData } from 'node:worker_threads';

/** A test of "contains one of `literals`": one Buffer.indexOf pass over the literals'
 * common prefix (`cd`), each hit compared with every literal. */
export function makePrefilter(literals) {
  const needles = literals.map((l) => Buffer.from(l, 'latin1'));
  let common = needles[0] ?? Buffer.alloc(0);
  for (const n of needles) {
    let k = 0;
    while (k < common.length && k < n.length && common[k] === n[k]) k += 1;
    common = common.subarray(0, k);
  }
  if (common.length === 0) return (buf) => needles.some((n) => buf.indexOf(n) !== -1);
  return (buf) => {
    for (let i = buf.indexOf(common); i !== -1; i = buf.indexOf(common, i + 1)) {
      for (const n of needles) {
        if (i + n.length <= buf.length && buf.compare(n, 0, n.length, i, i + n.length) === 0) return true;
      }
    }
    return false;
  };
}

/** Reads `paths`; returns the totals and the candidates as [path, bytes, ...]. `tick`
 * (optional) is told of every file's size. Unreadable files are skipped. */
export function readCandidates(paths, literals, tick) {
  const has = makePrefilter(literals);
  const candidates = [];
  let files = 0;
  let bytes = 0;
  for (const path of paths) {
    let buf;
    try {
      buf = readFileSync(path);
    } catch {
      continue;
    }
    files += 1;
    bytes += buf.length;
    if (has(buf)) candidates.push(path, buf);
    if (tick) tick(buf.length);
  }
  return { files, bytes, candidates };
}

// As a worker: read a share of the files, post the result on the port, then wake the
// main thread (blocked in Atomics.wait: the command runs synchronously inside wasm).
if (!isMainThread && workerData && workerData.clouddigitScan) {
  const { paths, literals, port, shared, slot } = workerData;
  const counts = new BigInt64Array(shared, 0, 2);
  const done = new Int32Array(shared, 16);
  let r;
  try {
    r = readCandidates(paths, literals, (size) => {
      Atomics.add(counts, 0, 1n);
      Atomics.add(counts, 1, BigInt(size));
    });
  } catch (e) {
    r = { files: 0, bytes: 0, candidates: [], error: String(e && e.message) };
  }
  port.postMessage(r);
  Atomics.store(done, slot, 1);
  Atomics.notify(done, slot);
}
