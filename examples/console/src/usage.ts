// A token's usage: when and from where it was last used, its calls over 30 days as a
// sparkline, the addresses it was used from against its allow-list, the permissions it
// used against those it holds ("uses 3 of 106"), and the one-click downscope: the
// smallest set that covers what it did, as a diff against its grants, and "Rotate into
// this downscope" through the normal rotation with its grace window. Every rule here is
// the core's, in the browser: `tokenUsage` (the least-privilege rule and its diff, the
// allow-list check) on the audit events this page fetched; the API's no-escalation rule
// decides the rotation. A chunk of its own.
import { tokenUsage } from '@clouddigit/sdk';
import type { ApiToken, Role, TokenUsage } from '@clouddigit/sdk';
import type { AuditSummary, ConsoleApi, Rotation } from './api';
import { announce, confirmDialog, formatTime, h, showSecretOnce } from './dom';

export interface UsagePageOptions {
  api: ConsoleApi['audit'];
  token: ApiToken;
  /** The owner's role where the token inherits it (its grants are the role's), else null. */
  role: Role | null;
  page: (title: string, ...content: (Node | string | null)[]) => void;
  /** Rotates the token into `permissions`; absent where the API has no such call. */
  downscope?: (permissions: string[]) => Promise<Rotation>;
  revoke: () => Promise<unknown>;
  back: { href: string; label: string };
  done: () => void;
  fail: (e: unknown) => void;
}

const DAYS = 30;
const n = (x: number) => x.toLocaleString('en-US');

/** The hourly bars summed per UTC day (the sparkline's points). */
export function perDay(s: AuditSummary): { day: string; calls: number }[] {
  const days = new Map<string, number>();
  for (const p of s.series) {
    const day = p.start.slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + p.allowed + p.denied + p.failed);
  }
  return [...days].map(([day, calls]) => ({ day, calls }));
}

export async function usagePage(opts: UsagePageOptions): Promise<void> {
  const t = opts.token;
  const prefix = t.prefix ?? '';
  const from = new Date(Date.now() - DAYS * 86_400_000).toISOString();
  // The counts of the last 30 days, and every kept event of this token for the
  // least-privilege rule (the export holds up to 100,000).
  const [summary, events] = await Promise.all([
    opts.api.summary({ token_prefix: prefix, from }),
    opts.api.export({ token_prefix: prefix }, 'jsonl').then((b) => b.text()),
  ]);
  const usage = await tokenUsage(events, t as never, opts.role, summary.sources.map((s) => s.ip));
  const chart = await import('./auditChart');
  const spark = h('canvas', { role: 'img', 'aria-label': `Calls per day over the last ${DAYS} days` });
  const days = perDay(summary);
  const busiest = days.reduce((a, d) => (d.calls > a.calls ? d : a), days[0] ?? { day: '', calls: 0 });
  opts.page(
    `Usage of “${t.name}”`,
    h('p', {}, h('a', { href: opts.back.href, 'data-nav': true }, `← ${opts.back.label}`)),
    h('p', { class: 'lede' }, h('code', { class: 'prefix' }, `${prefix}…`), ` · ${scopeText(t)}`),
    lastUsed(summary),
    h(
      'section',
      { 'aria-labelledby': 'calls-h' },
      h('h2', { id: 'calls-h' }, `Calls in the last ${DAYS} days`),
      h('div', { class: 'spark' }, h('div', { class: 'spark-box' }, spark), h('p', { class: 'spark-text' }, summary.total ? `${n(summary.total)} calls (${n(summary.allowed)} allowed, ${n(summary.denied)} denied); busiest day ${busiest.day}, ${n(busiest.calls)} calls.` : `No calls in the last ${DAYS} days.`)),
    ),
    sourcesSection(t, summary, usage),
    permissionsSection(t, usage, opts),
  );
  chart.drawSparkline(spark, days.map((d) => d.day), days.map((d) => d.calls));
}

function scopeText(t: ApiToken): string {
  const projects = Array.isArray(t.projects) ? t.projects.join(', ') : 'all projects';
  const perms = t.permissions === 'inherit' ? 'inherits its owner’s role' : `${t.permissions.length} permission entr${t.permissions.length === 1 ? 'y' : 'ies'}`;
  return `${projects} · ${perms}`;
}

function lastUsed(s: AuditSummary): HTMLElement {
  const c = s.last_call;
  if (!c) return h('p', { class: 'last-used' }, `Last used: not in the last ${DAYS} days.`);
  return h('p', { class: 'last-used' }, 'Last used ', h('time', { datetime: c.time }, formatTime(c.time)), ` from ${c.source_ip ?? 'an unknown address'}: `, h('code', {}, `${c.method} ${c.path}`), ` (${c.status}).`);
}

