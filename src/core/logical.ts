/**
 * The logical layer: what a backend (secrets engine, auth method, the system backend) sees.
 * The HTTP layer turns a client request into a LogicalRequest; the core routes it to the mount's
 * backend, which returns a LogicalResponse (or throws a LogicalError) that the HTTP layer renders
 * into Vault's JSON envelope.
 */
import type { Readable } from 'node:stream';
import type { StorageView } from './storage-view.js';
import type { TokenEntry } from './token-entry.js';

export type Operation = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'help';

export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
  /** DER of the TLS client certificate chain, leaf first, when the client presented one. */
  peerCertificates?: Buffer[];
}

export interface LogicalRequest {
  id: string;
  operation: Operation;
  /** Full path without the leading `/v1/`, e.g. `secret/data/app`. List ops end in `/`. */
  path: string;
  /** The mount this request was routed to, e.g. `secret/` or `auth/token/`. */
  mountPoint: string;
  /** Path relative to the mount, e.g. `data/app`. */
  relativePath: string;
  /** Body fields (and, for GET/DELETE/LIST, query parameters). */
  data: Record<string, unknown>;
  /** Path parameters captured by the matched path pattern's named groups. */
  params: Record<string, string>;
  clientToken: string;
  /** The caller's token entry; undefined on unauthenticated paths. */
  token?: TokenEntry;
  /** The mount's own storage, prefix-scoped, behind the barrier. */
  storage: StorageView;
  headers: Record<string, string>;
  connection: ConnectionInfo;
  /** Requested response-wrapping TTL in seconds (X-Vault-Wrap-TTL), if any. */
  wrapTtl?: number;
  /** Raw request body, for the few endpoints that take non-JSON (OCSP, snapshots). */
  rawBody?: Buffer;
  /** The request body as a stream, for the few endpoints that must not buffer it (snapshot restore). */
  bodyStream?: Readable;
  contentType?: string;
  /** Set by the core: the caller's ACL grants `sudo` on this path (or the caller is root). */
  hasSudo?: boolean;
}

/** A secret that should be leased (e.g. dynamic credentials, PKI leases). */
export interface SecretLease {
  /** Seconds; 0 = the mount's default lease TTL. */
  ttl: number;
  /** Seconds; 0 = the mount's max lease TTL. */
  maxTtl?: number;
  renewable: boolean;
  /** Backend data kept with the lease (not returned to the client), handed back on renew/revoke. */
  internalData?: Record<string, unknown>;
}

/** What a login or token-creating handler returns; the core turns it into a token. */
export interface AuthResult {
  policies: string[];
  tokenPolicies?: string[];
  metadata?: Record<string, string>;
  displayName?: string;
  /** Seconds; 0 = mount/system default. */
  ttl?: number;
  maxTtl?: number;
  explicitMaxTtl?: number;
  period?: number;
  numUses?: number;
  renewable?: boolean;
  tokenType?: 'service' | 'batch' | 'default';
  noDefaultPolicy?: boolean;
  boundCidrs?: string[];
  /** Login tokens are orphans; token/create may attach to a parent. */
  orphan?: boolean;
  alias?: { name: string; metadata?: Record<string, string> };
  internalData?: Record<string, unknown>;
}

export interface RawResponse {
  status: number;
  contentType: string;
  /** A Readable streams (snapshots); anything else is sent at once. */
  body: Buffer | string | Readable;
  headers?: Record<string, string>;
}

export interface LogicalResponse {
  data?: Record<string, unknown> | null;
  warnings?: string[];
  secret?: SecretLease;
  auth?: AuthResult;
  /** Replaces the JSON envelope with raw bytes (certificates, CRLs, OCSP, snapshots). */
  raw?: RawResponse;
  /** Overrides the HTTP status (e.g. KV v2's 404 that still carries data). */
  statusCode?: number;
  /**
   * Emit each `data` key also at the top level beside the envelope (Vault's legacy "injection" on
   * sys/mounts, sys/auth, sys/policy, sys/capabilities …).
   */
  injectData?: boolean;
  /** Return this object verbatim as the JSON body (sys/health, sys/init, sys/seal-status …). */
  bareJson?: unknown;
  /** A token the token store already created (auth/token/create*); rendered as `auth`. */
  issuedToken?: { token: string; entry: TokenEntry };
  /** An existing lease being reported (sys/leases/renew): rendered into the envelope's lease fields. */
  renewedLease?: { leaseId: string; renewable: boolean; leaseDuration: number };
}

