// Every API call of the console, in one place, through the SDK's `Client`
// (@clouddigit/sdk, docs/client.md): it builds the requests, follows the pages, retries,
// sends idempotency keys, and turns failures into typed errors (`AuthenticationError`
// on 401, `ValidationError` with `fieldErrors` on 422 or on local validation, ...).
// Secrets come back as `Secret` objects; the pages read them with `reveal()` only in the
// dialog that shows them once (dom.ts `showSecretOnce`).
//
// This module only adapts the Client to what the pages want: lists collected into
// arrays (the Client hands out async iterables), and whoami's optional fields filled in.
//
// Two exceptions, both calls the Client has no methods for yet, which `#send` makes
// itself with the same bearer, turning failures into a `DirectCallError` that carries
// what the SDK's errors do (status, code, field errors):
// * a service account's trusted issuers (OIDC trusts, docs/oidc.md): `serviceAccounts.trusts`;
// * the organization's audit streams (docs/audit.md, "Streams"): `auditStreams`, a small
//   typed wrapper over `/v1/audit/streams`. When the SDK's Client gains these calls, this
//   wrapper is what to replace.
// * a token's downscope (`tokens.downscope` and `serviceAccounts.tokens.downscope`);
// * the audit page's pages, counts and exports (docs/audit.md, "The console's audit
//   page"): `audit`, over `/v1/audit/events`, `/v1/audit/summary` and the export. The
//   Client's `audit.events()` walks every page; the page wants one page at a time, by
//   cursor, and filters (project, path) the Client's filter does not carry yet.
import { Client } from '@clouddigit/sdk';
import type {
  AccessKey,
  ApiToken,
  AuditEvent,
  AuditSummary,
  SeriesPoint,
  CreatedAccessKey,
  CreatedServiceAccount,
  CreatedToken,
  Creator,
  FieldError,
  OwnerState,
  ProjectRole,
  Rotation,
  Secret,
  ServiceAccount,
  TokenDraft,
  TokenPolicy,
  Trust,
  TrustSpec,
} from '@clouddigit/sdk';

export { ApiError, AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError } from '@clouddigit/sdk';
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
  /** Where the account's client-credentials bearers may be used from. */
  allowed_ips?: string[];
}

/** What the secret dialog needs of a secret: the SDK's `Secret`, read with `reveal()`. */
export type Revealable = Pick<Secret, 'reveal' | 'toString' | 'toJSON'>;

/** `CreatedServiceAccount`, its client secret a `Secret`. */
export interface NewServiceAccount extends Omit<CreatedServiceAccount, 'client_secret'> {
  client_secret: Revealable;
}

/** A trust as the API lists it: what it says, and where it sits in the credential tree. */
export interface ListedTrust extends Trust {
  id: string;
  service_account: string;
  created_at: string;
  created_by: Creator | null;
  /** The credential that made it: revoking that removes the trust and what it minted. */
  parent_id: string | null;
}

/**
 * A call `#send` made that the API refused (or that never reached it: `status` 0), shaped
 * like the SDK's `ApiError`: the API's `code`, and for a 422 every bad field in `fieldErrors`.
 */
export class DirectCallError extends Error {
  override name = 'DirectCallError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

/** The trusts' name for it (trusts.ts). */
export { DirectCallError as TrustCallError };

// ---- audit streams (docs/audit.md), the API's shapes as `/v1/audit/streams` answers them

export type StreamFormat = 'json' | 'ocsf' | 'cloudtrail';

export type StreamSink =
  | { type: 'webhook'; url: string }
  | { type: 'syslog'; host: string; port: number }
  | { type: 's3'; bucket: string; prefix?: string | null };

export interface StreamHealth {
  state: 'healthy' | 'failing' | 'paused';
  last_delivery_at: string | null;
  last_attempt_at: string | null;
  /** Why the last attempt failed, until one succeeds (never a secret). */
  last_error: string | null;
  failing_since: string | null;
  delivered: number;
  dropped: number;
  /** Events waiting in the stream's outbox. */
  buffered: number;
  /** The age of the oldest waiting event (0 when none waits). */
  lag_seconds: number;
}

export interface AuditStream {
  id: string;
  name: string;
  format: StreamFormat;
  sink: StreamSink;
  status: 'active' | 'paused';
  created_at: string;
  created_by: string | null;
  health: StreamHealth;
}

export interface StreamCreateBody {
  name: string;
  format: StreamFormat;
  sink: StreamSink;
}

/** `POST …/{id}/test`: one test event sent to the sink now. */
export interface StreamTestResult {
  delivered: boolean;
  error: string | null;
  elapsed_ms: number;
}

/**
 * A secret the API answers as plain JSON (a webhook's signing secret), held the way the
 * SDK's `Secret` is: read with `reveal()` by the dialog that shows it once, redacted when
 * printed or serialized.
 */
export class OnceSecret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
}

