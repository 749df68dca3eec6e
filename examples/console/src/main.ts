// The Cloud Digit console example: API tokens and service accounts, on @clouddigit/sdk.
// Every rule the forms check runs in the SDK's wasm; every API call is in api.ts.
import { parseTokenSecret } from '@clouddigit/sdk';
import type { Role, ServiceAccountState, TokenDraft } from '@clouddigit/sdk';
import { AuthenticationError, connect, DirectCallError, NotFoundError, PermissionDeniedError, sandboxInfo } from './api';
import type { AccessKey, ApiToken, ConsoleApi, ListedTrust, Rotation, ServiceAccount, Whoami } from './api';
import { announce, confirmDialog, formatDate, formatTime, h, showSecretOnce, uid } from './dom';
import { serviceAccountForm } from './saForm';
import { statusCell, tokenStatus } from './tokenStatus';
import { roleLabel, tokenForm } from './tokenForm';

const SESSION_KEY = 'clouddigit.console.token';

interface Session {
  api: ConsoleApi;
  me: Whoami;
}

let session: Session | null = null;
const main = document.getElementById('main')!;
const top = document.getElementById('top')!;

// ---------------------------------------------------------------- navigation

function navigate(path: string, replace = false): void {
  if (replace) history.replaceState({}, '', path);
  else history.pushState({}, '', path);
  void render();
}

document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a[data-nav]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => void render());

function link(href: string, text: string, cls?: string): HTMLAnchorElement {
  return h('a', { href, 'data-nav': true, class: cls }, text);
}

/** Replaces the page and moves focus to its heading, so keyboard users start there. */
function page(title: string, ...content: (Node | string | null)[]): void {
  document.title = `${title} · Cloud Digit console`;
  const heading = h('h1', { tabindex: -1 }, title);
  main.replaceChildren(heading, ...content.filter((c): c is Node | string => c !== null));
  heading.focus();
}

async function render(): Promise<void> {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  if (!session) {
    const stored = sessionStorage.getItem(SESSION_KEY);
    if (stored && (await signIn(stored, false))) {
      // signed in again after a reload
    } else if (path !== '/sign-in') {
      history.replaceState({ after: path }, '', '/sign-in');
      return signInPage();
    } else {
      return signInPage();
    }
  }
  renderHeader();
  const m = (re: RegExp) => re.exec(path);
  let r: RegExpExecArray | null;
  try {
    if (path === '/' || path === '/sign-in') return navigate('/tokens', true);
    if (path === '/tokens') return await tokensPage();
    if (path === '/tokens/new') return await newTokenPage();
    if ((r = m(/^\/tokens\/([^/]+)\/usage$/))) return await tokenUsagePage(decodeURIComponent(r[1]!));
    if ((r = m(/^\/service-accounts\/([^/]+)\/tokens\/([^/]+)\/usage$/))) return await saTokenUsagePage(decodeURIComponent(r[1]!), decodeURIComponent(r[2]!));
    if (path === '/service-accounts') return await serviceAccountsPage();
    if (path === '/service-accounts/new') return await newServiceAccountPage();
    if ((r = m(/^\/service-accounts\/([^/]+)\/tokens\/new$/))) return await newServiceAccountTokenPage(decodeURIComponent(r[1]!));
    if ((r = m(/^\/service-accounts\/([^/]+)\/trusts\/new$/))) return await newTrustPage(decodeURIComponent(r[1]!));
    if ((r = m(/^\/service-accounts\/([^/]+)$/))) return await serviceAccountPage(decodeURIComponent(r[1]!));
    if (path === '/audit') return await auditLogPage();
    if (path === '/audit-streams') return await auditStreamsPage();
    if (path === '/audit-streams/new') return await newAuditStreamPage();
    page('Not found', h('p', {}, 'No such page. '), link('/tokens', 'Back to API tokens'));
  } catch (e) {
    showError(e);
  }
}

