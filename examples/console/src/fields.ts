// Linking fields to their errors: every field has a <label>, its errors sit right under
// it in an element the field names in `aria-describedby`, and `aria-invalid` says whether
// it currently has any.
import { h } from './dom';

export class FieldErrors {
  readonly el: HTMLElement;
  private controls: HTMLElement[] = [];

  constructor(
    readonly id: string,
    private readonly hintId: string | null = null,
  ) {
    this.el = h('div', { id, class: 'field-errors' });
  }

  /** The inputs this error text describes. */
  bind(...controls: HTMLElement[]): this {
    this.controls.push(...controls);
    this.show([]);
    return this;
  }

  /** The inputs it describes from now on, instead of the ones bound so far (rows come and go). */
  rebind(...controls: HTMLElement[]): this {
    this.controls = [];
    return this.bind(...controls);
  }

  /** Shows the messages; `only` limits `aria-invalid` to the controls at fault. */
  show(messages: string[], only?: Set<HTMLElement>): void {
    this.el.replaceChildren(...messages.map((m) => h('p', { class: 'error' }, m)));
    for (const c of this.controls) {
      const described = [this.hintId, messages.length > 0 ? this.id : null, c.dataset.extraDescribedby ?? null]
        .filter((x): x is string => !!x)
        .join(' ');
      if (described) c.setAttribute('aria-describedby', described);
      else c.removeAttribute('aria-describedby');
      if (messages.length > 0 && (!only || only.size === 0 || only.has(c))) c.setAttribute('aria-invalid', 'true');
      else c.removeAttribute('aria-invalid');
    }
  }

  get firstControl(): HTMLElement | undefined {
    return this.controls.find((c) => !(c as HTMLInputElement).disabled) ?? this.controls[0];
  }
}

/** `allowed_ips[2]` → `allowed_ips`; `name` → `name`. */
export function fieldKey(path: string): string {
  return path.replace(/\[\d+\]$/, '');
}

export function fieldIndex(path: string): number | null {
  const m = /\[(\d+)\]$/.exec(path);
  return m ? Number(m[1]) : null;
}
