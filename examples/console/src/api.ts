// Every API call of the console, in one place.
//
// TODO(issue 7): switch to the SDK's `Client` (docs/client.md) once it is in the built
// package (`grep -c "class Client" dist/wasm/clouddigit_wasm.d.ts`): `new Client({baseUrl,
// token})`, `whoami()`, `tokens.list/create/rotate/revoke`, `serviceAccounts...`, with
// secrets read through `secret.reveal()`. Until then this module speaks the sandbox's REST
// API (sandbox/openapi.json) with fetch, behind the same shapes, so the pages do not change.
import type {
  OwnerState,
  ProjectRole,
  Token,
  TokenDraft,
  TokenPolicy,
} from '@clouddigit/sdk';

export interface ApiToken extends Token {
  last_used_at?: string | null;
  kind?: string;
  replaced_by?: string | null;
}

export interface Whoami {
  token: ApiToken;
  owner: OwnerState;
  organization_projects: string[];
  policy: TokenPolicy | null;
  ip: string | null;
}

export interface ServiceAccount {
  id: string;
  name: string;
  description?: string;
  organization: string;
  project: string | null;
  role: ProjectRole;
  status: 'active' | 'disabled' | 'deleted';
  tag_selector?: Record<string, string>;
  client_id?: string;
  level?: 'project' | 'organization';
  created_at?: string;
}

export interface ServiceAccountBody {
  name: string;
  description?: string;
  /** `null`: an organization-level account. */
  project: string | null;
  role: ProjectRole;
  tag_selector?: Record<string, string>;
}

export interface AccessKey {
  id: string;
  service_account: string;
  created_at: string;
}

/** A secret read once from a create or rotate response; the pages show it once. */
export interface CreatedToken {
  token: ApiToken;
  secret: string;
}
export interface Rotation {
  token: ApiToken;
  secret: string;
  replaces: ApiToken;
}
export interface CreatedServiceAccount {
  service_account: ServiceAccount;
  client_id: string;
  client_secret: string;
}
export interface CreatedAccessKey extends AccessKey {
  secret: string;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** What a failed call says: HTTP status, the API's code and message, field errors. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Json = Record<string, unknown>;

export class ConsoleApi {
  private readonly baseUrl: string;
  private readonly token: string;