function showError(e: unknown): void {
  // The SDK's AuthenticationError is a 401: the token was revoked, rotated out or expired.
  if (e instanceof AuthenticationError || (e instanceof DirectCallError && e.status === 401)) {
    signOut(`Your session ended: ${e.message}`);
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  page('Something went wrong', h('p', { class: 'error', role: 'alert' }, message), link('/tokens', 'Back to API tokens'));
}

// ---------------------------------------------------------------- session

async function signIn(token: string, interactive: boolean): Promise<boolean> {
  try {
    // `connect` throws the SDK's ConfigError for a malformed token, before any call.
    const api = connect(token);
    const me = await api.whoami();
    sessionStorage.setItem(SESSION_KEY, token);
    session = { api, me };
    return true;
  } catch (e) {
    sessionStorage.removeItem(SESSION_KEY);
    if (interactive) throw e;
    return false;
  }
}

function signOut(message?: string): void {
  sessionStorage.removeItem(SESSION_KEY);
  session = null;
  top.replaceChildren();
  history.replaceState({}, '', '/sign-in');
  void signInPage(message);
}

function ownerSummary(me: Whoami): string {
  const o = me.owner;
  if (o.type === 'user') {
    if (o.org_role) return `organization ${o.org_role} of ${o.organization}`;
    const roles = Object.entries(o.project_roles ?? {}).map(([p, r]) => `${roleLabel(r)} in ${p}`);
    return roles.length ? roles.join(', ') : `no project role in ${o.organization}`;
  }
  return `service account ${o.name}`;
}

function renderHeader(): void {
  if (!session) return;
  const me = session.me;
  const who = me.owner.type === 'user' ? (me.owner.email ?? me.owner.id) : me.owner.name;
  const here = location.pathname;
  const nav = (href: string, text: string) => {
    const a = link(href, text);
    if (here === href || here.startsWith(`${href}/`)) a.setAttribute('aria-current', 'page');
    return a;
  };
  top.replaceChildren(
    h(
      'div',
      { class: 'bar' },
      h('span', { class: 'brand' }, 'Cloud Digit'),
      h('nav', { 'aria-label': 'Main' }, nav('/tokens', 'API tokens'), nav('/service-accounts', 'Service accounts'), nav('/audit', 'Audit log'), nav('/audit-streams', 'Audit streams')),
      h(
        'div',
        { class: 'who' },
        h('span', {}, who, h('span', { class: 'muted' }, ` · ${ownerSummary(me)}`)),
        h('button', { type: 'button', class: 'link', onclick: () => signOut('Signed out.') }, 'Sign out'),
      ),
    ),
  );
}

async function signInPage(message?: string): Promise<void> {
  document.title = 'Sign in · Cloud Digit console';
  top.replaceChildren(h('div', { class: 'bar' }, h('span', { class: 'brand' }, 'Cloud Digit'), h('span', { class: 'muted' }, 'console · local sandbox')));
  const info = await sandboxInfo();
  const id = uid('token');
  const hintId = uid('hint');
  const errId = uid('err');
  const input = h('input', { id, name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': hintId, required: true });
  const err = h('div', { id: errId, class: 'field-errors' });
  const fail = (text: string) => {
    err.replaceChildren(h('p', { class: 'error' }, text));
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', `${hintId} ${errId}`);
    input.focus();
  };
  const form = h(
    'form',
    { class: 'sign-in', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: id }, 'API token'), input, err),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    // The SDK checks the format and checksum offline, before the token leaves the page.
    try {
      parseTokenSecret(token);
    } catch (e) {
      return fail(`This is not a Cloud Digit API token: ${(e as Error).message}`);
    }
    void signIn(token, true)
      .then(() => {
        input.value = '';
        const after = (history.state as { after?: string } | null)?.after;
        navigate(after && after !== '/sign-in' ? after : '/tokens', true);
      })
      .catch((e: Error) => fail(`The API did not accept this token: ${e.message}`));
  });
  const heading = h('h1', { tabindex: -1 }, 'Sign in');
  main.replaceChildren(
    heading,
    message ? h('p', { class: 'notice', role: 'status' }, message) : '',
    h(
      'div',
      { id: hintId, class: 'hint-block' },
      h('p', {}, 'Paste an API token. It stays in this browser tab only (session storage) and is sent to the API, nowhere else.'),
      info.token_file
        ? h('p', {}, 'The sandbox wrote the organization owner’s token to:', h('code', { class: 'path' }, info.token_file))
        : h('p', {}, 'The sandbox writes the organization owner’s token to the file given by --token-file (default ./.clouddigit-sandbox-token where it started).'),
      h('p', { class: 'muted' }, 'Tokens for the other seeded users (dev@, analyst@, admin@) can be minted with the owner token: POST /_sandbox/users/{id}/tokens.'),
    ),
    form,
  );
  input.focus();
}

