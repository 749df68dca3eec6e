// Stale credentials on the token lists: a banner counting the tokens unused for 30 or 90
// days, never expiring, or without an allow-list, each a filter of the list (in the URL,
// `?stale=`). The findings are the core's `lint` (`lintTokens`, the rules of `clouddigit
// lint`), run in the browser; its module loads after the list is shown, so the banner
// never holds the page up.
import { lintTokens } from '@clouddigit/sdk';
import type { ApiToken, LintCode, TokenPolicy } from '@clouddigit/sdk';
import { h } from './dom';

/** The filters the banner offers, each a set of lint codes (and the unused-days threshold). */
export const STALE: Record<string, { label: (n: number) => string; codes: LintCode[]; unusedDays?: number }> = {
  unused90: { label: (n) => `${n} unused for 90 days`, codes: ['unused90_days'], unusedDays: 90 },
  unused30: { label: (n) => `${n} unused for 30 days`, codes: ['unused90_days'], unusedDays: 30 },
  never_expires: { label: (n) => `${n} never expire${n === 1 ? 's' : ''}`, codes: ['never_expires', 'policy_never_expiring'] },
  no_allow_list: { label: (n) => `${n} without an allow-list`, codes: ['no_allow_list', 'no_allow_list_service_account', 'policy_allowed_ips_required'] },
};

/** Which tokens each filter holds (only active tokens are linted: the others are done). */
export async function staleSets(tokens: ApiToken[], policy: TokenPolicy | null): Promise<Record<string, Set<string>>> {
  const live = tokens.filter((t) => t.status === 'active' || t.status === 'rotating') as never[];
  const [at90, at30] = await Promise.all([lintTokens(live, { unusedDays: 90, policy }), lintTokens(live, { unusedDays: 30, policy })]);
  const out: Record<string, Set<string>> = {};
  for (const [key, f] of Object.entries(STALE)) {
    const findings = f.unusedDays === 30 ? at30 : at90;
    out[key] = new Set(findings.filter((x) => f.codes.includes(x.code)).map((x) => x.token_id));
  }
  return out;
}

/** The banner: a count per filter, each a link to the list so filtered; `active` is the filter shown. */
export function staleBanner(sets: Record<string, Set<string>>, base: string, active: string | null): HTMLElement | null {
  const shown = Object.entries(sets).filter(([, s]) => s.size > 0);
  if (shown.length === 0 && !active) return null;
  return h(
    'div',
    { class: 'stale-banner', role: 'region', 'aria-label': 'Stale credentials' },
    h('strong', {}, 'Stale credentials: '),
    ...shown.flatMap(([key, s], i) => [
      i ? ' · ' : '',
      h('a', { href: `${base}?stale=${key}`, 'data-nav': true, 'aria-current': key === active ? 'true' : false }, STALE[key]!.label(s.size)),
    ]),
    active ? [' · ', h('a', { href: base, 'data-nav': true }, 'Show all')] : [],
  );
}
