// "Audit streams" (docs/audit.md, "Streams"): the organization's streams of its audit log
// to a webhook, a syslog receiver or an S3 bucket, each with its health as the API reports
// it (the sandbox's delivery tasks keep it), and what an administrator does with them:
// pause, resume, send a test event, delete, and create one. A chunk of its own (main.ts
// imports it when the page opens), so the first load does not carry it.
//
// The console decides nothing here: states, errors, counts and lag are the API's; this
// module only words and lays them out.
import { DirectCallError } from './api';
import type { AuditStream, ConsoleApi, StreamCreateBody, StreamFormat, StreamSink, StreamTestResult } from './api';
import { announce, confirmDialog, formatTime, h, showSecretOnce, uid } from './dom';
import { FieldErrors } from './fields';

type StreamsApi = ConsoleApi['auditStreams'];

export interface StreamsPageOptions {
  api: StreamsApi;
  /** main.ts's `page`: replaces the content and moves focus to the heading. */
  page: (title: string, ...content: (Node | string | null)[]) => void;
  newHref: string;
  /** For what the page cannot handle itself (a 401 ends the session). */
  fail: (e: unknown) => void;
}

const TITLE = 'Audit streams';

const FORMATS: Record<StreamFormat, string> = {
  json: 'JSON',
  ocsf: 'OCSF',
  cloudtrail: 'CloudTrail',
};

const FORMAT_HINTS: Record<StreamFormat, string> = {
  json: 'JSON: the API’s own audit event',
  ocsf: 'OCSF 1.8.0 (API Activity, Authentication)',
  cloudtrail: 'CloudTrail-like records',
};

// ---------------------------------------------------------------- wording

/** "3 min ago" from an API timestamp (`never` for none). */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** A lag in seconds, in the two largest units: `0 s`, `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Where a stream delivers, short: a webhook's host only (its path or query may carry a
 * receiver's token), `syslog host:port`, `s3://bucket/prefix`.
 */
export function sinkText(sink: StreamSink): { kind: string; where: string } {
  switch (sink.type) {
    case 'webhook': {
      let where = sink.url;
      try {
        const u = new URL(sink.url);
        where = `${u.protocol === 'http:' ? 'http://' : ''}${u.host}`;
      } catch {
        /* the API checked it; show it as it is */
      }
      return { kind: 'webhook', where };
    }
    case 'syslog':
      return { kind: 'syslog', where: `${sink.host.includes(':') ? `[${sink.host}]` : sink.host}:${sink.port}` };
    case 's3':
      return { kind: 's3', where: `s3://${sink.bucket}/${sink.prefix ?? ''}` };
  }
}

const BADGES: Record<AuditStream['health']['state'], { icon: string; text: string }> = {
  healthy: { icon: '✓', text: 'Healthy' },
  failing: { icon: '✕', text: 'Failing' },
  paused: { icon: '‖', text: 'Paused' },
};

function badge(state: AuditStream['health']['state']): HTMLElement {
  const b = BADGES[state] ?? { icon: '?', text: state };
  return h('span', { class: `badge badge-${state}` }, h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, b.icon), b.text);
}

/** A relative time, the absolute one in its title (and for screen readers, a <time>). */
function when(iso: string | null, never = 'never'): HTMLElement {
  if (!iso) return h('span', { class: 'muted' }, never);
  return h('time', { datetime: iso, title: formatTime(iso) }, ago(iso));
}

// ---------------------------------------------------------------- the list

