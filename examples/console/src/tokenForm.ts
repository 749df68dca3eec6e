// The "New API token" form, for personal and service-account tokens. Every rule comes
// from the SDK's `validateToken` (the core's validation, in wasm), run on each keystroke:
// errors go under the field that caused them, best-practice warnings to the side panel,
// and the preview shows what the token could do in each project.
import { checkAllowedIps, limits, validateToken } from '@clouddigit/sdk';
import type {
  CallerCredential,
  Issue,
  OwnerState,
  PermissionDef,
  Role,
  Token,
  TokenDraft,
  TokenPolicy,
  TokenValidation,
} from '@clouddigit/sdk';
import { ApiError, ValidationError } from './api';
import { byService, permissions, SERVICE_TITLES, serviceOf } from './catalog';
import { announce, formatTime, h, uid } from './dom';
import { FieldErrors, fieldIndex, fieldKey } from './fields';

export interface TokenFormOptions {
  owner: OwnerState;
  /** "your" or "the account's": whose role bounds the token. */
  rolePossessive: string;
  organization: string;
  organizationProjects: string[];
  policy: TokenPolicy | null;
  existingTokens: Token[];
  /** The token this console is signed in with: what the form makes may not exceed it. */
  caller?: CallerCredential;
  /** A project service account's tokens act in its project only. */
  lockedProjects?: string[];
  submitLabel: string;
  onSubmit: (draft: TokenDraft) => Promise<void>;
  onCancel: () => void;
}

type ExpiryChoice = '30d' | '90d' | '365d' | 'custom' | 'never';

const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  organization: 'Organization',
  owner: 'Owner',
  projects: 'Projects',
  permissions: 'Permissions',
  expiry: 'Expiry',
  allowed_ips: 'Allowed IPs',
};

const ROLE_LABELS: Record<Role, string> = {
  read_only: 'read-only',
  member: 'member',
  admin: 'admin',
  org_admin: 'organization admin',
  org_owner: 'organization owner',
};

export function roleLabel(role: Role | null | undefined): string {
  return role ? ROLE_LABELS[role] : 'no role';
}