// ---------------------------------------------------------------- tokens

function scopeText(t: ApiToken): string {
  const projects = t.projects === 'all' ? 'all projects' : t.projects.join(', ');
  const perms = t.permissions === 'inherit' ? 'inherits role' : `${t.permissions.length} permission${t.permissions.length === 1 ? '' : 's'}`;
  const ips = t.allowed_ips && t.allowed_ips.length > 0 ? ` · ${t.allowed_ips.length} IP range${t.allowed_ips.length === 1 ? '' : 's'}` : '';
  return `${projects} · ${perms}${ips}`;
}

interface TokenActions {
  /** The token this console is signed in with, marked in the list. */
  currentId?: string;
  /** The whole list, for what a revocation would take with it. */
  tokens?: ApiToken[];
  /** The account's trusts, to name the one that minted a token. */
  trusts?: ListedTrust[];
  rotate: (t: ApiToken) => Promise<Rotation>;
  revoke: (t: ApiToken) => Promise<unknown>;
  refresh: () => void;
  /** Where a token's usage page is. */
  usageHref: (t: ApiToken) => string;
}

function tokensTable(tokens: ApiToken[], actions: TokenActions, caption: string): HTMLElement {
  if (tokens.length === 0) return h('p', { class: 'muted' }, 'No tokens yet.');
  const sorted = [...tokens].sort((a, b) => Number(tokenStatus(b).active) - Number(tokenStatus(a).active) || b.created_at.localeCompare(a.created_at));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'list' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, ...['Name', 'Prefix', 'Scope', 'Made by', 'Expires', 'Last used', 'Status', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...sorted.map((t) => {
          const st = tokenStatus(t);
          return h(
            'tr',
            { class: st.leak?.state === 'quarantined' ? 'quarantined' : st.active ? '' : 'inactive', 'data-token-id': t.id },
            h('th', { scope: 'row' }, t.name, t.id === actions.currentId ? h('span', { class: 'tag' }, 'this session') : null),
            h('td', {}, h('code', { class: 'prefix' }, `${t.prefix ?? ''}…`)),
            h('td', { title: t.permissions === 'inherit' ? 'inherits the owner’s role' : t.permissions.join(', ') }, scopeText(t)),
            h('td', { class: 'lineage' }, madeBy(t, tokens, actions.trusts ?? [])),
            h('td', {}, formatDate(t.expires_at)),
            h('td', {}, t.last_used_at ? formatTime(t.last_used_at) : 'never'),
            h('td', {}, statusCell(st)),
            h(
              'td',
              {},
              st.active
                ? h('div', { class: 'row-actions' },
                    link(actions.usageHref(t), 'Usage', 'button'),
                    h('button', { type: 'button', onclick: () => void rotateFlow(t, actions), 'aria-label': `Rotate ${t.name}` }, 'Rotate'),
                    h('button', { type: 'button', class: 'danger', onclick: () => void revokeFlow(t, actions), 'aria-label': `Revoke ${t.name}` }, 'Revoke'),
                  )
                : null,
            ),
          );
        }),
      ),
    ),
  );
}