/** The streams page; a caller the API refuses (403) sees why instead of the list. */
export async function streamsPage(opts: StreamsPageOptions): Promise<void> {
  const lede = h(
    'p',
    { class: 'lede' },
    'The organization’s audit log, pushed as it is written to a SIEM: a webhook (signed JSON lines), a syslog receiver (RFC 5424 over TCP) or an S3 bucket. Events a sink does not take wait up to 7 days and are retried in order.',
  );
  let streams: AuditStream[];
  try {
    streams = await opts.api.list();
  } catch (e) {
    if (e instanceof DirectCallError && (e.status === 403 || e.status === 404)) {
      opts.page(
        TITLE,
        lede,
        h('p', { class: 'notice forbidden', 'data-forbidden': true }, h('strong', {}, 'You cannot see the audit streams. '), `The API said: ${e.message}`),
        h('p', { class: 'muted' }, 'Only an organization administrator or owner can list and manage them.'),
      );
      return;
    }
    throw e;
  }

  // The test results, one live region per stream, kept across refreshes of the table.
  const results = new Map<string, HTMLElement>();
  const resultFor = (id: string) => {
    let el = results.get(id);
    if (!el) {
      el = h('p', { class: 'test-result', role: 'status', 'data-test-result': id });
      results.set(id, el);
    }
    return el;
  };
  const holder = h('div', { class: 'streams-holder' });
  const updated = h('span', { class: 'muted updated' });
  let busy = false;

  const refreshButton = h('button', { type: 'button', 'data-focus-key': 'refresh', onclick: () => void reload('refresh', true) }, 'Refresh');

  function draw(list: AuditStream[]): void {
    streams = list;
    updated.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC`;
    for (const id of [...results.keys()]) if (!list.some((s) => s.id === id)) results.delete(id);
    holder.replaceChildren(list.length === 0 ? h('p', { class: 'muted' }, 'No audit streams yet.') : table(list));
  }

  /**
   * Fetches the list again and redraws it. Focus goes to `focusKey`'s control, or stays on
   * the same control of the table if it was there.
   */
  async function reload(focusKey?: string, say = false): Promise<void> {
    const active = document.activeElement;
    const key = focusKey ?? (active instanceof HTMLElement && holder.contains(active) ? active.dataset.focusKey : undefined);
    try {
      draw(await opts.api.list());
      if (say) announce('Audit streams updated.');
    } catch (e) {
      if (e instanceof DirectCallError && e.status === 401) return opts.fail(e);
      announce(`Could not refresh the audit streams: ${(e as Error).message}`, 'error');
    }
    if (key) {
      const el = document.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`) ?? refreshButton;
      el.focus();
    }
  }

  /**
   * After a call that makes a failing stream try again at once (a test that got through,
   * resume): the list again, a few times shortly after, until it says how that went.
   */
  async function settle(id: string): Promise<void> {
    for (let i = 0; i < 5; i += 1) {
      const s = streams.find((x) => x.id === id);
      if (!s || s.health.state !== 'failing' || !holder.isConnected) return;
      await new Promise((r) => setTimeout(r, 600));
      await reload();
    }
  }

  async function act(what: () => Promise<void>): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      await what();
    } catch (e) {
      if (e instanceof DirectCallError && e.status === 401) opts.fail(e);
      else announce((e as Error).message, 'error');
    } finally {
      busy = false;
    }
  }

  const toggle = (s: AuditStream) =>
    act(async () => {
      const pausing = s.status === 'active';
      try {
        if (pausing) await opts.api.pause(s.id);
        else await opts.api.resume(s.id);
      } catch (e) {
        if (e instanceof DirectCallError && e.status !== 401) {
          announce(`Could not ${pausing ? 'pause' : 'resume'} “${s.name}”: ${e.message}`, 'error');
          return;
        }
        throw e;
      }
      // The table first, then the words (a screen reader hears them on the new control).
      await reload(`toggle:${s.id}`);
      announce(pausing ? `Paused “${s.name}”: its events wait, up to 7 days, until it resumes.` : `Resumed “${s.name}”: what waited is being delivered.`);
      if (!pausing) void settle(s.id);
    });

  const test = (s: AuditStream) =>
    act(async () => {
      const out = resultFor(s.id);
      out.className = 'test-result pending';
      out.textContent = 'Sending a test event…';
      let r: StreamTestResult;
      try {
        r = await opts.api.test(s.id);
      } catch (e) {
        if (e instanceof DirectCallError && e.status === 401) throw e;
        out.className = 'test-result failed';
        out.textContent = `Could not send a test event: ${(e as Error).message}`;
        return;
      }
      out.className = `test-result ${r.delivered ? 'ok' : 'failed'}`;
      out.textContent = r.delivered
        ? `Test event delivered in ${r.elapsed_ms} ms.`
        : `Test event not delivered: ${r.error ?? 'the sink did not take it'}`;
      await reload(`test:${s.id}`);
      if (r.delivered) void settle(s.id);
    });

  const remove = (s: AuditStream) =>
    act(async () => {
      const waiting = s.health.buffered > 0 ? ` The ${count(s.health.buffered)} events it has yet to deliver are dropped from it; the audit log keeps them.` : '';
      const ok = await confirmDialog(
        `Delete the stream “${s.name}”?`,
        `Nothing more is sent to ${sinkText(s.sink).where}.${waiting} This cannot be undone.`,
        'Delete stream',
      );
      if (!ok) return;
      try {
        await opts.api.delete(s.id);
      } catch (e) {
        if (e instanceof DirectCallError && e.status !== 401) {
          announce(`Could not delete “${s.name}”: ${e.message}`, 'error');
          return;
        }
        throw e;
      }
      await reload('refresh');
      announce(`Deleted the stream “${s.name}”.`);
    });

  function table(list: AuditStream[]): HTMLElement {
    const cols = ['Name', 'Sink', 'Format', 'Health', 'Last delivery', 'Delivered', 'Buffered', 'Lag', 'Dropped', 'Actions'];
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list streams' },
        h('caption', { class: 'visually-hidden' }, 'Audit streams and their health'),
        h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col', class: ['Delivered', 'Buffered', 'Lag', 'Dropped'].includes(c) ? 'num' : null }, c)))),
        h('tbody', {}, ...list.map(row)),
      ),
    );
  }

  function row(s: AuditStream): HTMLElement {
    const health = s.health;
    const sink = sinkText(s.sink);
    const failing = health.state === 'failing';
    return h(
      'tr',
      { 'data-stream-id': s.id, 'data-state': health.state, class: `stream-${health.state}` },
      h('th', { scope: 'row', title: `Created ${formatTime(s.created_at)}${s.created_by ? ` by ${s.created_by}` : ''}` }, s.name),
      h('td', {}, h('span', { class: 'sink-kind' }, sink.kind), ' ', h('code', { class: 'sink-where' }, sink.where)),
      h('td', { title: FORMAT_HINTS[s.format] ?? s.format }, FORMATS[s.format] ?? s.format),
      h(
        'td',
        { class: 'health' },
        badge(health.state),
        failing && health.failing_since ? h('span', { class: 'sub' }, 'since ', when(health.failing_since)) : null,
        // A paused stream that was failing still says why, until a delivery succeeds.
        health.last_error && health.state !== 'healthy' ? h('p', { class: 'stream-error' }, h('span', { class: 'visually-hidden' }, 'Last error: '), health.last_error) : null,
      ),
      h('td', {}, when(health.last_delivery_at)),
      h('td', { class: 'num' }, count(health.delivered)),
      h('td', { class: 'num' }, count(health.buffered)),
      h('td', { class: 'num' }, duration(health.lag_seconds)),
      h('td', { class: `num${health.dropped > 0 ? ' dropped' : ''}` }, count(health.dropped)),
      h(
        'td',
        { class: 'actions-cell' },
        h(
          'div',
          { class: 'row-actions' },
          h(
            'button',
            { type: 'button', 'data-focus-key': `toggle:${s.id}`, 'aria-label': `${s.status === 'active' ? 'Pause' : 'Resume'} ${s.name}`, onclick: () => void toggle(s) },
            s.status === 'active' ? 'Pause' : 'Resume',
          ),
          h('button', { type: 'button', 'data-focus-key': `test:${s.id}`, 'aria-label': `Send test event to ${s.name}`, onclick: () => void test(s) }, 'Send test event'),
          h('button', { type: 'button', class: 'danger', 'data-focus-key': `delete:${s.id}`, 'aria-label': `Delete ${s.name}`, onclick: () => void remove(s) }, 'Delete'),
        ),
        resultFor(s.id),
      ),
    );
  }

  draw(streams);
  opts.page(
    TITLE,
    lede,
    h('div', { class: 'toolbar' }, h('a', { href: opts.newHref, 'data-nav': true, class: 'button primary' }, '+ New stream'), refreshButton, updated),
    holder,
  );
}