  constructor(opts: { baseUrl: string; token: string }) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.token = opts.token;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method === 'POST') headers['Idempotency-Key'] = crypto.randomUUID();
    let resp: Response;
    try {
      resp = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(`cannot reach the API: ${(e as Error).message}`, 0, 'transport');
    }
    const text = await resp.text();
    let parsed: Json = {};
    try {
      parsed = text ? (JSON.parse(text) as Json) : {};
    } catch {
      parsed = {};
    }
    if (!resp.ok) {
      throw new ApiError(
        typeof parsed.message === 'string' ? parsed.message : `HTTP ${resp.status}`,
        resp.status,
        typeof parsed.code === 'string' ? parsed.code : 'http',
        Array.isArray(parsed.errors) ? (parsed.errors as FieldError[]) : [],
      );
    }
    return parsed as T;
  }

  /** Every item of a paginated list (`?cursor=` until `next_cursor` is null). */
  private async all<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const url: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
      const page: Json = await this.call<Json>('GET', url);
      items.push(...((page[key] as T[] | undefined) ?? []));
      cursor = typeof page.next_cursor === 'string' ? page.next_cursor : null;
    } while (cursor);
    return items;
  }

  whoami(): Promise<Whoami> {
    return this.call<Whoami>('GET', '/v1/iam/whoami');
  }

  readonly tokens = {
    list: (): Promise<ApiToken[]> => this.all<ApiToken>('/v1/iam/tokens', 'tokens'),
    create: (draft: TokenDraft): Promise<CreatedToken> =>
      this.call<CreatedToken>('POST', '/v1/iam/tokens', tokenBody(draft)),
    rotate: (id: string): Promise<Rotation> =>
      this.call<Rotation>('POST', `/v1/iam/tokens/${enc(id)}/rotate`),
    revoke: (id: string): Promise<ApiToken> =>
      this.call<ApiToken>('DELETE', `/v1/iam/tokens/${enc(id)}`),
  };

  readonly serviceAccounts = {
    /** Project accounts of `project`, or the organization-level ones with `null`. */
    list: (project: string | null): Promise<ServiceAccount[]> => {
      const path =
        project === null
          ? '/v1/org/service-accounts'
          : `/v1/iam/service-accounts?project=${encodeURIComponent(project)}`;
      return this.all<ServiceAccount>(path, 'service_accounts');
    },
    get: (id: string): Promise<ServiceAccount> =>
      this.call<ServiceAccount>('GET', `/v1/iam/service-accounts/${enc(id)}`),
    create: (body: ServiceAccountBody): Promise<CreatedServiceAccount> =>
      body.project === null
        ? this.call('POST', '/v1/org/service-accounts', { ...body, project: undefined })
        : this.call('POST', '/v1/iam/service-accounts', body),
    tokens: {
      list: (saId: string): Promise<ApiToken[]> =>
        this.all<ApiToken>(`/v1/iam/service-accounts/${enc(saId)}/tokens`, 'tokens'),
      create: (saId: string, draft: TokenDraft): Promise<CreatedToken> =>
        this.call('POST', `/v1/iam/service-accounts/${enc(saId)}/tokens`, tokenBody(draft)),
      rotate: (saId: string, tokenId: string): Promise<Rotation> =>
        this.call('POST', `/v1/iam/service-accounts/${enc(saId)}/tokens/${enc(tokenId)}/rotate`),
      revoke: (saId: string, tokenId: string): Promise<ApiToken> =>
        this.call('DELETE', `/v1/iam/service-accounts/${enc(saId)}/tokens/${enc(tokenId)}`),
    },
    accessKeys: {
      list: async (saId: string): Promise<AccessKey[]> =>
        (await this.call<{ access_keys: AccessKey[] }>('GET', `/v1/iam/service-accounts/${enc(saId)}/access-keys`)).access_keys,
      create: (saId: string): Promise<CreatedAccessKey> =>
        this.call('POST', `/v1/iam/service-accounts/${enc(saId)}/access-keys`),
      delete: (saId: string, keyId: string): Promise<void> =>
        this.call('DELETE', `/v1/iam/service-accounts/${enc(saId)}/access-keys/${enc(keyId)}`),
    },
  };
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** The form's draft as the REST body (the SDK's Client does this itself). */
function tokenBody(draft: TokenDraft): Json {
  const body: Json = {
    name: draft.name,
    projects: draft.projects,
    permissions: draft.permissions ?? 'inherit',
  };
  body.allowed_ips = draft.allowed_ips ?? [];
  const expiry = draft.expiry ?? '90d';
  if (expiry === 'never') body.expires_at = null;
  else if (typeof expiry === 'string') body.expires_in_days = Number.parseInt(expiry, 10);
  else {
    // A date means the end of that day, as the validation's preview says.
    const d = /^\d{4}-\d{2}-\d{2}$/.test(expiry.custom)
      ? new Date(Date.parse(`${expiry.custom}T00:00:00Z`) + 86_400_000).toISOString()
      : expiry.custom;
    body.expires_at = d;
  }
  return body;
}

/** The origin the console was served from is the API (the sandbox serves both). */
export function connect(token: string): ConsoleApi {
  return new ConsoleApi({ baseUrl: window.location.origin, token });
}

/** Where the sandbox wrote the owner's token (served by the sandbox next to the page). */
export async function sandboxInfo(): Promise<{ token_file: string | null }> {
  try {
    const r = await fetch('/console.json', { cache: 'no-store' });
    if (r.ok) return (await r.json()) as { token_file: string | null };
  } catch {
    /* not served by the sandbox */
  }
  return { token_file: null };
}
