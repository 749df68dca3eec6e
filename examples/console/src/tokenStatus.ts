// A token's status in the lists (the API tokens page, a service account's tokens):
// active, rotated, expired, revoked, and for a token found in a leak (a secret scanner
// reported it at a public URL) what the API did: revoked it (`revocation.reason ===
// "leaked"`), or quarantined it (reads still work, writes are refused until it is rotated).
//
// The leak fields are new in the API; `leakOf` is the one place that reads them, so a
// rename is a change there only. A token without them (an older API) shows what it
// always did. This module needs nothing of the page but `document`, so
// test/tokenStatus.test.mjs renders it on its own.
import type { ApiToken } from './api';
import { formatDate, formatTime, h } from './dom';

export interface TokenStatus {
  text: string;
  /** The live one of its line: it may be rotated or revoked. */
  active: boolean;
  /** What the API says of a leak, when it says it and it applies. */
  leak: Leak | null;
}

export function tokenStatus(t: ApiToken): TokenStatus {
  const st = plainStatus(t);
  const leak = leakOf(t);
  if (leak?.state === 'revoked') return { ...st, active: false, leak };
  // A quarantined token still reads: it says so while it is the live one ("rotate it").
  if (leak && st.active) return { ...st, leak };
  return { ...st, leak: null };
}

function plainStatus(t: ApiToken): { text: string; active: boolean } {
  const now = Date.now();
  if (t.revoked_at) return { text: `revoked ${formatDate(t.revoked_at)}`, active: false };
  if (t.rotated_at) {
    const grace = t.grace_ends_at ? Date.parse(t.grace_ends_at) : 0;
    return grace > now
      ? { text: `rotated; works until ${formatTime(t.grace_ends_at)}`, active: false }
      : { text: 'rotated out', active: false };
  }
  if (t.expires_at && Date.parse(t.expires_at) <= now) return { text: 'expired', active: false };
  return { text: 'active', active: true };
}

/** The status column: the leak's words, or the plain status. */
export function statusCell(st: TokenStatus): Node {
  return st.leak ? leakStatus(st.leak) : document.createTextNode(st.text);
}

/** What the API may say about a leaked token (both optional, either may be `null`). */
interface LeakFields {
  revocation?: { reason?: string | null; url?: string | null; source?: string | null; at?: string | null } | null;
  quarantine?: { reason?: string | null; url?: string | null; at?: string | null } | null;
}

export interface Leak {
  /** Revoked because it leaked, or quarantined until it is rotated. */
  state: 'revoked' | 'quarantined';
  /** Why, in the API's word (`leaked`). */
  reason: string;
  /** Where it was found, as text (never a link the console follows). */
  url: string | null;
  /** Who reported it (a scanner's name), when the API says. */
  source: string | null;
  at: string | null;
}

/** The token's leak, or `null` for a token that did not leak (or an API without the fields). */
export function leakOf(t: ApiToken): Leak | null {
  const f = t as ApiToken & LeakFields;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const r = f.revocation;
  if (r && r.reason === 'leaked') {
    return { state: 'revoked', reason: 'leaked', url: text(r.url), source: text(r.source), at: text(r.at) };
  }
  const q = f.quarantine;
  // A revoked token is revoked, whatever quarantine it was in before.
  if (q && !t.revoked_at && !r) {
    return { state: 'quarantined', reason: text(q.reason) ?? 'leaked', url: text(q.url), source: null, at: text(q.at) };
  }
  return null;
}

/**
 * The status text of a leaked token: "revoked: leaked at <url>" or "quarantined: leaked at
 * <url> — rotate it". The URL is plain text in a <code>: a leak's URL is someone else's
 * page, and the console does not link to it.
 */
export function leakStatus(leak: Leak): HTMLElement {
  const when = leak.at ? ` ${formatTime(leak.at)}` : '';
  const by = leak.source ? ` (reported by ${leak.source})` : '';
  return h(
    'span',
    {
      class: `leak leak-${leak.state}`,
      'data-leak': leak.state,
      title: `${leak.state === 'revoked' ? 'Revoked' : 'Quarantined'}${when}${by}`,
    },
    h('strong', {}, `${leak.state}: `),
    leak.reason,
    leak.url ? [' at ', h('code', { class: 'leak-url' }, leak.url)] : null,
    leak.state === 'quarantined' ? h('span', { class: 'leak-advice' }, ' — rotate it') : null,
  );
}