/** Which credential made a token, named by what the list knows of it. */
function madeBy(t: ApiToken, tokens: ApiToken[], trusts: ListedTrust[]): string {
  const c = t.created_by;
  const named = (id: string) => {
    const m = tokens.find((x) => x.id === id);
    return m ? `“${m.name}” (${m.prefix ?? ''}…)` : id;
  };
  const id = c?.id ?? '';
  let text: string;
  switch (c?.type) {
    case 'token':
      text = `token ${named(id)}`;
      break;
    case 'bearer':
      text = `client-credentials bearer ${named(id)}`;
      break;
    case 'client_secret':
      text = `client secret ${id}`;
      break;
    case 'access_key':
      text = `access key ${id}`;
      break;
    case 'bootstrap':
      text = 'the sandbox’s bootstrap token';
      break;
    case 'sandbox_admin':
      text = `a sandbox administrator (${named(c.token ?? '')})`;
      break;
    case 'trust': {
      // Minted by a CI job's token exchange; the token is named oidc:<trust name>, which
      // still names a trust deleted since (its tokens died with it).
      const trust = trusts.find((x) => x.id === id);
      text = `trust “${trust?.name ?? (t.name.startsWith('oidc:') ? t.name.slice('oidc:'.length) : id)}”`;
      break;
    }
    default:
      text = 'unknown';
  }
  // After a rotation the tree holds the maker's replacement.
  if (t.parent_id && id && id !== t.parent_id) text += `; now under ${named(t.parent_id)}`;
  return text;
}

/** What was made through `t`, at any depth, as far as the list shows. */
function madeThrough(t: ApiToken, tokens: ApiToken[]): ApiToken[] {
  const out: ApiToken[] = [];
  let frontier = [t.id];
  while (frontier.length > 0) {
    const next = tokens.filter((x) => x.parent_id && frontier.includes(x.parent_id) && !out.includes(x));
    out.push(...next);
    frontier = next.map((x) => x.id);
  }
  return out.filter((x) => tokenStatus(x).active);
}

async function rotateFlow(t: ApiToken, actions: TokenActions): Promise<void> {
  const ok = await confirmDialog(
    `Rotate “${t.name}”?`,
    'A new token with the same scope is created. The current one keeps working for a 7-day grace period, so you can deploy the new value first.',
    'Rotate',
  );
  if (!ok) return;
  try {
    const r = await actions.rotate(t);
    await showSecretOnce(`New secret for “${r.token.name}”`, r.secret, [
      h('p', {}, `The old token (${r.replaces.prefix ?? ''}…) keeps working until `, h('strong', {}, formatTime(r.replaces.grace_ends_at)), '. Deploy the new value before then.'),
    ], 'New token');
    announce(`Rotated ${t.name}.`);
  } catch (e) {
    announce(`Could not rotate: ${(e as Error).message}`, 'error');
  }
  actions.refresh();
}

async function revokeFlow(t: ApiToken, actions: TokenActions): Promise<void> {
  const below = madeThrough(t, actions.tokens ?? []);
  const cascade = below.length
    ? ` Everything made through it is revoked too: ${below.map((x) => `“${x.name}”`).join(', ')}, and any service-account credentials it made.`
    : ' Anything made through it (tokens, service-account credentials) is revoked too.';
  const ok = await confirmDialog(
    `Revoke “${t.name}”?`,
    `The next API call with ${t.prefix ?? 'this token'}… fails with 401. This cannot be undone.${cascade}`,
    'Revoke token',
  );
  if (!ok) return;
  try {
    await actions.revoke(t);
    announce(`Revoked ${t.name}.`);
  } catch (e) {
    announce(`Could not revoke: ${(e as Error).message}`, 'error');
  }
  actions.refresh();
}