// ---------------------------------------------------------------- a new stream

export interface NewStreamOptions {
  create: StreamsApi['create'];
  onCancel: () => void;
  /** After the secret (a webhook's) was shown. */
  onCreated: (s: AuditStream) => void;
  /** For what the form cannot handle itself (a 401 ends the session). */
  fail: (e: unknown) => void;
}

/**
 * The form: name, format, and the sink with its fields. The API checks them (the
 * sandbox's rules); its field errors show under the fields they name.
 */
export function newStreamForm(opts: NewStreamOptions): HTMLFormElement {
  const ids = {
    name: uid('stream-name'),
    format: uid('stream-format'),
    url: uid('stream-url'),
    host: uid('stream-host'),
    port: uid('stream-port'),
    bucket: uid('stream-bucket'),
    prefix: uid('stream-prefix'),
  };
  const hint = (key: string) => `${key}-hint`;
  const input = (id: string, attrs: Record<string, string | boolean> = {}) =>
    h('input', { id, type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
  const name = input(ids.name, { required: true, maxlength: '64' });
  const format = h(
    'select',
    { id: ids.format },
    ...(Object.keys(FORMATS) as StreamFormat[]).map((f) => h('option', { value: f }, FORMAT_HINTS[f])),
  );
  const url = input(ids.url, { type: 'url', placeholder: 'https://siem.example.com/hooks/clouddigit' });
  const host = input(ids.host, { placeholder: '127.0.0.1' });
  const port = input(ids.port, { inputmode: 'numeric', class: 'short', placeholder: '514' });
  const bucket = input(ids.bucket);
  const prefix = input(ids.prefix, { placeholder: 'audit/' });

  const errors: Record<string, FieldErrors> = {
    name: new FieldErrors(uid('err'), hint(ids.name)).bind(name),
    format: new FieldErrors(uid('err')).bind(format),
    'sink.url': new FieldErrors(uid('err'), hint(ids.url)).bind(url),
    'sink.host': new FieldErrors(uid('err')).bind(host),
    'sink.port': new FieldErrors(uid('err')).bind(port),
    'sink.bucket': new FieldErrors(uid('err'), hint(ids.bucket)).bind(bucket),
    'sink.prefix': new FieldErrors(uid('err'), hint(ids.prefix)).bind(prefix),
  };
  const formError = h('div', { class: 'form-error', role: 'alert' });

  const field = (id: string, label: string, control: HTMLElement, err: FieldErrors, hintText?: string) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      hintText ? h('p', { id: hint(id), class: 'hint' }, hintText) : null,
      control,
      err.el,
    );

  const groups = {
    webhook: h(
      'div',
      { class: 'sink-fields', 'data-sink': 'webhook' },
      field(ids.url, 'URL', url, errors['sink.url']!, 'https; plain http only to this machine. Each batch is one POST of JSON lines, signed with HMAC-SHA256 (X-Clouddigit-Signature-256).'),
    ),
    syslog: h(
      'div',
      { class: 'sink-fields', 'data-sink': 'syslog' },
      field(ids.host, 'Host', host, errors['sink.host']!),
      field(ids.port, 'Port', port, errors['sink.port']!),
    ),
    s3: h(
      'div',
      { class: 'sink-fields', 'data-sink': 's3' },
      field(ids.bucket, 'Bucket', bucket, errors['sink.bucket']!, 'One of the organization’s buckets.'),
      field(ids.prefix, 'Key prefix (optional)', prefix, errors['sink.prefix']!, 'Objects go under <prefix>YYYY/MM/DD/HH/, gzipped JSON lines.'),
    ),
  };
  const kinds: { value: StreamSink['type']; label: string }[] = [
    { value: 'webhook', label: 'Webhook' },
    { value: 'syslog', label: 'Syslog (TCP, RFC 5424)' },
    { value: 's3', label: 'S3 bucket' },
  ];
  const radios = kinds.map((k) => {
    const id = uid('sink');
    const r = h('input', { type: 'radio', id, name: 'sink', value: k.value, checked: k.value === 'webhook' });
    r.addEventListener('change', show);
    return { r, el: h('span', { class: 'inline-choice' }, r, h('label', { for: id }, k.label)) };
  });
  const kind = (): StreamSink['type'] => (radios.find((x) => x.r.checked)?.r.value ?? 'webhook') as StreamSink['type'];
  function show(): void {
    for (const [k, el] of Object.entries(groups)) el.hidden = k !== kind();
  }
  show();

  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create stream');
  const form = h(
    'form',
    { class: 'stream-form', novalidate: true, 'aria-label': 'New audit stream' },
    field(ids.name, 'Name', name, errors.name!, 'What receives it, e.g. splunk-prod. 1 to 64 characters.'),
    field(ids.format, 'Format', format, errors.format!),
    h('fieldset', { class: 'field' }, h('legend', {}, 'Sink'), h('div', { class: 'inline-choices' }, ...radios.map((x) => x.el)), groups.webhook, groups.syslog, groups.s3),
    formError,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: () => opts.onCancel() }, 'Cancel')),
  );

  const body = (): StreamCreateBody | null => {
    const k = kind();
    let sink: StreamSink;
    if (k === 'webhook') sink = { type: 'webhook', url: url.value.trim() };
    else if (k === 's3') sink = { type: 's3', bucket: bucket.value.trim(), prefix: prefix.value.trim() || null };
    else {
      // A port is a number in the API's JSON: one that is not a number cannot be sent.
      const p = port.value.trim();
      if (!/^\d{1,5}$/.test(p)) {
        errors['sink.port']!.show(['A port number, 1 to 65535.']);
        port.focus();
        return null;
      }
      sink = { type: 'syslog', host: host.value.trim(), port: Number(p) };
    }
    return { name: name.value.trim(), format: format.value as StreamFormat, sink };
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    for (const e of Object.values(errors)) e.show([]);
    formError.textContent = '';
    const b = body();
    if (!b) return;
    void (async () => {
      submit.disabled = true;
      submit.textContent = 'Creating…';
      try {
        const created = await opts.create(b);
        if (created.signing_secret) {
          await showSecretOnce(
            `Stream “${created.stream.name}” created`,
            created.signing_secret,
            [
              h(
                'p',
                {},
                'Every delivery carries ',
                h('code', {}, 'X-Clouddigit-Signature-256: sha256=<hex>'),
                ', the HMAC-SHA256 of the body under this secret. Give it to the receiver so it can check that deliveries come from Cloud Digit.',
              ),
            ],
            'Signing secret',
            'Cloud Digit keeps it encrypted, to sign the deliveries, and never shows it again.',
          );
        }
        opts.onCreated(created.stream);
      } catch (e) {
        if (!(e instanceof DirectCallError) || e.status === 401) return opts.fail(e);
        // The API's field errors under their fields; anything else above the buttons.
        const unplaced: string[] = [];
        let first: HTMLElement | undefined;
        for (const fe of e.fieldErrors) {
          const slot = errors[fe.field];
          if (slot) {
            slot.show([fe.message]);
            first ??= slot.firstControl;
          } else unplaced.push(`${fe.field}: ${fe.message}`);
        }
        formError.textContent =
          first && unplaced.length === 0
            ? 'The API refused it: the fields marked say why.'
            : `The API refused: ${[e.message, ...unplaced].join(' ')}`;
        (first ?? name).focus();
      } finally {
        submit.disabled = false;
        submit.textContent = 'Create stream';
      }
    })();
  });
  return form;
}
