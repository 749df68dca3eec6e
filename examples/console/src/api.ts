// Every API call of the console, in one place, through the SDK's `Client`
// (@clouddigit/sdk, docs/client.md): it builds the requests, follows the pages, retries,
// sends idempotency keys, and turns failures into typed errors (`AuthenticationError`
// on 401, `ValidationError` with `fieldErrors` on 422 or on local validation, ...).
// Secrets come back as `Secret` objects; the pages read them with `reveal()` only in the
// dialog that shows them once (dom.ts `showSecretOnce`).
//
// This module only adapts the Client to what the pages want: lists collected into
// arrays (the Client hands out async iterables), and whoami's optional fields filled in.
import {
  ApiError,
  AuthenticationError,
  Client,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TransportError,
  ValidationError,
} from '@clouddigit/sdk';
import type {
  AccessKey,
  ApiToken,
  CreatedAccessKey,
  CreatedServiceAccount,
  CreatedToken,
  FieldError,
  OwnerState,
  ProjectRole,
  Rotation,
  Secret,
  ServiceAccount,
  TokenDraft,
  TokenPolicy,
} from '@clouddigit/sdk';

export { ApiError, AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError };
export type { AccessKey, ApiToken, CreatedAccessKey, CreatedServiceAccount, CreatedToken, Rotation, ServiceAccount };

/** `whoami()` with the optional fields the pages rely on filled in. */
export interface Whoami {
  token: ApiToken;
  owner: OwnerState;
  organization_projects: string[];
  policy: TokenPolicy | null;
  ip: string | null;
}

export interface ServiceAccountBody {
  name: string;
  description?: string;
  /** `null`: an organization-level account. */
  project: string | null;
  role: ProjectRole;
  tag_selector?: Record<string, string>;
}

/** What the secret dialog needs of a secret: the SDK's `Secret`, read with `reveal()`. */
export type Revealable = Pick<Secret, 'reveal' | 'toString' | 'toJSON'>;

/** `CreatedServiceAccount`, whichever way it was created (see `OrgServiceAccounts`). */
export interface NewServiceAccount extends Omit<CreatedServiceAccount, 'client_secret'> {
  client_secret: Revealable;
}

/** Every item of one of the Client's lists (it follows `next_cursor` itself). */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export class ConsoleApi {
  readonly client: Client;

  /** Throws the SDK's `ConfigError` for a token with a bad checksum, before any call. */
  constructor(opts: { baseUrl: string; token: string }) {
    this.client = new Client({ baseUrl: opts.baseUrl, token: opts.token });
    this.org = new OrgServiceAccounts(opts.baseUrl, opts.token);
  }

  private readonly org: OrgServiceAccounts;

  async whoami(): Promise<Whoami> {
    const me = await this.client.whoami();
    return {
      token: me.token,
      owner: me.owner,
      organization_projects: me.organization_projects ?? [],
      policy: me.policy ?? null,
      ip: me.ip ?? null,
    };
  }

  readonly tokens = {
    list: (): Promise<ApiToken[]> => collect(this.client.tokens.list()),
    /** Validated locally first: a `ValidationError` with `fieldErrors`, and nothing sent. */
    create: (draft: TokenDraft): Promise<CreatedToken> => this.client.tokens.create(draft),
    rotate: (id: string): Promise<Rotation> => this.client.tokens.rotate(id),
    revoke: (id: string): Promise<ApiToken> => this.client.tokens.revoke(id),
  };

  readonly serviceAccounts = {
    /** Project accounts of `project`, or the organization-level ones with `null`. */
    list: (project: string | null): Promise<ServiceAccount[]> =>
      project === null ? this.org.list() : collect(this.client.serviceAccounts.list({ project })),
    get: (id: string): Promise<ServiceAccount> => this.client.serviceAccounts.get(id),
    create: (body: ServiceAccountBody): Promise<NewServiceAccount> => {
      const { project, ...rest } = body;
      return project === null ? this.org.create(rest) : this.client.serviceAccounts.create({ ...rest, project });
    },
    tokens: {
      list: (saId: string): Promise<ApiToken[]> => collect(this.client.serviceAccounts.tokens.list(saId)),
      /** Validated locally against the account first, like `tokens.create`. */
      create: (saId: string, draft: TokenDraft): Promise<CreatedToken> =>
        this.client.serviceAccounts.tokens.create(saId, draft),
      rotate: (saId: string, tokenId: string): Promise<Rotation> =>
        this.client.serviceAccounts.tokens.rotate(saId, tokenId),
      revoke: (saId: string, tokenId: string): Promise<ApiToken> =>
        this.client.serviceAccounts.tokens.revoke(saId, tokenId),
    },
    accessKeys: {
      list: (saId: string): Promise<AccessKey[]> => collect(this.client.serviceAccounts.accessKeys.list(saId)),
      create: (saId: string): Promise<CreatedAccessKey> => this.client.serviceAccounts.accessKeys.create(saId),
      delete: (saId: string, keyId: string): Promise<void> => this.client.serviceAccounts.accessKeys.delete(saId, keyId),
    },
  };
}