async function tokensPage(): Promise<void> {
  const s = session!;
  const tokens = await s.api.tokens.list();
  const actions: TokenActions = {
    currentId: s.me.token.id,
    tokens,
    rotate: (t) => s.api.tokens.rotate(t.id),
    revoke: (t) => s.api.tokens.revoke(t.id),
    refresh: () => void render(),
    usageHref: (t) => `/tokens/${encodeURIComponent(t.id)}/usage`,
  };
  const stale = new URLSearchParams(location.search).get('stale');
  const banner = h('div', { class: 'stale-slot' });
  const table = h('div', {}, tokensTable(tokens, actions, 'Your API tokens'));
  page(
    'API tokens',
    h('p', { class: 'lede' }, 'Personal tokens act as you, never with more than your role grants. For anything that runs without you at the keyboard, use a service account.'),
    h('p', {}, link('/tokens/new', '+ New token', 'button primary')),
    banner,
    table,
  );
  // The core's lint, after the list is on screen (src/stale.ts).
  void import('./stale')
    .then(async (ui) => {
      const sets = await ui.staleSets(tokens, s.me.policy ?? null);
      const el = ui.staleBanner(sets, '/tokens', stale && sets[stale] ? stale : null);
      if (el) banner.replaceChildren(el);
      const only = stale ? sets[stale] : undefined;
      if (only) table.replaceChildren(tokensTable(tokens.filter((t) => only.has(t.id)), actions, `Your API tokens: ${ui.STALE[stale!]!.label(only.size)}`));
    })
    .catch((e: Error) => announce(`Could not check for stale tokens: ${e.message}`, 'error'));
}

async function newTokenPage(): Promise<void> {
  const s = session!;
  const me = s.me;
  const existing = await s.api.tokens.list();
  page(
    'New API token',
    tokenForm({
      owner: me.owner,
      rolePossessive: 'your',
      organization: me.owner.organization,
      organizationProjects: me.organization_projects,
      policy: me.policy,
      existingTokens: existing,
      caller: { token: me.token, owner: me.owner },
      submitLabel: 'Create token',
      onCancel: () => navigate('/tokens'),
      onSubmit: async (draft: TokenDraft) => {
        const created = await s.api.tokens.create(draft);
        await showSecretOnce(`Token “${created.token.name}” created`, created.secret, [], 'Your new API token');
        navigate('/tokens');
        announce(`Created ${created.token.name} (${created.token.prefix ?? ''}…).`);
      },
    }),
  );
}

// The usage page (src/usage.ts, a chunk of its own): the owner's role is what an
// inheriting token holds; a token with its own list holds that list.
function roleFor(t: ApiToken, me: Whoami): Role | null {
  const o = me.owner;
  if (o.type !== 'user') return null;
  if (o.org_role) return o.org_role as Role;
  const projects = Array.isArray(t.projects) ? t.projects : [];
  return projects.length === 1 ? ((o.project_roles?.[projects[0]!] as Role | undefined) ?? null) : null;
}

async function tokenUsagePage(id: string): Promise<void> {
  const s = session!;
  const [tokens, ui] = await Promise.all([s.api.tokens.list(), import('./usage')]);
  const token = tokens.find((t) => t.id === id);
  if (!token) return page('Not found', h('p', {}, 'No such token of yours.'), link('/tokens', 'Back to API tokens'));
  await ui.usagePage({
    api: s.api.audit,
    token,
    role: roleFor(token, s.me),
    page,
    downscope: (permissions) => s.api.tokens.downscope(id, permissions),
    revoke: () => s.api.tokens.revoke(id),
    back: { href: '/tokens', label: 'API tokens' },
    done: () => navigate('/tokens'),
    fail: showError,
  });
}

async function saTokenUsagePage(saId: string, id: string): Promise<void> {
  const s = session!;
  const [sa, tokens, ui] = await Promise.all([s.api.serviceAccounts.get(saId), s.api.serviceAccounts.tokens.list(saId), import('./usage')]);
  const token = tokens.find((t) => t.id === id);
  const back = { href: `/service-accounts/${encodeURIComponent(saId)}`, label: `Service account ${sa.name}` };
  if (!token) return page('Not found', h('p', {}, 'No such token of this account.'), link(back.href, back.label));
  await ui.usagePage({
    api: s.api.audit,
    token,
    role: sa.role,
    page,
    downscope: (permissions) => s.api.serviceAccounts.tokens.downscope(saId, id, permissions),
    revoke: () => s.api.serviceAccounts.tokens.revoke(saId, id),
    back,
    done: () => navigate(back.href),
    fail: showError,
  });
}

