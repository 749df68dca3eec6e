// A service account's "Trusted issuers" (OIDC trusts, docs/oidc.md): the section on the
// account's page and the form that adds one. Loaded on the account's pages only (main.ts
// imports it when one opens), so the first load does not carry it.
//
// Every rule comes from the SDK: `validateTrust` (the core's rules, in wasm) runs on each
// keystroke, errors under the field at fault and warnings in the side panel, as the token
// form does; `trustPresets` / `trustPreset` give the presets' issuers and subjects.
import { checkAllowedIps, EvaluateError, trustPreset, trustPresets, validateTrust } from '@clouddigit/sdk';
import type { Preset, PresetInfo, TrustIssue, TrustSpec, TrustValidation } from '@clouddigit/sdk';
import { TrustCallError } from './api';
import type { ListedTrust, ServiceAccount } from './api';
import { announce, confirmDialog, formatTime, h, uid } from './dom';
import { FieldErrors, fieldIndex, fieldKey } from './fields';

// ---------------------------------------------------------------- the section

export interface TrustsSectionOptions {
  account: ServiceAccount;
  /** `null`: the caller's role cannot list them (`reason` says why). */
  trusts: ListedTrust[] | null;
  reason?: string;
  /** Where a CI job exchanges its token (the organization's token endpoint). */
  tokenEndpoint: string;
  newHref: string;
  remove: (t: ListedTrust) => Promise<void>;
  refresh: () => void;
}

/** The "Trusted issuers" heading, what it is for, the list and its delete buttons. */
export function trustsSection(opts: TrustsSectionOptions): Node[] {
  const sa = opts.account;
  const intro = h(
    'p',
    { class: 'lede' },
    'CI jobs (GitHub Actions, GitLab CI, Kubernetes pods) exchange the OIDC token their platform signs for a short-lived token of this account, so no secret is stored anywhere. A job sends it to ',
    h('code', {}, opts.tokenEndpoint),
    ' with ',
    h('code', {}, `audience=${sa.id}`),
    ' (RFC 8693 token exchange).',
  );
  const add = h('p', {}, h('a', { href: opts.newHref, 'data-nav': true, class: 'button primary' }, '+ Add trusted issuer'));
  let body: Node;
  if (opts.trusts === null) {
    body = h('p', { class: 'muted' }, opts.reason ?? 'Your role cannot list this account’s trusts.');
  } else if (opts.trusts.length === 0) {
    body = h('p', { class: 'muted' }, 'No trusted issuers.');
  } else {
    body = h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list trusts' },
        h('caption', { class: 'visually-hidden' }, `Trusted issuers of ${sa.name}`),
        h('thead', {}, h('tr', {}, ...['Name', 'Issuer and audiences', 'Conditions', 'Tokens it mints', 'Created', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...opts.trusts.map((t) =>
            h(
              'tr',
              { 'data-trust-id': t.id },
              h('th', { scope: 'row' }, t.name),
              h('td', {}, h('code', { class: 'issuer' }, t.issuer), h('div', { class: 'muted' }, 'aud: ', t.audiences.join(', '))),
              h('td', { class: 'conditions' }, ...conditionLines(t).map((line) => h('div', {}, h('code', {}, line)))),
              h('td', {}, mintsText(t)),
              h('td', {}, formatTime(t.created_at)),
              h(
                'td',
                {},
                h('button', { type: 'button', class: 'danger', 'aria-label': `Delete trust ${t.name}`, onclick: () => void deleteFlow(t, opts) }, 'Delete'),
              ),
            ),
          ),
        ),
      ),
    );
  }
  return [h('h2', {}, 'Trusted issuers'), intro, add, body];
}

function conditionLines(t: TrustSpec): string[] {
  return [
    ...(t.subject ? [`sub = ${t.subject}`] : []),
    ...Object.entries(t.claims ?? {}).map(([k, v]) => `${k} = ${v}`),
  ];
}

/** What a minted token may do, in a few words: permissions, projects, addresses. */
function scopeParts(t: TrustSpec): string[] {
  const n = t.permissions?.length ?? 0;
  const ips = t.allowed_ips?.length ?? 0;
  return [
    n > 0 ? `${n} permission${n === 1 ? '' : 's'}` : 'the account’s role',
    ...(t.projects && t.projects.length > 0 ? [t.projects.join(', ')] : []),
    ...(ips > 0 ? [`${ips} IP range${ips === 1 ? '' : 's'}`] : []),
  ];
}