function sourcesSection(t: ApiToken, s: AuditSummary, u: TokenUsage): HTMLElement {
  const list = t.allowed_ips ?? [];
  const verdict = new Map(u.sources.map((x) => [x.ip, x.allowed]));
  const outside = u.sources.filter((x) => x.allowed === false).length;
  return h(
    'section',
    { 'aria-labelledby': 'src-h' },
    h('h2', { id: 'src-h' }, 'Where it was used from'),
    h('p', {}, list.length ? `Allow-list: ${list.join(', ')}.` : 'No allow-list: every address may use it.', outside ? ` ${outside} of these addresses are outside it (their calls were refused).` : ''),
    s.sources.length
      ? h(
          'table',
          { class: 'list sources' },
          h('thead', {}, h('tr', {}, ...['Address', 'Calls (30 days)', 'Last seen', 'Allow-list'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            ...s.sources.map((x) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('code', {}, x.ip)),
                h('td', {}, n(x.calls)),
                h('td', {}, formatTime(x.last_seen)),
                h('td', {}, verdict.get(x.ip) === false ? 'outside' : verdict.get(x.ip) ? (list.length ? 'inside' : 'no list') : 'not an address'),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No calls, so no addresses.'),
  );
}

function permissionsSection(t: ApiToken, u: TokenUsage, opts: UsagePageOptions): HTMLElement {
  const d = u.diff;
  const uses = u.granted !== null && u.granted !== undefined ? `Uses ${n(u.used)} of ${n(u.granted)} permissions it holds` : `Uses ${n(u.used)} permissions (what it holds is its owner’s role, not known here)`;
  const box = h('section', { 'aria-labelledby': 'perm-h', class: 'downscope' }, h('h2', { id: 'perm-h' }, 'Permissions'), h('p', { class: 'uses' }, `${uses}, over ${n(u.calls)} audited calls.`));
  if (u.calls === 0) {
    // Nothing to narrow to: the honest offer is to end it.
    const revoke = h('button', { type: 'button', class: 'danger' }, 'Revoke this token');
    revoke.addEventListener('click', () => {
      void confirmDialog('Revoke this token?', `“${t.name}” made no calls the audit log holds. Revoking ends it at once, and every token it made.`, 'Revoke')
        .then(async (yes) => {
          if (!yes) return;
          await opts.revoke();
          announce(`Revoked ${t.name}.`);
          opts.done();
        })
        .catch(opts.fail);
    });
    box.append(h('p', {}, 'This token made no calls, so there is no smaller set to rotate into: revoke it if nothing needs it.'), revoke);
    return box;
  }
  const list = (title: string, items: string[], cls: string) =>
    items.length ? h('div', { class: `diff ${cls}` }, h('h3', {}, title), h('ul', {}, ...items.map((i) => h('li', {}, h('code', {}, i))))) : null;
  box.append(
    ...[
      list('Keep: the smallest set covering its calls', d.suggested, 'keep'),
      list('Remove: granted, never used', d.remove, 'remove'),
      d.narrow.length ? list('Narrow', d.narrow.map((x) => `${x.entry} → ${x.keep.join(', ')}`), 'narrow') : null,
      list('Unused permissions it holds', t.permissions === 'inherit' ? [] : d.unused, 'unused'),
      d.unused_projects.length ? list('Projects it never called', d.unused_projects, 'unused-projects') : null,
    ].filter((x): x is HTMLDivElement => x !== null),
  );
  const reasons: string[] = [];
  if (d.missing.length)
    reasons.push(`Its calls also needed ${d.missing.join(', ')}, which it does not hold (those calls were refused). A downscope never adds a permission: it only keeps what the token already has.`);
  // The core's diff: nothing granted beyond what the calls needed leaves nothing to take away.
  const nothingUnused = d.grants_known && d.unused.length === 0;
  const button = h('button', { type: 'button', class: 'primary' }, 'Rotate into this downscope');
  let why: string | null = null;
  if (!opts.downscope) why = 'This token cannot be rotated from here.';
  else if (d.suggested.length === 0) why = 'None of its calls needed a permission it holds, so there is nothing to keep.';
  else if (nothingUnused) why = 'It holds no permission its calls did not need: there is nothing to take away.';
  if (why) {
    button.disabled = true;
    button.setAttribute('aria-describedby', 'downscope-why');
  }
  box.append(...reasons.map((r) => h('p', { class: 'notice' }, r)), h('div', { class: 'actions' }, button), why ? h('p', { id: 'downscope-why', class: 'hint' }, why) : '');
  button.addEventListener('click', () => {
    void confirmDialog(
      'Rotate into this downscope?',
      `A new token with ${d.suggested.length} permission${d.suggested.length === 1 ? '' : 's'} (${d.suggested.join(', ')}) replaces “${t.name}”, with the same projects, expiry and allow-list. The current secret keeps working for 7 days, so you can swap it.`,
      'Rotate',
    )
      .then(async (yes) => {
        if (!yes || !opts.downscope) return;
        const r = await opts.downscope(d.suggested);
        await showSecretOnce(`“${t.name}” downscoped`, r.secret, [], 'The downscoped token');
        announce(`Rotated ${t.name} into ${d.suggested.length} permissions.`);
        opts.done();
      })
      .catch(opts.fail);
  });
  return box;
}