// ---------------------------------------------------------------- service accounts

function saState(sa: ServiceAccount): ServiceAccountState {
  return {
    id: sa.id,
    name: sa.name,
    description: sa.description ?? '',
    organization: sa.organization,
    project: sa.project ?? null,
    role: sa.role,
    tag_selector: sa.tag_selector ?? {},
    status: sa.status,
    allowed_ips: sa.allowed_ips ?? [],
  };
}

async function allServiceAccounts(s: Session): Promise<{ accounts: ServiceAccount[]; hidden: string[] }> {
  const places: (string | null)[] = [...s.me.organization_projects, null];
  const hidden: string[] = [];
  const results = await Promise.all(
    places.map((p) =>
      s.api.serviceAccounts.list(p).catch((e: unknown) => {
        if (e instanceof PermissionDeniedError || e instanceof NotFoundError) {
          hidden.push(p ?? 'organization');
          return [];
        }
        throw e;
      }),
    ),
  );
  const seen = new Map<string, ServiceAccount>();
  for (const sa of results.flat()) if (sa.status !== 'deleted') seen.set(sa.id, sa);
  return { accounts: [...seen.values()], hidden };
}

async function serviceAccountsPage(): Promise<void> {
  const s = session!;
  const { accounts, hidden } = await allServiceAccounts(s);
  page(
    'Service accounts',
    h('p', { class: 'lede' }, 'Non-human identities for CI/CD, monitoring agents and integrations: they survive staff changes and show up by name in the audit log.'),
    h('p', {}, link('/service-accounts/new', '+ New service account', 'button primary')),
    accounts.length === 0
      ? h('p', { class: 'muted' }, 'No service accounts you can see.')
      : h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'list' },
            h('caption', { class: 'visually-hidden' }, 'Service accounts'),
            h('thead', {}, h('tr', {}, ...['Name', 'Scope', 'Role', 'Tag selector', 'Status'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              ...accounts.map((sa) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, link(`/service-accounts/${encodeURIComponent(sa.id)}`, sa.name)),
                  h('td', {}, sa.project ?? 'organization (every project)'),
                  h('td', {}, roleLabel(sa.role)),
                  h('td', {}, Object.entries(sa.tag_selector ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '—'),
                  h('td', {}, sa.status),
                ),
              ),
            ),
          ),
        ),
    hidden.length > 0 ? h('p', { class: 'muted' }, `Not shown (your role cannot list them): ${hidden.join(', ')}.`) : null,
  );
}

async function newServiceAccountPage(): Promise<void> {
  const s = session!;
  const { accounts } = await allServiceAccounts(s);
  page(
    'New service account',
    serviceAccountForm({
      creator: s.me.owner,
      organization: s.me.owner.organization,
      organizationProjects: s.me.organization_projects,
      policy: s.me.policy,
      existing: accounts.map(saState),
      caller: { token: s.me.token, owner: s.me.owner },
      onCancel: () => navigate('/service-accounts'),
      onSubmit: async (body) => {
        const created = await s.api.serviceAccounts.create(body);
        await showSecretOnce(
          `Service account “${created.service_account.name}” created`,
          created.client_secret,
          [h('p', {}, 'Client ID: ', h('code', {}, created.client_id), '. Use both with the OAuth 2.0 client-credentials grant, or issue API tokens for the account on its page.')],
          'Client secret',
        );
        navigate(`/service-accounts/${encodeURIComponent(created.service_account.id)}`);
      },
    }),
  );
}

/** The projects a service account reaches: its own, or every one for an organization-level one. */
function accountProjects(s: Session, sa: ServiceAccount): string[] {
  return sa.project ? [sa.project] : s.me.organization_projects;
}

/** The trusts, or `null` and why when the caller's role cannot list them. */
async function listTrusts(s: Session, id: string): Promise<{ trusts: ListedTrust[] | null; reason?: string }> {
  try {
    return { trusts: await s.api.serviceAccounts.trusts.list(id) };
  } catch (e) {
    if (e instanceof DirectCallError && (e.status === 403 || e.status === 404)) return { trusts: null, reason: `Not shown: ${e.message}` };
    throw e;
  }
}