function mintsText(t: TrustSpec): string {
  return [`${t.lifetime_minutes ?? 15} min`, ...scopeParts(t)].join(' · ');
}

async function deleteFlow(t: ListedTrust, opts: TrustsSectionOptions): Promise<void> {
  const ok = await confirmDialog(
    `Delete trust “${t.name}”?`,
    `CI jobs can no longer exchange ${t.issuer} tokens for ${opts.account.name}, and every token this trust minted stops working at once: their next API call fails with 401. This cannot be undone.`,
    'Delete trust',
  );
  if (!ok) return;
  try {
    await opts.remove(t);
    announce(`Deleted trust ${t.name}; the tokens it minted no longer work.`);
  } catch (e) {
    announce(`Could not delete the trust: ${(e as Error).message}`, 'error');
  }
  opts.refresh();
}

// ---------------------------------------------------------------- the form

export interface TrustFormOptions {
  /** The projects the account reaches: what `projects` may narrow to. */
  accountProjects: string[];
  /** Filled in for the presets (the audience a job asks its platform for). */
  defaultAudience: string;
  onSubmit: (spec: TrustSpec) => Promise<void>;
  onCancel: () => void;
}

/** What the console calls each preset and its two inputs; the rest is the core's `PresetInfo`. */
const PRESET_TEXT: Record<Preset, { title: string; path: string; branchOrEnv: string }> = {
  github_branch: { title: 'GitHub Actions: a branch', path: 'Repository', branchOrEnv: 'Branch' },
  github_environment: { title: 'GitHub Actions: a deployment environment', path: 'Repository', branchOrEnv: 'Environment' },
  github_pull_request: { title: 'GitHub Actions: pull requests', path: 'Repository', branchOrEnv: '' },
  gitlab_branch: { title: 'GitLab CI: a branch', path: 'Project', branchOrEnv: 'Branch' },
  kubernetes_service_account: { title: 'Kubernetes service account', path: 'Namespace', branchOrEnv: 'Service account' },
};

const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  issuer: 'Issuer',
  audiences: 'Audiences',
  subject: 'Subject',
  claims: 'Claim conditions',
  lifetime_minutes: 'Token lifetime',
  permissions: 'Permissions',
  projects: 'Projects',
  allowed_ips: 'Allowed IPs',
};

/** `claims.ref` → `claims`, `audiences[1]` → `audiences`. */
function formField(path: string): string {
  return fieldKey(path).split('.')[0] ?? path;
}