/**
 * Organization-level service accounts (`GET`/`POST /v1/org/service-accounts`).
 *
 * SDK GAP: the Client has no operation for these two routes. Its
 * `serviceAccounts.list()` without `project` and `serviceAccounts.create()` without
 * `project` go to `/v1/iam/service-accounts`, which lists a project's accounts and
 * refuses a create without a project (422 `project`: "org-level accounts: POST
 * /v1/org/service-accounts"). Until the Client covers them, these two calls stay on
 * fetch, and their failures are the SDK's own error classes, so the pages handle every
 * error one way. Drop this class when the Client gains them.
 */
class OrgServiceAccounts {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async list(): Promise<ServiceAccount[]> {
    const items: ServiceAccount[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
      const page = await this.call<{ service_accounts?: ServiceAccount[]; next_cursor?: string | null }>('GET', query);
      items.push(...(page.service_accounts ?? []));
      cursor = page.next_cursor ?? null;
    } while (cursor);
    return items;
  }

  async create(body: Omit<ServiceAccountBody, 'project'>): Promise<NewServiceAccount> {
    const r = await this.call<Omit<CreatedServiceAccount, 'client_secret'> & { client_secret: string }>('POST', '', body);
    return { ...r, client_secret: plainSecret(r.client_secret) };
  }

  private async call<T>(method: 'GET' | 'POST', query: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method === 'POST') headers['Idempotency-Key'] = crypto.randomUUID();
    let resp: Response;
    try {
      resp = await fetch(`${this.baseUrl}/org/service-accounts${query}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw sdkError(TransportError, 'transport', 'transport', `cannot reach the API: ${(e as Error).message}`, null, []);
    }
    const text = await resp.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = {};
    }
    if (resp.ok) return parsed as T;
    const [cls, kind] = errorClass(resp.status);
    throw sdkError(
      cls,
      kind,
      typeof parsed.code === 'string' ? parsed.code : 'http',
      typeof parsed.message === 'string' ? parsed.message : `HTTP ${resp.status}`,
      resp.status,
      Array.isArray(parsed.errors) ? (parsed.errors as FieldError[]) : [],
      resp.headers.get('x-request-id'),
    );
  }
}

type ErrorClass = abstract new (...args: never[]) => ApiError;

/** The SDK's error class and kind for an HTTP status (docs/client.md, Errors). */
function errorClass(status: number): [ErrorClass, string] {
  if (status === 401) return [AuthenticationError, 'authentication'];
  if (status === 403) return [PermissionDeniedError, 'permission_denied'];
  if (status === 404) return [NotFoundError, 'not_found'];
  if (status === 409) return [ConflictError, 'conflict'];
  if (status === 422) return [ValidationError, 'validation'];
  if (status === 429) return [RateLimitError, 'rate_limited'];
  if (status >= 500) return [ServerError, 'server'];
  return [ApiError, 'http'];
}

/** One of the SDK's error classes, built as the SDK builds them (code, message, details). */
function sdkError(
  cls: ErrorClass,
  kind: string,
  code: string,
  message: string,
  status: number | null,
  fieldErrors: FieldError[],
  requestId: string | null = null,
): ApiError {
  const Ctor = cls as unknown as new (code: string, message: string, details: object) => ApiError;
  return new Ctor(code, message, { kind, status, fieldErrors, requestId, retries: 0, retryAfterMs: null });
}

/** A client secret from the org-level fallback, redacted when printed like the SDK's `Secret`. */
function plainSecret(value: string): Revealable {
  const shown = `${value.slice(0, 4)}…[redacted]`;
  return { reveal: () => value, toString: () => shown, toJSON: () => shown };
}

/** The console is served by the API's origin (the sandbox serves both); the API is under /v1. */
export function connect(token: string): ConsoleApi {
  return new ConsoleApi({ baseUrl: `${window.location.origin}/v1`, token });
}

/**
 * Where the sandbox wrote the owner's token, for the sign-in page. Plain fetch on
 * purpose: `/console.json` is served by the sandbox next to the page and is not part of
 * the Cloud Digit API, so the SDK has no call for it.
 */
export async function sandboxInfo(): Promise<{ token_file: string | null }> {
  try {
    const r = await fetch('/console.json', { cache: 'no-store' });
    if (r.ok) return (await r.json()) as { token_file: string | null };
  } catch {
    /* not served by the sandbox */
  }
  return { token_file: null };
}