async function serviceAccountPage(id: string): Promise<void> {
  const s = session!;
  // The trusts section's code loads with the account's data (it is not in the first load).
  const [sa, tokens, keys, listed, trustsUi] = await Promise.all([
    s.api.serviceAccounts.get(id),
    s.api.serviceAccounts.tokens.list(id),
    s.api.serviceAccounts.accessKeys.list(id),
    listTrusts(s, id),
    import('./trusts'),
  ]);
  const actions: TokenActions = {
    trusts: listed.trusts ?? [],
    rotate: (t) => s.api.serviceAccounts.tokens.rotate(id, t.id),
    revoke: (t) => s.api.serviceAccounts.tokens.revoke(id, t.id),
    refresh: () => void render(),
    usageHref: (t) => `/service-accounts/${encodeURIComponent(id)}/tokens/${encodeURIComponent(t.id)}/usage`,
  };
  // The account's calls over 30 days, all its credentials together (the audit log's actor
  // is the account's name), filled in when the API answers.
  const saUsage = h('p', { class: 'sa-usage', 'aria-live': 'polite' }, 'Usage: counting…');
  void s.api.audit
    .summary({ actor: sa.name, from: new Date(Date.now() - 30 * 86_400_000).toISOString() })
    .then((u) => {
      const last = u.last_call;
      saUsage.textContent =
        u.total === 0
          ? 'Usage: no calls in the last 30 days.'
          : `Usage: ${u.total.toLocaleString('en-US')} calls in the last 30 days (${u.allowed.toLocaleString('en-US')} allowed, ${u.denied.toLocaleString('en-US')} denied) from ${u.sources.length} address${u.sources.length === 1 ? '' : 'es'}` +
            (last ? `; last ${formatTime(last.time)} from ${last.source_ip ?? 'an unknown address'}: ${last.method} ${last.path}.` : '.');
    })
    .catch((e: Error) => (saUsage.textContent = `Usage: not shown (${e.message}).`));
  const newKey = async () => {
    try {
      const k = await s.api.serviceAccounts.accessKeys.create(id);
      await showSecretOnce('New S3 access key', k.secret, [h('p', {}, 'Access key ID: ', h('code', {}, k.id), '. Use the pair with any S3-compatible SDK.')], 'Secret access key');
    } catch (e) {
      announce(`Could not create the key: ${(e as Error).message}`, 'error');
    }
    void render();
  };
  const deleteKey = async (k: AccessKey) => {
    if (!(await confirmDialog(`Delete access key ${k.id}?`, 'Anything using it stops working at once. This cannot be undone.', 'Delete key'))) return;
    try {
      await s.api.serviceAccounts.accessKeys.delete(id, k.id);
      announce(`Deleted ${k.id}.`);
    } catch (e) {
      announce(`Could not delete the key: ${(e as Error).message}`, 'error');
    }
    void render();
  };
  page(
    `Service account ${sa.name}`,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Scope'),
      h('dd', {}, sa.project ?? 'organization (every project)'),
      h('dt', {}, 'Role'),
      h('dd', {}, roleLabel(sa.role)),
      h('dt', {}, 'Status'),
      h('dd', {}, sa.status),
      h('dt', {}, 'Client ID'),
      h('dd', {}, h('code', {}, sa.client_id ?? '—')),
      sa.description ? [h('dt', {}, 'Description'), h('dd', {}, sa.description)] : [],
    ),
    saUsage,
    h('h2', {}, 'API tokens'),
    h('p', {}, link(`/service-accounts/${encodeURIComponent(id)}/tokens/new`, '+ New token', 'button primary')),
    tokensTable(tokens, actions, `API tokens of ${sa.name}`),
    ...trustsUi.trustsSection({
      account: sa,
      trusts: listed.trusts,
      reason: listed.reason,
      tokenEndpoint: `${location.origin}/realms/${encodeURIComponent(sa.organization)}/protocol/openid-connect/token`,
      newHref: `/service-accounts/${encodeURIComponent(id)}/trusts/new`,
      remove: (t) => s.api.serviceAccounts.trusts.delete(id, t.id),
      refresh: () => void render(),
    }),
    h('h2', {}, 'S3 access keys'),
    h('p', {}, h('button', { type: 'button', class: 'primary', onclick: () => void newKey() }, '+ New access key')),
    keys.length === 0
      ? h('p', { class: 'muted' }, 'No access keys.')
      : h(
          'table',
          { class: 'list' },
          h('caption', { class: 'visually-hidden' }, `Access keys of ${sa.name}`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Access key ID'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Actions'))),
          h(
            'tbody',
            {},
            ...keys.map((k) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('code', {}, k.id)),
                h('td', {}, formatTime(k.created_at)),
                h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${k.id}`, onclick: () => void deleteKey(k) }, 'Delete')),
              ),
            ),
          ),
        ),
    h('p', {}, link('/service-accounts', '← All service accounts')),
  );
}

async function newServiceAccountTokenPage(id: string): Promise<void> {
  const s = session!;
  const [sa, tokens] = await Promise.all([s.api.serviceAccounts.get(id), s.api.serviceAccounts.tokens.list(id)]);
  const back = `/service-accounts/${encodeURIComponent(id)}`;
  page(
    `New token for ${sa.name}`,
    tokenForm({
      owner: { type: 'service_account', ...saState(sa) },
      rolePossessive: 'the account’s',
      organization: sa.organization,
      organizationProjects: s.me.organization_projects,
      policy: s.me.policy,
      existingTokens: tokens,
      caller: { token: s.me.token, owner: s.me.owner },
      lockedProjects: sa.project ? [sa.project] : undefined,
      submitLabel: 'Create token',
      onCancel: () => navigate(back),
      onSubmit: async (draft) => {
        const created = await s.api.serviceAccounts.tokens.create(id, draft);
        await showSecretOnce(`Token “${created.token.name}” created for ${sa.name}`, created.secret, [], 'The new API token');
        navigate(back);
      },
    }),
  );
}

async function newTrustPage(id: string): Promise<void> {
  const s = session!;
  const [sa, trustsUi] = await Promise.all([s.api.serviceAccounts.get(id), import('./trusts')]);
  const back = `/service-accounts/${encodeURIComponent(id)}`;
  page(
    `Add a trusted issuer for ${sa.name}`,
    trustsUi.trustForm({
      accountProjects: accountProjects(s, sa),
      defaultAudience: `https://iam.clouddigit.ai/${sa.organization}`,
      onCancel: () => navigate(back),
      onSubmit: async (spec) => {
        const created = await s.api.serviceAccounts.trusts.create(id, spec);
        navigate(back);
        announce(`Added trust ${created.name}: CI jobs can now exchange their tokens for ${sa.name}'s.`);
      },
    }),
  );
}

// ---------------------------------------------------------------- audit log

// A chunk of its own (src/audit.ts), which loads the chart library's chunk when it draws.
async function auditLogPage(): Promise<void> {
  const s = session!;
  const ui = await import('./audit');
  await ui.auditPage({ api: s.api.audit, page, go: (url) => navigate(url), fail: showError });
}

// ---------------------------------------------------------------- audit streams

// The page's code is a chunk of its own (src/streams.ts), loaded when it opens.
async function auditStreamsPage(): Promise<void> {
  const s = session!;
  const ui = await import('./streams');
  await ui.streamsPage({ api: s.api.auditStreams, page, newHref: '/audit-streams/new', fail: showError });
}

async function newAuditStreamPage(): Promise<void> {
  const s = session!;
  const ui = await import('./streams');
  page(
    'New audit stream',
    ui.newStreamForm({
      create: s.api.auditStreams.create,
      onCancel: () => navigate('/audit-streams'),
      onCreated: (stream) => {
        navigate('/audit-streams');
        announce(`Created the stream “${stream.name}”.`);
      },
      fail: showError,
    }),
  );
}

void render();