export function tokenForm(opts: TokenFormOptions): HTMLFormElement {
  const now = () => new Date().toISOString();
  const request = (draft: TokenDraft) => ({
    draft,
    owner: opts.owner,
    existing_tokens: opts.existingTokens,
    now: now(),
    policy: opts.policy ?? undefined,
    organization_projects: opts.organizationProjects,
    caller: opts.caller,
  });
  const limit = limits();

  // What the owner's role grants, asked of the core once: per project, and for an
  // all-projects token (organization-level permissions).
  const probe = validateToken(
    request({ name: 'probe', projects: opts.organizationProjects, permissions: 'inherit', expiry: '30d' }),
  );
  const grants = new Map<string, { role: Role | null; perms: Set<string> }>();
  for (const s of probe.preview.scopes) {
    if (s.project !== null) grants.set(s.project, { role: s.role, perms: new Set(s.permissions) });
  }
  const noRole = new Map<string, string>();
  for (const e of probe.errors) {
    const i = fieldIndex(e.field);
    if (fieldKey(e.field) === 'projects' && i !== null) noRole.set(opts.organizationProjects[i]!, e.message);
  }
  const probeAll = validateToken(request({ name: 'probe', projects: 'all', permissions: 'inherit', expiry: '30d' }));
  const allProjectsBlocked = opts.lockedProjects
    ? `Tokens of a project service account act in its project (${opts.lockedProjects.join(', ')}) only.`
    : probeAll.errors.find((e) => e.code === 'all_projects_not_allowed')?.message ?? null;
  const orgGrants = new Set(probeAll.preview.scopes.find((s) => s.project === null)?.permissions ?? []);
  const orgRole = probeAll.preview.scopes.find((s) => s.project === null)?.role ?? null;

  // ---- state ----
  const state = {
    name: '',
    all: false,
    projects: opts.lockedProjects ? [...opts.lockedProjects] : ([] as string[]),
    mode: 'inherit' as 'inherit' | 'custom',
    perms: [] as string[],
    expiry: '90d' as ExpiryChoice,
    customDate: '',
    ips: '',
  };
  const touched = new Set<string>();
  let submitted = false;

  const draft = (): TokenDraft => ({
    name: state.name,
    organization: opts.organization,
    projects: state.all ? 'all' : opts.organizationProjects.filter((p) => state.projects.includes(p)),
    permissions: state.mode === 'inherit' ? 'inherit' : [...state.perms],
    expiry: state.expiry === 'custom' ? { custom: state.customDate } : state.expiry,
    allowed_ips: state.ips,
  });

  // ---- name ----
  const nameId = uid('token-name');
  const nameHint = uid('hint');
  const nameInput = h('input', {
    id: nameId,
    name: 'name',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    // A few over the limit, so an overlong paste shows the core's message instead of
    // being cut silently.
    maxlength: limit.max_token_name_chars + 16,
    required: true,
  });
  const nameErrors = new FieldErrors(uid('err-name'), nameHint).bind(nameInput);
  nameInput.addEventListener('input', () => {
    state.name = nameInput.value;
    touched.add('name');
    update();
  });

  // ---- organization ----
  const orgId = uid('token-org');
  const orgSelect = h('select', { id: orgId, name: 'organization' }, h('option', { value: opts.organization }, opts.organization));
  const orgErrors = new FieldErrors(uid('err-org')).bind(orgSelect);

  // ---- projects ----
  const projHint = uid('hint');
  const allId = uid('all-projects');
  const allReasonId = uid('reason');
  const allBox = h('input', {
    id: allId,
    type: 'checkbox',
    name: 'all_projects',
    disabled: allProjectsBlocked !== null,
    'data-extra-describedby': allProjectsBlocked ? allReasonId : null,
  });
  const projectBoxes = new Map<string, HTMLInputElement>();
  const projectRows = opts.organizationProjects.map((p) => {
    const id = uid('project');
    const g = grants.get(p);
    const locked = opts.lockedProjects !== undefined;
    const unavailable = locked ? !opts.lockedProjects!.includes(p) : !g;
    const reasonId = uid('reason');
    const box = h('input', {
      id,
      type: 'checkbox',
      name: 'projects',
      value: p,
      checked: state.projects.includes(p),
      disabled: unavailable || locked,
      'data-extra-describedby': unavailable ? reasonId : null,
    });
    projectBoxes.set(p, box);
    box.addEventListener('change', () => {
      state.projects = box.checked ? [...state.projects, p] : state.projects.filter((x) => x !== p);
      touched.add('projects');
      update();
    });
    return h(
      'div',
      { class: unavailable ? 'choice unavailable' : 'choice' },
      box,
      h('label', { for: id }, h('span', { class: 'choice-name' }, p), g ? h('span', { class: 'muted' }, ` — ${roleLabel(g.role)}`) : null),
      unavailable
        ? h('span', { id: reasonId, class: 'reason' }, locked ? 'not this account’s project' : (noRole.get(p) ?? 'no role here'))
        : null,
    );
  });
  allBox.addEventListener('change', () => {
    state.all = allBox.checked;
    for (const [p, b] of projectBoxes) b.disabled = state.all || !grants.has(p) || opts.lockedProjects !== undefined;
    touched.add('projects');
    update();
  });
  const projErrors = new FieldErrors(uid('err-projects'), projHint).bind(allBox, ...projectBoxes.values());

  // ---- permissions ----
  const permHint = uid('hint');
  const inheritId = uid('perm-inherit');
  const customId = uid('perm-custom');
  const modeInherit = h('input', { id: inheritId, type: 'radio', name: 'permissions_mode', value: 'inherit', checked: true });
  const modeCustom = h('input', { id: customId, type: 'radio', name: 'permissions_mode', value: 'custom' });
  const searchId = uid('perm-search');
  const search = h('input', { id: searchId, type: 'search', autocomplete: 'off', placeholder: 'e.g. servers, buckets.create' });
  const selectedCount = h('p', { class: 'muted', 'aria-live': 'polite' });
  const permBoxes = new Map<string, { box: HTMLInputElement; row: HTMLElement; reason: HTMLElement; def: PermissionDef }>();
  const groups: { el: HTMLFieldSetElement; names: string[]; count: HTMLElement }[] = [];
  const defs = new Map(permissions().map((p) => [p.name, p]));
  for (const [service, names] of byService()) {
    const count = h('span', { class: 'muted' });
    const items = names.map((name) => {
      const def = defs.get(name)!;
      const id = uid('perm');
      const reasonId = uid('reason');
      const box = h('input', { id, type: 'checkbox', name: 'permissions', value: name });
      const reason = h('span', { id: reasonId, class: 'reason', hidden: true });
      box.addEventListener('change', () => {
        state.perms = box.checked ? [...state.perms, name] : state.perms.filter((x) => x !== name);
        touched.add('permissions');
        update();
      });
      const row = h(
        'div',
        { class: 'choice perm' },
        box,
        h('label', { for: id }, h('code', {}, name), h('span', { class: 'muted' }, ` ${def.summary}`)),
        reason,
      );
      permBoxes.set(name, { box, row, reason, def });
      return row;
    });
    const el = h('fieldset', { class: 'perm-group' }, h('legend', {}, SERVICE_TITLES[service] ?? service, ' ', count), ...items);
    groups.push({ el, names, count });
  }
  const picker = h(
    'div',
    { class: 'picker', hidden: true },
    h('label', { for: searchId }, 'Search permissions'),
    search,
    selectedCount,
    h('div', { class: 'picker-list', tabindex: -1 }, ...groups.map((g) => g.el)),
  );
  const permErrors = new FieldErrors(uid('err-perms'), permHint).bind(modeInherit, modeCustom, ...[...permBoxes.values()].map((p) => p.box));
  const onMode = () => {
    state.mode = modeCustom.checked ? 'custom' : 'inherit';
    picker.hidden = state.mode !== 'custom';
    touched.add('permissions');
    update();
  };
  modeInherit.addEventListener('change', onMode);
  modeCustom.addEventListener('change', onMode);
  search.addEventListener('input', () => filterPermissions());

  // ---- expiry ----
  const expHint = uid('hint');
  const expiryChoices: [ExpiryChoice, string][] = [
    ['30d', '30 days'],
    ['90d', '90 days'],
    ['365d', '365 days'],
    ['custom', 'Custom date'],
    ['never', 'Never'],
  ];
  const expiryRadios = expiryChoices.map(([value, label]) => {
    const id = uid('expiry');
    const r = h('input', { id, type: 'radio', name: 'expiry', value, checked: value === state.expiry });
    r.addEventListener('change', () => {
      state.expiry = value;
      dateInput.disabled = value !== 'custom';
      dateRow.hidden = value !== 'custom';
      touched.add('expiry');
      update();
      if (value === 'custom') dateInput.focus();
    });
    return { r, el: h('span', { class: 'inline-choice' }, r, h('label', { for: id }, label)) };
  });
  const dateId = uid('expiry-date');
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const dateInput = h('input', { id: dateId, type: 'date', name: 'expiry_date', min: tomorrow, disabled: true });
  const dateRow = h('div', { class: 'date-row', hidden: true }, h('label', { for: dateId }, 'Custom expiry date'), dateInput);
  dateInput.addEventListener('input', () => {
    state.customDate = dateInput.value;
    touched.add('expiry');
    update();
  });
  const expErrors = new FieldErrors(uid('err-expiry'), expHint).bind(...expiryRadios.map((x) => x.r), dateInput);

  // ---- allowed IPs ----
  const ipsId = uid('allowed-ips');
  const ipsHint = uid('hint');
  const ipsInput = h('textarea', { id: ipsId, name: 'allowed_ips', rows: 3, spellcheck: 'false', autocomplete: 'off', placeholder: '203.0.113.0/24\n2001:db8::/32' });
  const ipsErrors = new FieldErrors(uid('err-ips'), ipsHint).bind(ipsInput);
  ipsInput.addEventListener('input', () => {
    state.ips = ipsInput.value;
    touched.add('allowed_ips');
    update();
  });

  // ---- side panel ----
  const summary = h('p', { class: 'summary' });
  const warningsList = h('ul', { class: 'warnings' });
  const previewBox = h('div', { class: 'preview', tabindex: 0, role: 'region', 'aria-label': 'Effective permissions per project' });
  const formError = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, opts.submitLabel);

  const fieldErrors: Record<string, FieldErrors> = {
    name: nameErrors,
    organization: orgErrors,
    projects: projErrors,
    permissions: permErrors,
    expiry: expErrors,
    allowed_ips: ipsErrors,
  };

  const sideTitle = uid('side-title');
  const form = h(
    'form',
    { class: 'token-form', novalidate: true, 'aria-label': opts.submitLabel },
    h(
      'div',
      { class: 'form-grid' },
      h(
        'div',
        { class: 'form-main' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: nameId }, 'Name'),
          h('p', { id: nameHint, class: 'hint' }, 'What this token is for, e.g. my-laptop-cli or terraform-laptop.'),
          nameInput,
          nameErrors.el,
        ),
        h('div', { class: 'field' }, h('label', { for: orgId }, 'Organization'), orgSelect, orgErrors.el),
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Projects'),
          h('p', { id: projHint, class: 'hint' }, 'One or more projects the token acts in.'),
          h(
            'div',
            { class: allProjectsBlocked ? 'choice unavailable' : 'choice' },
            allBox,
            h('label', { for: allId }, h('span', { class: 'choice-name' }, 'All projects'), h('span', { class: 'muted' }, ' — including projects created later')),
          ),
          allProjectsBlocked ? h('p', { id: allReasonId, class: 'reason block' }, 'Unavailable: ', allProjectsBlocked) : null,
          h('div', { class: 'choices' }, ...projectRows),
          projErrors.el,
        ),
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Permissions'),
          h('p', { id: permHint, class: 'hint' }, `A token never grants more than ${opts.rolePossessive} role does.`),
          h('div', { class: 'choice' }, modeInherit, h('label', { for: inheritId }, `Inherit from ${opts.rolePossessive} role`)),
          h('div', { class: 'choice' }, modeCustom, h('label', { for: customId }, 'Choose permissions (downscope)')),
          picker,
          permErrors.el,
        ),
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Expiry'),
          h('p', { id: expHint, class: 'hint' }, 'Pick the shortest that is practical.'),
          h('div', { class: 'inline-choices' }, ...expiryRadios.map((x) => x.el)),
          dateRow,
          expErrors.el,
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: ipsId }, 'Allowed IPs (optional)'),
          h(
            'p',
            { id: ipsHint, class: 'hint' },
            `CIDRs, one per line or comma-separated, up to ${limit.max_allowed_ips}. Calls from other addresses are rejected; empty allows every address.`,
            opts.caller && opts.caller.token.allowed_ips && opts.caller.token.allowed_ips.length > 0
              ? ` The token you are signed in with may be used only from ${opts.caller.token.allowed_ips.join(', ')}, so this one must stay within that.`
              : '',
          ),
          ipsInput,
          ipsErrors.el,
        ),
        formError,
        h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: () => opts.onCancel() }, 'Cancel')),
      ),
      h(
        'aside',
        { class: 'form-side', 'aria-labelledby': sideTitle },
        h('h3', { id: sideTitle }, 'Summary'),
        summary,
        h('h3', {}, 'Best practices'),
        warningsList,
        h('h3', {}, 'Effective permissions'),
        previewBox,
      ),
    ),
  );

  function filterPermissions(): void {
    const q = search.value.trim().toLowerCase();
    for (const g of groups) {
      let shown = 0;
      for (const name of g.names) {
        const p = permBoxes.get(name)!;
        const match = !q || name.includes(q) || p.def.summary.toLowerCase().includes(q);
        p.row.hidden = !match;
        if (match) shown += 1;
      }
      g.el.hidden = shown === 0;
    }
  }

  /** Which permissions can be chosen for the selected projects, and why not. */
  function updatePicker(): void {
    const places = state.all ? [...grants.keys()] : state.projects.filter((p) => grants.has(p));
    for (const g of groups) {
      let available = 0;
      for (const name of g.names) {
        const p = permBoxes.get(name)!;
        let reason: string | null = null;
        if (p.def.scope === 'organization') {
          if (!state.all) reason = 'acts on the organization itself: needs an all-projects token';
          else if (!orgGrants.has(name)) reason = `not granted by ${opts.rolePossessive} organization role (${roleLabel(orgRole)})`;
        } else if (places.length === 0) {
          reason = 'choose a project first';
        } else if (!places.some((pl) => grants.get(pl)!.perms.has(name))) {
          reason = `not granted by ${opts.rolePossessive} role in ${places.map((pl) => `${pl} (${roleLabel(grants.get(pl)!.role)})`).join(', ')}`;
        }
        const selected = state.perms.includes(name);
        // A chosen permission that became unavailable stays enabled so it can be removed.
        p.box.checked = selected;
        p.box.disabled = reason !== null && !selected;
        p.reason.hidden = reason === null;
        p.reason.textContent = reason ? `Unavailable: ${reason}` : '';
        p.row.classList.toggle('unavailable', reason !== null);
        if (reason === null) available += 1;
        if (reason) p.box.dataset.extraDescribedby = p.reason.id;
        else delete p.box.dataset.extraDescribedby;
      }
      g.count.textContent = `(${available} of ${g.names.length} available)`;
    }
    selectedCount.textContent = `${state.perms.length} selected`;
  }

  function messagesFor(issues: Issue[]): Map<string, { messages: string[]; controls: Set<HTMLElement> }> {
    const out = new Map<string, { messages: string[]; controls: Set<HTMLElement> }>();
    const ipEntries = checkAllowedIps(state.ips);
    for (const e of issues) {
      const key = fieldKey(e.field);
      const i = fieldIndex(e.field);
      const slot = out.get(key) ?? { messages: [], controls: new Set<HTMLElement>() };
      let msg = e.message;
      if (key === 'allowed_ips' && i !== null) {
        const text = ipEntries.errors.find((x) => x.index === i)?.text ?? ipEntries.entries.find((x) => x.index === i)?.text;
        msg = `Entry ${i + 1}${text && !e.message.includes(text) ? ` (${text})` : ''}: ${e.message}`;
      }
      if (e.suggestion && !msg.includes(e.suggestion)) msg += ` Did you mean ${e.suggestion}?`;
      slot.messages.push(msg);
      if (key === 'permissions' && i !== null) {
        const box = permBoxes.get(state.perms[i] ?? '')?.box;
        if (box) slot.controls.add(box);
      } else if (key === 'projects' && i !== null) {
        const box = projectBoxes.get(draftProjects()[i] ?? '');
        if (box) slot.controls.add(box);
      }
      out.set(key, slot);
    }
    return out;
  }
  const draftProjects = () => opts.organizationProjects.filter((p) => state.projects.includes(p));

  function update(): TokenValidation {
    updatePicker();
    const v = validateToken(request(draft()));
    const byField = messagesFor(v.errors);
    for (const [key, fe] of Object.entries(fieldErrors)) {
      const show = submitted || touched.has(key);
      const slot = byField.get(key);
      // Field paths with an index mark the very control at fault.
      fe.show(show && slot ? slot.messages : [], slot?.controls);
    }
    // Problems with no field of the form: the owner, or the token you are signed in with.
    const ownerIssue = v.errors.find((e) => ['owner', 'caller'].includes(fieldKey(e.field)));
    if (ownerIssue) formError.textContent = ownerIssue.message;
    else if (formError.dataset.kind !== 'server') formError.textContent = '';

    summary.textContent = state.name ? v.preview.summary : v.preview.summary.replace(/^""/, 'A new token');
    warningsList.replaceChildren(
      ...(v.warnings.length === 0
        ? [h('li', { class: 'muted' }, 'No warnings.')]
        : v.warnings.map((w) => h('li', { class: 'warning' }, h('strong', {}, FIELD_LABELS[fieldKey(w.field)] ?? w.field, ': '), w.message))),
    );
    renderPreview(v);
    return v;
  }

  function renderPreview(v: TokenValidation): void {
    const scopes = v.preview.scopes;
    if (scopes.length === 0) {
      previewBox.replaceChildren(h('p', { class: 'muted' }, 'Choose projects to see what the token can do.'));
      return;
    }
    const sets = scopes.map((s) => new Set(s.permissions));
    const union = new Set(scopes.flatMap((s) => s.permissions));
    const table = h('table', { class: 'matrix' });
    table.append(
      h('caption', { class: 'visually-hidden' }, 'Effective permissions: rows are permissions grouped by service, columns are projects'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Permission'),
          ...scopes.map((s, i) =>
            h(
              'th',
              { scope: 'col' },
              h('span', { class: 'col-name' }, s.project ?? 'organization'),
              h('span', { class: 'col-meta' }, roleLabel(s.role).replace('organization ', 'org ')),
              h('span', { class: 'col-meta' }, `${sets[i]!.size} allowed`),
            ),
          ),
        ),
      ),
    );
    if (union.size === 0) {
      table.append(h('tbody', {}, h('tr', {}, h('td', { colspan: scopes.length + 1, class: 'muted' }, 'Nothing: the token could not do anything.'))));
    }
    for (const [service, names] of byService(union)) {
      const body = h('tbody', {});
      body.append(h('tr', { class: 'group' }, h('th', { scope: 'rowgroup', colspan: scopes.length + 1 }, SERVICE_TITLES[service] ?? service)));
      for (const name of names) {
        body.append(
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, h('code', {}, name.slice(serviceOf(name).length + 1))),
            ...sets.map((s) =>
              s.has(name)
                ? h('td', { class: 'yes' }, h('span', { 'aria-hidden': 'true' }, '✓'), h('span', { class: 'visually-hidden' }, 'allowed'))
                : h('td', { class: 'no' }, h('span', { 'aria-hidden': 'true' }, '·'), h('span', { class: 'visually-hidden' }, 'not allowed')),
            ),
          ),
        );
      }
      table.append(body);
    }
    previewBox.replaceChildren(table);
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      submitted = true;
      formError.dataset.kind = '';
      const v = update();
      if (!v.valid) {
        const first = v.errors.map((e) => fieldErrors[fieldKey(e.field)]).find((f) => f !== undefined);
        const n = v.errors.length;
        announce(`${n} ${n === 1 ? 'problem' : 'problems'} to fix before the token can be created.`, 'error');
        first?.firstControl?.focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Creating…';
      try {
        await opts.onSubmit(draft());
      } catch (e) {
        // The SDK validates the draft again before sending it (a ValidationError with no
        // HTTP status, nothing sent); the API may still refuse it (422 and others). Field
        // errors show under their fields either way.
        const err = e instanceof ApiError ? e : null;
        const local = err instanceof ValidationError && err.status === null;
        formError.dataset.kind = 'server';
        formError.textContent = local
          ? `Not sent: the SDK's check before sending found ${err.fieldErrors.length} ${err.fieldErrors.length === 1 ? 'problem' : 'problems'} (shown at the fields above); your role or the organization's policy may have changed.`
          : `The API refused: ${(e as Error).message}`;
        for (const fe of err?.fieldErrors ?? []) fieldErrors[fieldKey(fe.field)]?.show([fe.message]);
      } finally {
        submit.disabled = false;
        submit.textContent = opts.submitLabel;
      }
    })();
  });

  update();
  return form;
}
