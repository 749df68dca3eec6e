// The "New service account" form, validated as the user types by the SDK's
// `validateServiceAccount` (the core's rules, in wasm).
import { limits, validateServiceAccount } from '@clouddigit/sdk';
import type { CallerCredential, OwnerState, ServiceAccountDraft, ServiceAccountState, TokenPolicy } from '@clouddigit/sdk';
import { ApiError } from './api';
import type { ServiceAccountBody } from './api';
import { byService, SERVICE_TITLES } from './catalog';
import { announce, h, uid } from './dom';
import { FieldErrors, fieldKey } from './fields';

export interface ServiceAccountFormOptions {
  creator: OwnerState;
  organization: string;
  organizationProjects: string[];
  policy: TokenPolicy | null;
  existing: ServiceAccountState[];
  /** The token this console is signed in with: the account's client secret may not exceed it. */
  caller?: CallerCredential;
  onSubmit: (body: ServiceAccountBody) => Promise<void>;
  onCancel: () => void;
}

const ORG_LEVEL = '';

export function serviceAccountForm(opts: ServiceAccountFormOptions): HTMLFormElement {
  const touched = new Set<string>();
  let submitted = false;

  const nameId = uid('sa-name');
  const nameHint = uid('hint');
  const limit = limits();
  const name = h('input', { id: nameId, name: 'name', type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: limit.max_service_account_name_chars + 16 });
  const descId = uid('sa-desc');
  const desc = h('textarea', { id: descId, name: 'description', rows: 2 });
  const projId = uid('sa-project');
  const projHint = uid('hint');
  const project = h(
    'select',
    { id: projId, name: 'project' },
    ...opts.organizationProjects.map((p) => h('option', { value: p }, p)),
    h('option', { value: ORG_LEVEL }, 'Organization-level (acts in every project)'),
  );
  const roleId = uid('sa-role');
  const role = h(
    'select',
    { id: roleId, name: 'role' },
    h('option', { value: 'read_only' }, 'Read-only'),
    h('option', { value: 'member' }, 'Member'),
    h('option', { value: 'admin' }, 'Admin'),
  );
  const tagsId = uid('sa-tags');
  const tagsHint = uid('hint');
  const tags = h('textarea', { id: tagsId, name: 'tag_selector', rows: 2, spellcheck: 'false', placeholder: 'env=prod, team=payments' });
  const ipsId = uid('sa-ips');
  const ipsHint = uid('hint');
  const ips = h('textarea', { id: ipsId, name: 'allowed_ips', rows: 2, spellcheck: 'false', autocomplete: 'off', placeholder: '203.0.113.0/24' });

  const errors: Record<string, FieldErrors> = {
    name: new FieldErrors(uid('err-sa-name'), nameHint).bind(name),
    description: new FieldErrors(uid('err-sa-desc')).bind(desc),
    project: new FieldErrors(uid('err-sa-project'), projHint).bind(project),
    role: new FieldErrors(uid('err-sa-role')).bind(role),
    tag_selector: new FieldErrors(uid('err-sa-tags'), tagsHint).bind(tags),
    allowed_ips: new FieldErrors(uid('err-sa-ips'), ipsHint).bind(ips),
  };
  // Where problems about the creator or organization show: the project choice decides them.
  const alias: Record<string, string> = { creator: 'project', organization: 'project' };
  // What the core calls the secret issued with the account: its expiry follows the caller.
  const formLevel = new Set(['expires_at']);

  const summary = h('p', { class: 'summary' });
  const warnings = h('ul', { class: 'warnings' });
  const perms = h('div', { class: 'preview', tabindex: 0, role: 'region', 'aria-label': 'What the role grants' });
  const formError = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create service account');

  const draft = (): ServiceAccountDraft => {
    const d: ServiceAccountDraft = {
      name: name.value,
      description: desc.value,
      organization: opts.organization,
      role: role.value,
      tag_selector: tags.value,
      allowed_ips: ips.value,
    };
    if (project.value !== ORG_LEVEL) d.project = project.value;
    return d;
  };

  function update() {
    const v = validateServiceAccount({
      draft: draft(),
      creator: opts.creator,
      existing: opts.existing,
      policy: opts.policy ?? undefined,
      organization_projects: opts.organizationProjects,
      caller: opts.caller,
      now: new Date().toISOString(),
    });
    const by = new Map<string, string[]>();
    const general = v.errors.filter((e) => formLevel.has(fieldKey(e.field))).map((e) => e.message);
    if (general.length > 0 || formError.dataset.kind !== 'server') formError.textContent = general.join(' ');
    for (const e of v.errors) {
      const key = alias[fieldKey(e.field)] ?? fieldKey(e.field);
      by.set(key, [...(by.get(key) ?? []), e.message]);
    }
    for (const [key, fe] of Object.entries(errors)) fe.show(submitted || touched.has(key) ? (by.get(key) ?? []) : []);
    summary.textContent = v.preview.summary;
    warnings.replaceChildren(
      ...(v.warnings.length === 0 ? [h('li', { class: 'muted' }, 'No warnings.')] : v.warnings.map((w) => h('li', { class: 'warning' }, w.message))),
    );
    const groups = [...byService(v.preview.permissions)];
    perms.replaceChildren(
      groups.length === 0
        ? h('p', { class: 'muted' }, 'Nothing yet.')
        : h(
            'dl',
            { class: 'grants' },
            ...groups.flatMap(([service, names]) => [
              h('dt', {}, `${SERVICE_TITLES[service] ?? service} (${names.length})`),
              h('dd', {}, names.map((n) => n.slice(service.length + 1)).join(', ')),
            ]),
          ),
    );
    return v;
  }

  for (const [key, el] of [
    ['name', name],
    ['description', desc],
    ['project', project],
    ['role', role],
    ['tag_selector', tags],
    ['allowed_ips', ips],
  ] as const) {
    el.addEventListener(el instanceof HTMLSelectElement ? 'change' : 'input', () => {
      touched.add(key);
      update();
    });
  }

  const form = h(
    'form',
    { class: 'sa-form', novalidate: true, 'aria-label': 'New service account' },
    h(
      'div',
      { class: 'form-grid' },
      h(
        'div',
        { class: 'form-main' },
        h('div', { class: 'field' }, h('label', { for: nameId }, 'Name'), h('p', { id: nameHint, class: 'hint' }, 'Lowercase letters, digits and hyphens, e.g. ci-deployer. It appears in the audit log.'), name, errors.name!.el),
        h('div', { class: 'field' }, h('label', { for: descId }, 'Description (optional)'), desc, errors.description!.el),
        h('div', { class: 'field' }, h('label', { for: projId }, 'Project scope'), h('p', { id: projHint, class: 'hint' }, 'A project account acts in its project only; an organization-level one in every project (organization admins only).'), project, errors.project!.el),
        h('div', { class: 'field' }, h('label', { for: roleId }, 'Role'), role, errors.role!.el),
        h('div', { class: 'field' }, h('label', { for: tagsId }, 'Tag selector (optional)'), h('p', { id: tagsHint, class: 'hint' }, 'key=value pairs: the account may only act on resources carrying all of them.'), tags, errors.tag_selector!.el),
        h('div', { class: 'field' }, h('label', { for: ipsId }, 'Allowed IPs for its bearers (optional)'), h('p', { id: ipsHint, class: 'hint' }, `CIDRs, up to ${limit.max_allowed_ips}: the account's client-credentials bearers work only from these addresses.`), ips, errors.allowed_ips!.el),
        formError,
        h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: () => opts.onCancel() }, 'Cancel')),
      ),
      h(
        'aside',
        { class: 'form-side', 'aria-label': 'Preview' },
        h('h3', {}, 'Summary'),
        summary,
        h('h3', {}, 'Best practices'),
        warnings,
        h('h3', {}, 'What the role grants'),
        perms,
      ),
    ),
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      submitted = true;
      const v = update();
      if (!v.valid) {
        const first = v.errors.map((e) => errors[alias[fieldKey(e.field)] ?? fieldKey(e.field)]).find((f) => f);
        announce(`${v.errors.length} problem(s) to fix before the service account can be created.`, 'error');
        first?.firstControl?.focus();
        return;
      }
      submit.disabled = true;
      formError.textContent = '';
      formError.dataset.kind = '';
      try {
        await opts.onSubmit({
          name: name.value,
          description: desc.value || undefined,
          project: project.value === ORG_LEVEL ? null : project.value,
          role: role.value as ServiceAccountBody['role'],
          tag_selector: Object.keys(v.preview.tag_selector).length > 0 ? v.preview.tag_selector : undefined,
          allowed_ips: (v.preview.allowed_ips ?? []).length > 0 ? v.preview.allowed_ips : undefined,
        });
      } catch (e) {
        formError.dataset.kind = 'server';
        formError.textContent = `The API refused: ${(e as Error).message}`;
        for (const fe of e instanceof ApiError ? e.fieldErrors : []) errors[fieldKey(fe.field)]?.show([fe.message]);
      } finally {
        submit.disabled = false;
      }
    })();
  });

  update();
  return form;
}
