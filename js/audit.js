// auditRecord and hashedToken run in the command's module (dist/cli/), loaded on the first
// call, as js/sigv4.js does: pages do not download the OCSF and CloudTrail shapes
// (docs/wasm-size.md).
import { makeError } from '../dist/wasm/errors.js';
import { toJsonText } from '../dist/wasm/json.js';

const bad = (field, message) => makeError('EvaluateError', 'invalid_input', `${field}: ${message}`, { field });

/** auditRecord and hashedToken over `load()`, a Promise of the initialized module; what it cannot read comes back as data, thrown here as EvaluateError. */
export function auditFunctions(load) {
  let module;
  const text = (field, value) => {
    try {
      return toJsonText(value);
    } catch (e) {
      throw bad(field, e.message);
    }
  };
  return {
    auditRecord: async (event, format, context) => {
      const args = [text('event', event), text('format', format), text('context', context)];
      module ??= load();
      const m = await module;
      const { value, error } = JSON.parse(m.auditRecordJson(...args));
      if (error) throw makeError('EvaluateError', error.code, error.message, { field: error.field });
      return value;
    },
    hashedToken: async (secret) => {
      if (typeof secret !== 'string') throw bad('secret', 'expected a string');
      module ??= load();
      return (await module).hashedToken(secret);
    },
  };
}
