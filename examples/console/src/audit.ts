// The audit page: the log's filters in the URL (so a view can be shared), a timeline of
// calls per hour stacked allowed / denied / failed with a text summary beside it, the
// events a page at a time by the API's cursors, one event in full, and the filtered view
// exported as JSON lines, OCSF or CSV. The counts are the API's (`/v1/audit/summary`
// counts the whole range on the server), so 100,000 events cost the page one answer of
// a few hundred bars, not 2,000 pages. A chunk of its own; the chart library is another
// that this one loads when it draws.
import type { AuditEvent, AuditPage, AuditSummary, AuditView, ConsoleApi, ExportFormat } from './api';
import { announce, formatTime, h, uid } from './dom';

export interface AuditPageOptions {
  api: ConsoleApi['audit'];
  page: (title: string, ...content: (Node | string | null)[]) => void;
  /** Opens a URL of the console (the filters are the query). */
  go: (url: string) => void;
  fail: (e: unknown) => void;
}

/** The time ranges offered, and how far back each reaches. */
export const RANGES: Record<string, { label: string; hours: number | null }> = {
  '24h': { label: 'Last 24 hours', hours: 24 },
  '7d': { label: 'Last 7 days', hours: 24 * 7 },
  '30d': { label: 'Last 30 days', hours: 24 * 30 },
  all: { label: 'Everything kept', hours: null },
};

const STATUSES: [string, string][] = [
  ['', 'Any'],
  ['2xx', 'Allowed (2xx)'],
  ['401', 'Not authenticated (401)'],
  ['403', 'Denied (403)'],
  ['4xx', 'Any 4xx'],
  ['5xx', 'Server errors (5xx)'],
];

const TEXT_FILTERS = ['actor', 'token_prefix', 'project', 'path'] as const;

/** The view the URL's query asks for: the API's filters, plus `range` for `from`. */
export function viewOf(search: string, now = Date.now()): { view: AuditView; range: string } {
  const q = new URLSearchParams(search);
  const view: AuditView = {};
  for (const k of [...TEXT_FILTERS, 'status', 'from', 'to'] as const) {
    const v = q.get(k)?.trim();
    if (v) view[k] = v;
  }
  const range = q.get('range') ?? (view.from ? 'custom' : '24h');
  const hours = RANGES[range]?.hours;
  if (!view.from && hours) view.from = new Date(now - hours * 3600_000).toISOString();
  return { view, range };
}

/** The URL of a view: only what differs from the defaults. */
export function urlOf(form: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v && !(k === 'range' && v === '24h')) q.set(k, v);
  const s = q.toString();
  return s ? `/audit?${s}` : '/audit';
}

const n = (x: number) => x.toLocaleString('en-US');

/** The summary in words, for everyone and for screen readers (the chart's text twin). */
export function summaryText(s: AuditSummary, label: (start: string) => string): string {
  if (s.total === 0) return `No calls from ${formatTime(s.from)} to ${formatTime(s.to)}.`;
  const parts = [`${n(s.total)} calls from ${formatTime(s.from)} to ${formatTime(s.to)}: ${n(s.allowed)} allowed, ${n(s.denied)} denied, ${n(s.failed)} failed.`];
  const reasons = Object.entries(s.denied_by_reason).sort((a, b) => b[1] - a[1]);
  if (reasons.length) parts.push(`Denied by reason: ${reasons.map(([c, k]) => `${c} ${n(k)}`).join(', ')}.`);
  const busiest = s.series.reduce((a, p) => (p.allowed + p.denied + p.failed > a.allowed + a.denied + a.failed ? p : a), s.series[0]!);
  parts.push(`Busiest ${s.bucket}: ${label(busiest.start)} UTC, ${n(busiest.allowed + busiest.denied + busiest.failed)} calls.`);
  return parts.join(' ');
}

export async function auditPage(opts: AuditPageOptions): Promise<void> {
  performance.mark('audit:open');
  const { view, range } = viewOf(location.search);
  const summaryBox = h('div', { class: 'audit-summary' }, h('p', { class: 'muted' }, 'Counting…'));
  const tableBox = h('div', { class: 'audit-events' }, h('p', { class: 'muted' }, 'Loading events…'));
  opts.page('Audit log', filterForm(view, range, opts), exportBar(view, opts), summaryBox, h('h2', {}, 'Events'), tableBox);
  const [summary, first] = await Promise.allSettled([opts.api.summary(view), opts.api.page(view)]);
  if (summary.status === 'fulfilled') await showSummary(summaryBox, summary.value);
  else return opts.fail(summary.reason);
  if (first.status === 'fulfilled') showEvents(tableBox, view, first.value, opts);
  else opts.fail(first.reason);
}

