// auditRecord and hashedToken run in the command's module (dist/cli/), loaded on the first
// call, as js/sigv4.js does: pages do not download the OCSF and CloudTrail shapes
// (docs/wasm-size.md).
import { answer, invalid, jsonArg } from './lazy.js';

/** auditRecord and hashedToken over `load()`, a Promise of the initialized module; what it cannot read comes back as data, thrown here as EvaluateError. */
export function auditFunctions(load) {
  let module;
  return {
    auditRecord: async (event, format, context) => {
      const args = [jsonArg('event', event), jsonArg('format', format), jsonArg('context', context)];
      module ??= load();
      return answer((await module).auditRecordJson(...args));
    },
    hashedToken: async (secret) => {
      if (typeof secret !== 'string') throw invalid('secret', 'expected a string');
      module ??= load();
      return (await module).hashedToken(secret);
    },
  };
}