/** Non-empty lines (or comma-separated items), trimmed. */
function items(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

interface ClaimRow {
  el: HTMLElement;
  name: HTMLInputElement;
  value: HTMLInputElement;
}

export function trustForm(opts: TrustFormOptions): HTMLFormElement {
  const presets: PresetInfo[] = trustPresets();
  const touched = new Set<string>();
  let submitted = false;

  // ---- preset ----
  const presetId = uid('trust-preset');
  const presetSelect = h(
    'select',
    { id: presetId, name: 'preset' },
    h('option', { value: '' }, 'None: fill in the fields below'),
    ...presets.map((p) => h('option', { value: p.preset }, PRESET_TEXT[p.preset]?.title ?? p.preset)),
  );
  const pathId = uid('trust-path');
  const pathLabel = h('label', { for: pathId }, 'Repository');
  const pathInput = h('input', { id: pathId, name: 'preset_path', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const branchId = uid('trust-branch');
  const branchLabel = h('label', { for: branchId }, 'Branch');
  const branchInput = h('input', { id: branchId, name: 'preset_branch', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const branchField = h('div', { class: 'field' }, branchLabel, branchInput);
  const audId = uid('trust-preset-aud');
  const audInput = h('input', { id: audId, name: 'preset_audience', type: 'text', autocomplete: 'off', spellcheck: 'false', value: opts.defaultAudience });
  const presetHint = uid('hint');
  const presetFields = h(
    'div',
    { class: 'preset-fields', hidden: true },
    h('div', { class: 'field' }, pathLabel, pathInput),
    branchField,
    h('div', { class: 'field' }, h('label', { for: audId }, 'Audience the job asks for'), audInput),
  );

  // ---- the trust's own fields ----
  const text = (name: string, extra: Record<string, string> = {}) =>
    h('input', { id: uid(`trust-${name}`), name, type: 'text', autocomplete: 'off', spellcheck: 'false', ...extra });
  const area = (name: string, placeholder: string) =>
    h('textarea', { id: uid(`trust-${name}`), name, rows: 2, spellcheck: 'false', autocomplete: 'off', placeholder });
  const nameInput = text('name');
  const issuerInput = text('issuer', { placeholder: 'https://token.actions.githubusercontent.com' });
  const audiences = area('audiences', 'https://iam.clouddigit.ai/your-org');
  const subjectInput = text('subject', { placeholder: 'repo:OWNER/REPO:ref:refs/heads/main' });
  const lifetimeInput = text('lifetime_minutes', { inputmode: 'numeric', value: '15', class: 'short' });
  const permsInput = area('permissions', 'compute.servers.list, compute.servers.start');
  const ipsInput = area('allowed_ips', '203.0.113.0/24');

  const claimsList = h('div', { class: 'claim-rows' });
  const claims: ClaimRow[] = [];
  const addClaimButton = h('button', { type: 'button', onclick: () => addClaim('', '', true) }, '+ Add claim condition');
  function relabelClaims(): void {
    claims.forEach((c, i) => {
      c.name.setAttribute('aria-label', `Claim ${i + 1} name`);
      c.value.setAttribute('aria-label', `Claim ${i + 1} value`);
      c.el.querySelector('button')?.setAttribute('aria-label', `Remove claim ${i + 1}`);
    });
  }
  function addClaim(name: string, value: string, focus = false): void {
    const nameEl = h('input', { type: 'text', name: 'claim_name', autocomplete: 'off', spellcheck: 'false', placeholder: 'repository_owner_id' });
    nameEl.value = name;
    const valueEl = h('input', { type: 'text', name: 'claim_value', autocomplete: 'off', spellcheck: 'false', placeholder: 'exact, or a glob with *' });
    valueEl.value = value;
    const row: ClaimRow = { el: h('div', { class: 'claim-row' }), name: nameEl, value: valueEl };
    const remove = h('button', { type: 'button', class: 'link', onclick: () => {
      claims.splice(claims.indexOf(row), 1);
      row.el.remove();
      relabelClaims();
      claimErrors.rebind(...claims.flatMap((c) => [c.name, c.value]));
      touched.add('claims');
      update();
      addClaimButton.focus();
    } }, 'Remove');
    row.el.append(nameEl, h('span', { 'aria-hidden': 'true' }, '='), valueEl, remove);
    for (const el of [nameEl, valueEl]) el.addEventListener('input', () => {
      touched.add('claims');
      update();
    });
    claims.push(row);
    claimsList.append(row.el);
    relabelClaims();
    claimErrors.bind(nameEl, valueEl);
    if (focus) nameEl.focus();
  }

  const projectBoxes = new Map<string, HTMLInputElement>();
  const projectRows = opts.accountProjects.length > 1
    ? opts.accountProjects.map((p) => {
        const id = uid('trust-project');
        const box = h('input', { id, type: 'checkbox', name: 'projects', value: p });
        box.addEventListener('change', () => {
          touched.add('projects');
          update();
        });
        projectBoxes.set(p, box);
        return h('div', { class: 'choice' }, box, h('label', { for: id }, p));
      })
    : [];

  // ---- errors, side panel ----
  const hints = {
    name: uid('hint'),
    issuer: uid('hint'),
    audiences: uid('hint'),
    subject: uid('hint'),
    claims: uid('hint'),
    lifetime: uid('hint'),
    permissions: uid('hint'),
    projects: uid('hint'),
    ips: uid('hint'),
  };
  const claimErrors = new FieldErrors(uid('err-trust-claims'), hints.claims);
  const fieldErrors: Record<string, FieldErrors> = {
    name: new FieldErrors(uid('err-trust-name'), hints.name).bind(nameInput),
    issuer: new FieldErrors(uid('err-trust-issuer'), hints.issuer).bind(issuerInput),
    audiences: new FieldErrors(uid('err-trust-audiences'), hints.audiences).bind(audiences),
    subject: new FieldErrors(uid('err-trust-subject'), hints.subject).bind(subjectInput),
    claims: claimErrors,
    lifetime_minutes: new FieldErrors(uid('err-trust-lifetime'), hints.lifetime).bind(lifetimeInput),
    permissions: new FieldErrors(uid('err-trust-perms'), hints.permissions).bind(permsInput),
    projects: new FieldErrors(uid('err-trust-projects'), hints.projects).bind(...projectBoxes.values()),
    allowed_ips: new FieldErrors(uid('err-trust-ips'), hints.ips).bind(ipsInput),
  };
  const summary = h('p', { class: 'summary' });
  const warningsList = h('ul', { class: 'warnings' });
  const formError = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add trust');

  // ---- the draft ----
  /** The allow-list's entries as the SDK reads the text (`allowed_ips[N]` is its N-th). */
  const ipEntries = () => {
    const r = checkAllowedIps(ipsInput.value);
    return [...r.entries, ...r.errors].sort((a, b) => a.index - b.index).map((e) => e.text);
  };
  const chosenProjects = () => opts.accountProjects.filter((p) => projectBoxes.get(p)?.checked);
  const spec = (): TrustSpec => {
    const claimMap: Record<string, string> = {};
    for (const c of claims) {
      const k = c.name.value.trim();
      if (k !== '' || c.value.value !== '') claimMap[k] = c.value.value;
    }
    const perms = items(permsInput.value);
    const projects = chosenProjects();
    const lifetime = lifetimeInput.value.trim();
    const s: TrustSpec = {
      name: nameInput.value,
      issuer: issuerInput.value.trim(),
      audiences: items(audiences.value),
      claims: claimMap,
      allowed_ips: ipEntries(),
    };
    if (subjectInput.value.trim() !== '') s.subject = subjectInput.value.trim();
    if (lifetime !== '') s.lifetime_minutes = Number(lifetime);
    if (perms.length > 0) s.permissions = perms;
    if (projects.length > 0) s.projects = projects;
    return s;
  };

  function validate(s: TrustSpec): TrustValidation {
    try {
      return validateTrust(s, opts.accountProjects);
    } catch (e) {
      // The SDK reads the form's one number as a whole number of minutes; what it cannot
      // read that way is no lifetime the core accepts either, and it says which.
      if (!(e instanceof EvaluateError)) throw e;
      return validateTrust({ ...s, lifetime_minutes: 0 }, opts.accountProjects);
    }
  }

  function messagesFor(issues: TrustIssue[], s: TrustSpec): Map<string, { messages: string[]; controls: Set<HTMLElement> }> {
    const out = new Map<string, { messages: string[]; controls: Set<HTMLElement> }>();
    for (const e of issues) {
      const key = formField(e.field);
      const i = fieldIndex(e.field);
      const slot = out.get(key) ?? { messages: [], controls: new Set<HTMLElement>() };
      let msg = e.message;
      const listed = key === 'audiences' ? s.audiences : key === 'permissions' ? s.permissions : key === 'allowed_ips' ? s.allowed_ips : null;
      if (listed && i !== null) {
        const entry = listed[i];
        msg = `Entry ${i + 1}${entry && !msg.includes(entry) ? ` (${entry})` : ''}: ${msg}`;
      }
      if (key === 'claims' && e.field.startsWith('claims.')) {
        const name = e.field.slice('claims.'.length);
        msg = `${name || 'A claim without a name'}: ${msg}`;
        const row = claims.find((c) => c.name.value.trim() === name);
        if (row) slot.controls.add(name === '' ? row.name : row.value);
        if (row && e.code !== 'claim_invalid') slot.controls.add(row.name);
      }
      if (key === 'projects' && i !== null) {
        const box = projectBoxes.get(s.projects?.[i] ?? '');
        if (box) slot.controls.add(box);
      }
      slot.messages.push(msg);
      out.set(key, slot);
    }
    return out;
  }

  function update(): TrustValidation {
    const s = spec();
    const v = validate(s);
    const byField = messagesFor(v.errors, s);
    for (const [key, fe] of Object.entries(fieldErrors)) {
      const slot = byField.get(key);
      fe.show((submitted || touched.has(key)) && slot ? slot.messages : [], slot?.controls);
    }
    const other = v.errors.filter((e) => !fieldErrors[formField(e.field)]).map((e) => e.message);
    if (other.length > 0) formError.textContent = other.join(' ');
    else if (formError.dataset.kind !== 'server') formError.textContent = '';
    warningsList.replaceChildren(
      ...(v.warnings.length === 0
        ? [h('li', { class: 'muted' }, 'No warnings.')]
        : v.warnings.map((w) => h('li', { class: 'warning', 'data-code': w.code }, h('strong', {}, FIELD_LABELS[formField(w.field)] ?? w.field, ': '), w.message))),
    );
    renderSummary(s);
    return v;
  }

  function renderSummary(s: TrustSpec): void {
    const conditions = conditionLines(s);
    summary.replaceChildren(
      'A CI job whose token is signed by ',
      h('code', {}, s.issuer || '(issuer)'),
      ' for ',
      s.audiences.length > 0 ? h('code', {}, s.audiences.join(' or ')) : '(an audience)',
      conditions.length > 0 ? ', with ' : ', with any subject',
      ...conditions.flatMap((c, i) => [i > 0 ? ' and ' : '', h('code', {}, c)]),
      `, gets a token of this account that lives ${s.lifetime_minutes ?? 15} minutes (${scopeParts(s).join(', ')}).`,
    );
  }

  // ---- presets ----
  const currentPreset = () => presets.find((p) => p.preset === presetSelect.value) ?? null;
  /** The preset's draft for what its inputs say; the subject waits for a path. */
  function presetDraft(info: PresetInfo): TrustSpec {
    return trustPreset(info.preset, pathInput.value.trim(), branchInput.value.trim(), audInput.value.trim());
  }
  function applySubject(info: PresetInfo): void {
    subjectInput.value = pathInput.value.trim() === '' ? '' : (presetDraft(info).subject ?? '');
    touched.add('subject');
  }
  presetSelect.addEventListener('change', () => {
    const info = currentPreset();
    presetFields.hidden = info === null;
    if (!info) return update();
    const words = PRESET_TEXT[info.preset];
    pathLabel.textContent = `${words?.path ?? 'Path'} (${info.path})`;
    pathInput.placeholder = info.path;
    branchField.hidden = info.branch_or_env === null;
    branchLabel.textContent = `${words?.branchOrEnv || 'Name'} (${info.branch_or_env ?? ''})`;
    branchInput.placeholder = info.branch_or_env ?? '';
    subjectInput.placeholder = info.subject;
    const d = presetDraft(info);
    issuerInput.value = d.issuer;
    audiences.value = d.audiences.filter((a) => a !== '').join('\n');
    lifetimeInput.value = String(d.lifetime_minutes ?? 15);
    for (const c of [...claims]) c.el.remove();
    claims.length = 0;
    claimErrors.rebind();
    for (const [k, val] of Object.entries(d.claims ?? {})) addClaim(k, val);
    applySubject(info);
    update();
    pathInput.focus();
  });
  for (const el of [pathInput, branchInput]) el.addEventListener('input', () => {
    const info = currentPreset();
    if (info) applySubject(info);
    update();
  });
  audInput.addEventListener('input', () => {
    const info = currentPreset();
    if (info) audiences.value = presetDraft(info).audiences.filter((a) => a !== '').join('\n');
    touched.add('audiences');
    update();
  });

  for (const [key, el] of [
    ['name', nameInput],
    ['issuer', issuerInput],
    ['audiences', audiences],
    ['subject', subjectInput],
    ['lifetime_minutes', lifetimeInput],
    ['permissions', permsInput],
    ['allowed_ips', ipsInput],
  ] as const) {
    el.addEventListener('input', () => {
      touched.add(key);
      update();
    });
  }

  const field = (el: HTMLElement, label: string, hintId: string, hint: string | Node[], errors: FieldErrors) =>
    h('div', { class: 'field' }, h('label', { for: el.id }, label), h('p', { id: hintId, class: 'hint' }, ...(typeof hint === 'string' ? [hint] : hint)), el, errors.el);
  const sideTitle = uid('side-title');
  const form = h(
    'form',
    { class: 'trust-form', novalidate: true, 'aria-label': 'Add a trusted issuer' },
    h(
      'div',
      { class: 'form-grid' },
      h(
        'div',
        { class: 'form-main' },
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Start from a preset'),
          h('p', { id: presetHint, class: 'hint' }, 'Fills in the issuer, the audience and the subject your CI platform puts in its tokens. Everything stays editable.'),
          h('div', { class: 'field' }, h('label', { for: presetId }, 'Preset'), presetSelect),
          presetFields,
        ),
        field(nameInput, 'Name', hints.name, 'What pipeline it is for, e.g. web-deploy. Minted tokens are named oidc:<name>.', fieldErrors.name!),
        field(issuerInput, 'Issuer', hints.issuer, 'The tokens’ iss claim, exactly.', fieldErrors.issuer!),
        field(audiences, 'Audiences', hints.audiences, 'One per line: the token’s aud must hold one of them. Compared exactly.', fieldErrors.audiences!),
        field(subjectInput, 'Subject', hints.subject, 'The token’s sub, exactly or as a glob (* matches any run of characters). A subject or a claim condition is required.', fieldErrors.subject!),
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Claim conditions'),
          h('p', { id: hints.claims, class: 'hint' }, 'Other claims the token must carry, each exactly or as a glob. Pin an id claim (repository_owner_id, namespace_id…): names can be registered again, ids cannot.'),
          claimsList,
          addClaimButton,
          claimErrors.el,
        ),
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Tokens it mints'),
          field(lifetimeInput, 'Token lifetime (minutes)', hints.lifetime, 'How long each minted token lives.', fieldErrors.lifetime_minutes!),
          field(permsInput, 'Permissions (optional)', hints.permissions, 'A downscope, comma-separated or one per line. Empty: the account’s role.', fieldErrors.permissions!),
          projectRows.length > 0
            ? h(
                'fieldset',
                { class: 'field' },
                h('legend', {}, 'Projects (optional)'),
                h('p', { id: hints.projects, class: 'hint' }, 'None chosen: every project the account reaches.'),
                h('div', { class: 'choices' }, ...projectRows),
                fieldErrors.projects!.el,
              )
            : null,
          field(ipsInput, 'Allowed IPs (optional)', hints.ips, 'CIDRs the minted tokens may be used from. Empty: the account’s allow-list.', fieldErrors.allowed_ips!),
        ),
        formError,
        h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: () => opts.onCancel() }, 'Cancel')),
      ),
      h(
        'aside',
        { class: 'form-side', 'aria-labelledby': sideTitle },
        h('h3', { id: sideTitle }, 'What it accepts'),
        summary,
        h('h3', {}, 'Best practices'),
        warningsList,
      ),
    ),
  );
  presetSelect.setAttribute('aria-describedby', presetHint);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      submitted = true;
      formError.dataset.kind = '';
      const v = update();
      if (v.errors.length > 0) {
        const first = v.errors.map((e) => fieldErrors[formField(e.field)]).find((f) => f !== undefined);
        const n = v.errors.length;
        announce(`${n} ${n === 1 ? 'problem' : 'problems'} to fix before the trust can be added.`, 'error');
        first?.firstControl?.focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Adding…';
      try {
        await opts.onSubmit(spec());
      } catch (e) {
        // The API checks the trust with the same rules, and what the caller may make (a
        // trust mints tokens of the account); its field errors show under their fields.
        formError.dataset.kind = 'server';
        formError.textContent = `The API refused: ${(e as Error).message}`;
        const errs = e instanceof TrustCallError ? e.fieldErrors : [];
        const byField = messagesFor(errs.map((fe) => ({ field: fe.field, code: fe.code as TrustIssue['code'], message: fe.message })), spec());
        for (const [key, slot] of byField) fieldErrors[key]?.show(slot.messages, slot.controls);
      } finally {
        submit.disabled = false;
        submit.textContent = 'Add trust';
      }
    })();
  });

  update();
  return form;
}