/** A new stream, and for a webhook the secret its deliveries are signed with (this answer only). */
export interface NewAuditStream {
  stream: AuditStream;
  signing_secret: OnceSecret | null;
}

/** Every item of one of the Client's lists (it follows `next_cursor` itself). */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

// ---- the audit log (docs/audit.md), the API's shapes

/** The audit page's filters, as the API's query parameters take them (and the page's URL). */
export interface AuditView {
  actor?: string;
  token_prefix?: string;
  project?: string;
  status?: string;
  path?: string;
  from?: string;
  to?: string;
}

/** A page of the log as `/v1/audit/events` answers it. */
export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

/** The audit shapes, generated from the core (`AuditSummary` is what `/v1/audit/summary` answers). */
export type { AuditEvent, AuditSummary, SeriesPoint };

export type ExportFormat = 'jsonl' | 'ocsf' | 'csv';

function auditQuery(view: AuditView, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...view, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class ConsoleApi {
  readonly client: Client;
  readonly #baseUrl: string;
  readonly #token: string;

  /** Throws the SDK's `ConfigError` for a token with a bad checksum, before any call. */
  constructor(opts: { baseUrl: string; token: string }) {
    this.client = new Client({ baseUrl: opts.baseUrl, token: opts.token });
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#token = opts.token;
  }

  /** One request the Client has no call for (see the header): the parsed JSON answer, or a `DirectCallError`. */
  async #send(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, raw = false): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#token}`, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      // The API answers a repeated key with the first answer, as it does for the Client's creates.
      headers['Idempotency-Key'] = crypto.randomUUID();
    }
    let r: Response;
    try {
      r = await fetch(`${this.#baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch (e) {
      throw new DirectCallError(0, 'transport', `The API could not be reached: ${(e as Error).message}`);
    }
    if (r.status === 204) return null;
    if (raw && r.ok) return r.blob();
    const json: unknown = await r.json().catch(() => null);
    if (r.ok) return json;
    const e = (json ?? {}) as { code?: string; message?: string; errors?: FieldError[]; request_id?: string };
    throw new DirectCallError(r.status, e.code ?? `http_${r.status}`, e.message ?? `HTTP ${r.status}`, e.errors ?? [], e.request_id ?? null);
  }

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
    /** A rotation into `permissions` (each within the token's own: the API refuses more). Sent directly (see the header). */
    downscope: async (id: string, permissions: string[]): Promise<Rotation> => {
      const r = (await this.#send('POST', `/iam/tokens/${encodeURIComponent(id)}/downscope`, { permissions })) as Omit<Rotation, 'secret'> & { secret: string };
      return { ...r, secret: new OnceSecret(r.secret) } as unknown as Rotation;
    },
  };

  readonly serviceAccounts = {
    /** Project accounts of `project`, or the organization-level ones with `null`. */
    list: (project: string | null): Promise<ServiceAccount[]> =>
      project === null
        ? collect(this.client.serviceAccounts.listOrg())
        : collect(this.client.serviceAccounts.list({ project })),
    get: (id: string): Promise<ServiceAccount> => this.client.serviceAccounts.get(id),
    /** Without a project, an organization-level account. */
    create: (body: ServiceAccountBody): Promise<NewServiceAccount> => {
      const { project, ...rest } = body;
      return this.client.serviceAccounts.create(project === null ? rest : { ...rest, project });
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
      /** A rotation into `permissions` (each within the token's own). Sent directly (see the header). */
      downscope: async (saId: string, tokenId: string, permissions: string[]): Promise<Rotation> => {
        const path = `/iam/service-accounts/${encodeURIComponent(saId)}/tokens/${encodeURIComponent(tokenId)}/downscope`;
        const r = (await this.#send('POST', path, { permissions })) as Omit<Rotation, 'secret'> & { secret: string };
        return { ...r, secret: new OnceSecret(r.secret) } as unknown as Rotation;
      },
    },
    accessKeys: {
      list: (saId: string): Promise<AccessKey[]> => collect(this.client.serviceAccounts.accessKeys.list(saId)),
      create: (saId: string): Promise<CreatedAccessKey> => this.client.serviceAccounts.accessKeys.create(saId),
      delete: (saId: string, keyId: string): Promise<void> => this.client.serviceAccounts.accessKeys.delete(saId, keyId),
    },
    /** Trusted OIDC issuers (docs/oidc.md); failures are `DirectCallError`s. */
    trusts: {
      list: async (saId: string): Promise<ListedTrust[]> =>
        ((await this.#send('GET', trustsPath(saId))) as { trusts: ListedTrust[] }).trusts,
      /** 201 with the trust; 422 with `fieldErrors` (the core's rules, as the form checks them). */
      create: async (saId: string, spec: TrustSpec): Promise<ListedTrust> =>
        (await this.#send('POST', trustsPath(saId), spec)) as ListedTrust,
      /** Revokes every token the trust minted. */
      delete: async (saId: string, trustId: string): Promise<void> => {
        await this.#send('DELETE', `${trustsPath(saId)}/${encodeURIComponent(trustId)}`);
      },
    },
  };

  /**
   * The organization's audit streams (organization admins only: others get a 403), sent by
   * `#send` because the SDK's Client has no calls for them yet (see the header).
   */
  readonly auditStreams = {
    list: async (): Promise<AuditStream[]> => ((await this.#send('GET', STREAMS)) as { streams: AuditStream[] }).streams,
    /** 201 with the stream (and a webhook's signing secret, shown once); 422 with `fieldErrors`. */
    create: async (body: StreamCreateBody): Promise<NewAuditStream> => {
      const r = (await this.#send('POST', STREAMS, body)) as { stream: AuditStream; signing_secret: string | null };
      return { stream: r.stream, signing_secret: r.signing_secret ? new OnceSecret(r.signing_secret) : null };
    },
    pause: async (id: string): Promise<AuditStream> => (await this.#send('POST', `${streamPath(id)}/pause`)) as AuditStream,
    /** Also retries what waits at once. */
    resume: async (id: string): Promise<AuditStream> => (await this.#send('POST', `${streamPath(id)}/resume`)) as AuditStream,
    /** Sends one test event now, outside the queue; a success retries what waits at once. */
    test: async (id: string): Promise<StreamTestResult> => (await this.#send('POST', `${streamPath(id)}/test`)) as StreamTestResult,
    /** The stream and the events it had yet to deliver (the audit log keeps them). */
    delete: async (id: string): Promise<void> => {
      await this.#send('DELETE', streamPath(id));
    },
  };

  /** The audit log as the audit page reads it: a page by cursor, the counts, an export. */
  readonly audit = {
    page: async (view: AuditView, cursor?: string, limit = 50): Promise<AuditPage> =>
      (await this.#send('GET', `/audit/events${auditQuery(view, { cursor, limit: String(limit) })}`)) as AuditPage,
    summary: async (view: AuditView): Promise<AuditSummary> => (await this.#send('GET', `/audit/summary${auditQuery(view)}`)) as AuditSummary,
    /** Every matching event (up to the API's 100,000) as JSON lines, OCSF JSON lines or CSV. */
    export: async (view: AuditView, format: ExportFormat): Promise<Blob> =>
      (await this.#send('GET', `/audit/events/export${auditQuery(view, { format: format === 'jsonl' ? 'json' : format })}`, undefined, true)) as Blob,
  };
}

const STREAMS = '/audit/streams';

function streamPath(id: string): string {
  return `${STREAMS}/${encodeURIComponent(id)}`;
}

function trustsPath(saId: string): string {
  return `/iam/service-accounts/${encodeURIComponent(saId)}/trusts`;
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
