// A few DOM helpers: the console builds its pages with plain elements, no UI kit.
import type { Secret } from '@clouddigit/sdk';

/** The SDK's `Secret` (or anything read the same way). */
type Revealable = Pick<Secret, 'reveal'>;

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
type Child = Node | string | null | undefined | false;

/** `h('button', {type: 'button', onclick: f}, 'Save')`: attributes, `on*` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

let ids = 0;
/** A document-unique id for label/field/error links. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

export function formatTime(t: string | null | undefined, never = 'never'): string {
  if (!t) return never;
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return t;
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function formatDate(t: string | null | undefined, never = 'never'): string {
  if (!t) return never;
  return t.slice(0, 10);
}

/** Announces a message to screen readers and shows it in the status bar. */
export function announce(text: string, kind: 'info' | 'error' = 'info'): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  el.className = `status status-${kind}`;
}

/**
 * A modal dialog (native <dialog>: the page behind is inert, Tab stays inside, Escape
 * closes it). Resolves with what `close(value)` was given, or `null` on Escape/cancel.
 * The dialog is removed from the document when it closes, so a secret shown in it does
 * not stay in the DOM.
 */
export function modal<T>(
  title: string,
  build: (close: (value: T | null) => void) => (Node | string)[],
  opts: { role?: 'dialog' | 'alertdialog'; initialFocus?: string } = {},
): Promise<T | null> {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const dialog = h('dialog', {
      class: 'modal',
      'aria-labelledby': titleId,
      role: opts.role === 'alertdialog' ? 'alertdialog' : null,
    });
    const opener = document.activeElement as HTMLElement | null;
    let result: T | null = null;
    const close = (value: T | null) => {
      result = value;
      dialog.close();
    };
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus?.();
      resolve(result);
    });
    append(dialog, [h('h2', { id: titleId }, title), ...build(close)]);
    document.body.append(dialog);
    dialog.showModal();
    const first = opts.initialFocus ? dialog.querySelector<HTMLElement>(opts.initialFocus) : null;
    first?.focus();
  });
}

export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return modal<boolean>(
    title,
    (close) => [
      h('p', {}, message),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => close(true) }, confirmLabel),
        h('button', { type: 'button', 'data-cancel': true, onclick: () => close(false) }, 'Cancel'),
      ),
    ],
    { role: 'alertdialog', initialFocus: '[data-cancel]' },
  ).then((v) => v === true);
}

/**
 * Shows a secret exactly once, with a copy button and the warning that it will not be
 * shown again. The secret lives only in this dialog, which is removed when it closes.
 * `kept` says what Cloud Digit keeps of it (a hash, for credentials).
 */
export function showSecretOnce(
  title: string,
  secret: Revealable,
  details: (Node | string)[] = [],
  label = 'Secret',
  kept = 'Cloud Digit keeps only a hash; after you close this dialog only the prefix is shown.',
): Promise<void> {
  return modal<true>(
    title,
    (close) => {
      // The SDK's Secret prints as its prefix everywhere; the value is read here, the
      // moment the dialog shows it, and lives only in this dialog's input.
      const value = secret.reveal();
      const fieldId = uid('secret');
      const copied = h('span', { class: 'copied', role: 'status' });
      const input = h('input', {
        id: fieldId,
        class: 'secret',
        type: 'text',
        readonly: true,
        value,
        spellcheck: 'false',
        autocomplete: 'off',
        'data-secret': true,
      });
      return [
        h(
          'p',
          { class: 'warning-box' },
          h('strong', {}, 'Copy it now: it will not be shown again. '),
          kept,
        ),
        h('label', { for: fieldId }, label),
        h(
          'div',
          { class: 'secret-row' },
          input,
          h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                try {
                  await navigator.clipboard.writeText(value);
                  copied.textContent = 'Copied to the clipboard.';
                } catch {
                  input.select();
                  copied.textContent = 'Select the text and copy it (Ctrl+C).';
                }
              },
            },
            'Copy',
          ),
        ),
        copied,
        ...details,
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => close(true) }, 'I have copied it')),
      ];
    },
    { initialFocus: 'input.secret' },
  ).then(() => undefined);
}
