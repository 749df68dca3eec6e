// The hot path's strings without wasm-bindgen's per-string allocation: PreparedToken.check
// writes its action, project and IP (ASCII, as they nearly always are) straight into a
// buffer the wasm module set aside, then makes one call. Anything else (non-ASCII text,
// non-strings, text longer than the buffer) takes the generated path, which converts and
// throws exactly as before. Only bytes move here; the decision stays in the core.

export function installFastCheck(memory, PreparedToken, callTextBuffer, reasonCodes) {
  const [base, size] = callTextBuffer();
  const reasons = reasonCodes();
  let bytes = new Uint8Array(memory.buffer);
  const generated = PreparedToken.prototype.check;

  // Writes `text` at `at`; returns the end, or -1 when it is not ASCII or does not fit.
  function put(text, at) {
    const end = at + text.length;
    if (end > size) return -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) return -1;
      bytes[base + at + i] = c;
    }
    return end;
  }

  PreparedToken.prototype.check = function check(owner, action, project, ip, timeMs) {
    if (typeof action !== 'string' || typeof timeMs !== 'number') return generated.call(this, owner, action, project, ip, timeMs);
    // A grown memory detaches the old view.
    if (bytes.byteLength === 0) bytes = new Uint8Array(memory.buffer);
    const a = put(action, 0);
    if (a < 0) return generated.call(this, owner, action, project, ip, timeMs);
    let p = a;
    if (project != null) {
      if (typeof project !== 'string' || (p = put(project, a)) < 0) return generated.call(this, owner, action, project, ip, timeMs);
    }
    if (ip != null) {
      if (typeof ip !== 'string' || put(ip, p) < 0) return generated.call(this, owner, action, project, ip, timeMs);
    }
    return reasons[this.__checkText(owner, a, project == null ? -1 : p - a, ip == null ? -1 : ip.length, timeMs)];
  };
}