/**
 * A client mistake or a refused request. Status 400 unless said otherwise; `data` is rendered
 * beside `errors` (Vault does this for a few endpoints).
 */
export class LogicalError extends Error {
  constructor(
    message: string,
    readonly status: number = 400,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'LogicalError';
  }
}

export const permissionDenied = (): LogicalError => new LogicalError('permission denied', 403);

export type Handler = (req: LogicalRequest) => Promise<LogicalResponse | undefined | void>;

/**
 * One declared path of a backend, after Vault's sdk/framework: a pattern relative to the mount
 * (a regular expression source, anchored by the router; named groups become `req.params`), the
 * operations it supports, and optionally an existence check that tells `create` from `update`
 * for POST/PUT (ACL distinguishes them).
 */
export interface PathDef {
  pattern: string;
  operations: Partial<Record<Operation, Handler>>;
  existenceCheck?: (req: LogicalRequest) => Promise<boolean>;
  /** Paths here need no token (e.g. `login`). */
  unauthenticated?: boolean;
  /** Paths that require `sudo` in addition to the operation's capability. */
  rootProtected?: boolean;
}

export interface LeaseContext {
  leaseId: string;
  /** The path that created the lease, relative to the mount. */
  path: string;
  data: Record<string, unknown>;
  internalData: Record<string, unknown>;
  issueTime: Date;
  storage: StorageView;
}

/** What an auth method sees when one of its login tokens is renewed. */
export interface AuthRenewContext {
  /** Path the token was issued on, relative to the mount (e.g. `login`, `login/alice`). */
  path: string;
  metadata: Record<string, string>;
  policies: string[];
  internalData: Record<string, unknown>;
  issueTime: Date;
  storage: StorageView;
  /** The renewing client's connection (cert auth re-checks the presented certificate). */
  connection: ConnectionInfo;
}

/** An auth method's answer to a renewal: the TTLs its role/user now allows (seconds; 0 = mount default). */
export interface AuthRenewResult {
  ttl?: number;
  maxTtl?: number;
}

export interface Backend {
  /** Mount type, e.g. `kv`, `pki`, `approle`. */
  readonly type: string;
  readonly paths: PathDef[];
  /** Called on unseal (or mount) before any request. */
  initialize?(storage: StorageView): Promise<void>;
  /** Called on unmount after the mount's leases are revoked; storage is then cleared by the core. */
  cleanup?(storage: StorageView): Promise<void>;
  /** Renew a lease; return the new TTL (seconds), or throw LogicalError. */
  renewSecret?(ctx: LeaseContext, increment: number): Promise<{ ttl: number; warnings?: string[] }>;
  /** Revoke a lease (delete credentials, revoke certificates …). */
  revokeSecret?(ctx: LeaseContext): Promise<void>;
  /**
   * Re-checks a login token on renewal (the role or user still exists, the certificate is still
   * trusted …). Throw LogicalError to refuse the renewal; return TTL limits to apply.
   */
  renewAuth?(ctx: AuthRenewContext): Promise<AuthRenewResult | void>;
}

export interface MountConfig {
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
  forceNoCache: boolean;
  auditNonHmacRequestKeys?: string[];
  auditNonHmacResponseKeys?: string[];
  listingVisibility?: string;
  passthroughRequestHeaders?: string[];
  allowedResponseHeaders?: string[];
  tokenType?: string;
}

/** What a backend factory receives when a mount is created or loaded. */
export interface BackendContext {
  mountPoint: string;
  options: Record<string, string>;
  /** Effective TTLs (mount tune, else system) — for backends that cap TTLs themselves. */
  effectiveTtls(): { defaultLeaseTtl: number; maxLeaseTtl: number };
  now(): Date;
}

export type BackendFactory = (ctx: BackendContext) => Backend;