function filterForm(view: AuditView, range: string, opts: AuditPageOptions): HTMLFormElement {
  const field = (name: string, label: string, control: HTMLElement, hint?: string) => {
    const id = uid(name);
    control.id = id;
    control.setAttribute('name', name);
    return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint' }, hint) : null);
  };
  const text = (name: (typeof TEXT_FILTERS)[number], placeholder: string) =>
    h('input', { type: 'text', value: view[name] ?? '', placeholder, autocomplete: 'off', spellcheck: 'false' });
  const select = (options: [string, string][], current: string) =>
    h('select', {}, ...options.map(([v, label]) => h('option', { value: v, selected: v === current }, label)));
  const ranges: [string, string][] = Object.entries(RANGES).map(([k, r]) => [k, r.label]);
  if (range === 'custom') ranges.push(['custom', `From ${formatTime(view.from)}`]);
  const form = h(
    'form',
    { class: 'audit-filters', role: 'search', 'aria-label': 'Filter the audit log' },
    field('actor', 'Actor', text('actor', 'ana@example.com')),
    field('token_prefix', 'Token prefix', text('token_prefix', 'cd_ab12cd')),
    field('project', 'Project', text('project', 'web')),
    field('status', 'Result', select(STATUSES, view.status ?? '')),
    field('path', 'Path contains', text('path', '/v1/storage')),
    field('range', 'Time', select(ranges, range)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply'), h('a', { href: '/audit', 'data-nav': true }, 'Clear')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data: Record<string, string> = {};
    for (const [k, v] of new FormData(form).entries()) data[k] = String(v).trim();
    // A custom range came from a shared URL: keep its from and to.
    if (data.range === 'custom') {
      delete data.range;
      data.from = view.from ?? '';
      data.to = view.to ?? '';
    }
    opts.go(urlOf(data));
  });
  return form;
}

const EXPORTS: [ExportFormat, string, string][] = [
  ['jsonl', 'JSON lines', 'jsonl'],
  ['ocsf', 'OCSF', 'ocsf.jsonl'],
  ['csv', 'CSV', 'csv'],
];

function exportBar(view: AuditView, opts: AuditPageOptions): HTMLElement {
  const buttons = EXPORTS.map(([format, label, ext]) => {
    const b = h('button', { type: 'button' }, label);
    b.addEventListener('click', () => {
      b.disabled = true;
      opts.api
        .export(view, format)
        .then((blob) => {
          const a = h('a', { href: URL.createObjectURL(blob), download: `audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${ext}` });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
          announce(`Exported this view as ${label}.`);
        })
        .catch(opts.fail)
        .finally(() => (b.disabled = false));
    });
    return b;
  });
  return h('div', { class: 'audit-export', role: 'group', 'aria-label': 'Export this view' }, h('span', { class: 'muted' }, 'Export this view: '), ...buttons);
}

async function showSummary(box: HTMLElement, s: AuditSummary): Promise<void> {
  // The chart's code loads now, beside the page's first answers, not with the console.
  const chart = await import('./auditChart');
  const label = (start: string) => chart.bucketLabel(start, s.bucket);
  const textId = uid('summary');
  const canvas = h('canvas', { role: 'img', 'aria-describedby': textId, 'aria-label': `Calls per ${s.bucket}, stacked allowed, denied and failed` });
  const figure = h(
    'figure',
    { class: 'audit-chart' },
    h('div', { class: 'chart-box' }, canvas),
    h('figcaption', { id: textId, class: 'summary-text' }, summaryText(s, label)),
  );
  const rows = s.series.filter((p) => p.allowed + p.denied + p.failed > 0);
  const perBar = h(
    'details',
    { class: 'per-bar' },
    h('summary', {}, `Counts per ${s.bucket} (${rows.length} with calls)`),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...[s.bucket === 'hour' ? 'Hour (UTC)' : 'Day (UTC)', 'Allowed', 'Denied', 'Failed', 'Denied by reason'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...rows.map((p) =>
          h(
            'tr',
            { 'data-start': p.start },
            h('th', { scope: 'row' }, label(p.start)),
            h('td', {}, n(p.allowed)),
            h('td', {}, n(p.denied)),
            h('td', {}, n(p.failed)),
            h('td', {}, Object.entries(p.denied_by_reason ?? {}).map(([c, k]) => `${c} ${k}`).join(', ')),
          ),
        ),
      ),
    ),
  );
  box.replaceChildren(figure, perBar);
  const drawn = chart.drawTimeline(canvas, s);
  // What the chart was given, for anyone checking it against the API (the tests do).
  const sum = (i: number) => (drawn.data.datasets[i]?.data as number[]).reduce((a, b) => a + b, 0);
  canvas.dataset.allowed = String(sum(0));
  canvas.dataset.denied = String(sum(1));
  canvas.dataset.failed = String(sum(2));
  canvas.dataset.bars = String(drawn.data.labels?.length ?? 0);
  performance.mark('audit:first-chart');
  performance.measure('audit:time-to-first-chart', 'audit:open', 'audit:first-chart');
}

