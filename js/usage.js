// tokenUsage and lintTokens run in the command's module (dist/cli/), loaded on the first
// call, as js/audit.js does: the console's token usage panel and its stale-credential
// banner use them, and pages that never show them do not download the analyses.
import { answer, invalid, jsonArg } from './lazy.js';

/** tokenUsage and lintTokens over `load()`, a Promise of the initialized module. */
export function usageFunctions(load) {
  let module;
  return {
    tokenUsage: async (events, token, role = null, sources = []) => {
      if (typeof events !== 'string') throw invalid('events', 'expected the audit export as text (JSON lines)');
      const args = [jsonArg('token', token), jsonArg('role', role), jsonArg('sources', sources)];
      module ??= load();
      return answer((await module).tokenUsageJson(events, ...args));
    },
    lintTokens: async (tokens, { now = new Date().toISOString(), unusedDays = null, policy = null } = {}) => {
      const args = [jsonArg('tokens', tokens), jsonArg('now', now), jsonArg('unused_days', unusedDays), jsonArg('policy', policy)];
      module ??= load();
      return answer((await module).lintJson(...args));
    },
  };
}