function showEvents(box: HTMLElement, view: AuditView, first: AuditPage, opts: AuditPageOptions): void {
  // The cursors of the pages before this one: Newer goes back one, Older forward.
  const behind: (string | undefined)[] = [];
  let here: string | undefined;
  let current = first;
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const newer = h('button', { type: 'button' }, '← Newer');
  const older = h('button', { type: 'button' }, 'Older →');
  const table = h('table', { class: 'events' });
  const draw = () => {
    const start = behind.length * 50 + 1;
    status.textContent = current.events.length ? `Events ${n(start)}–${n(start + current.events.length - 1)}, newest first.` : 'No events match these filters.';
    newer.disabled = behind.length === 0;
    older.disabled = !current.next_cursor;
    table.replaceChildren(
      h('thead', {}, h('tr', {}, ...['Time (UTC)', 'Actor', 'Token', 'Call', 'Project', 'Result', 'Source', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...current.events.flatMap(eventRows)),
    );
  };
  const load = (cursor: string | undefined) =>
    opts.api
      .page(view, cursor)
      .then((p) => {
        current = p;
        here = cursor;
        draw();
        table.querySelector('button')?.focus();
      })
      .catch(opts.fail);
  newer.addEventListener('click', () => void load(behind.pop()));
  older.addEventListener('click', () => {
    behind.push(here);
    void load(current.next_cursor ?? undefined);
  });
  draw();
  box.replaceChildren(status, table, h('div', { class: 'pager', role: 'group', 'aria-label': 'Pages of events' }, newer, older));
}

/** An event's row, and the row under it that opens it in full. */
function eventRows(e: AuditEvent): HTMLElement[] {
  const detailId = uid('event');
  const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-controls': detailId }, 'Details');
  const result = e.error_code ? `${e.status} ${e.error_code}` : String(e.status);
  const full = h(
    'tr',
    { id: detailId, class: 'event-detail', hidden: true },
    h(
      'td',
      { colspan: 8 },
      h(
        'dl',
        {},
        ...([
          ['Event', e.id],
          ['Request', e.request_id],
          ['Time', e.time],
          ['Actor', e.actor ?? 'anonymous'],
          ['Token', e.token_prefix ? `${e.token_name ?? ''} (${e.token_prefix}…)` : 'none'],
          ['Call', `${e.method} ${e.path}${e.query ? `?${e.query}` : ''}`],
          ['Project', e.project ?? '—'],
          ['Result', result],
          ['Source address', e.source_ip ?? '—'],
          // A denial's explanation: the evaluator's reason and what it checked.
          [e.error_code ? 'Why' : 'Detail', e.detail ?? '—'],
        ] as [string, string][]).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
    ),
  );
  toggle.addEventListener('click', () => {
    const open = full.hidden;
    full.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide' : 'Details';
  });
  return [
    h(
      'tr',
      { 'data-event': e.id, 'data-status': String(e.status) },
      h('td', {}, formatTime(e.time).replace(' UTC', '')),
      h('td', {}, e.actor ?? 'anonymous'),
      h('td', {}, e.token_prefix ?? '—'),
      h('td', {}, h('code', {}, `${e.method} ${e.path}`)),
      h('td', {}, e.project ?? '—'),
      h('td', {}, result),
      h('td', {}, e.source_ip ?? '—'),
      h('td', {}, toggle),
    ),
    full,
  ];
}
