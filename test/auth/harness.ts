/**
 * Drives an auth backend the way the core does, without the core: an in-memory KeyValueStore
 * under a StorageView, a settable clock, and a router that picks the first PathDef whose anchored
 * pattern matches (LIST paths get a trailing '/'), resolves writes to create/update through the
 * existence check, and maps results and LogicalErrors to the status a client would see.
 */
import type { AuthRenewResult, AuthResult, Backend, BackendContext, ConnectionInfo, LogicalResponse, Operation } from '../../src/core/logical.js';
import { LogicalError } from '../../src/core/logical.js';
import { StorageView, type KeyValueStore } from '../../src/core/storage-view.js';
import type { TxnOp } from '../../src/storage/physical.js';

export class MemoryStore implements KeyValueStore {
  readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<Buffer | undefined> {
    const v = this.entries.get(key);
    return v === undefined ? undefined : Buffer.from(v);
  }
  async put(key: string, value: Buffer): Promise<void> {
    this.entries.set(key, Buffer.from(value));
  }
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    const children = new Set<string>();
    for (const key of this.entries.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
    }
    return [...children].filter((c) => c !== '').sort();
  }
  async txn(ops: TxnOp[]): Promise<void> {
    for (const op of ops) {
      if (op.op === 'put') this.entries.set(op.key, Buffer.from(op.value));
      else this.entries.delete(op.key);
    }
  }
  /** All stored bytes as one string, for "the secret never reaches storage" checks. */
  dump(): string {
    return [...this.entries.entries()].map(([k, v]) => `${k}=${v.toString('utf8')}`).join('\n');
  }
}

export type Call = 'read' | 'write' | 'delete' | 'list';

export interface Result {
  status: number;
  response?: LogicalResponse;
  data?: Record<string, unknown> | null;
  warnings?: string[];
  error?: string;
}

export const T0 = Date.parse('2024-03-01T12:00:00.000Z');

export class AuthHarness {
  readonly store = new MemoryStore();
  readonly view = new StorageView(this.store, 'auth/0001/');
  nowMs = T0;
  readonly backend: Backend;
  private readonly compiled: Array<{ re: RegExp; def: Backend['paths'][number] }>;
  connection: ConnectionInfo = { remoteAddress: '127.0.0.1', remotePort: 50000 };

  constructor(make: (ctx: BackendContext) => Backend, opts: { maxLeaseTtl?: number; defaultLeaseTtl?: number } = {}) {
    this.backend = make({
      mountPoint: 'auth/test/',
      options: {},
      effectiveTtls: () => ({ defaultLeaseTtl: opts.defaultLeaseTtl ?? 2764800, maxLeaseTtl: opts.maxLeaseTtl ?? 2764800 }),
      now: () => new Date(this.nowMs),
    });
    this.compiled = this.backend.paths.map((def) => ({ re: new RegExp(`^(?:${def.pattern})$`), def }));
  }

  advance(seconds: number): void {
    this.nowMs += seconds * 1000;
  }

  /** True if the path is declared unauthenticated (login paths). */
  isUnauthenticated(path: string): boolean {
    return this.compiled.find(({ re }) => re.test(path))?.def.unauthenticated === true;
  }

  async call(call: Call, path: string, data: Record<string, unknown> = {}, connection?: Partial<ConnectionInfo>): Promise<Result> {
    const relativePath = call === 'list' && !path.endsWith('/') ? `${path}/` : path;
    const hit = this.compiled.map(({ re, def }) => ({ m: re.exec(relativePath), def })).find((x) => x.m !== null);
    if (!hit || !hit.m) return { status: 404, error: 'unsupported path' };
    const def = hit.def;
    const base = {
      id: 'req-1',
      operation: 'read' as Operation,
      path: `auth/test/${relativePath}`,
      mountPoint: 'auth/test/',
      relativePath,
      data,
      params: { ...(hit.m.groups ?? {}) } as Record<string, string>,
      clientToken: '',
      storage: this.view,
      headers: {},
      connection: { ...this.connection, ...(connection ?? {}) },
    };
    let op: Operation;
    if (call === 'write') {
      if (!def.existenceCheck) op = def.operations.create && !def.operations.update ? 'create' : 'update';
      else op = (await def.existenceCheck({ ...base, operation: 'update' })) ? 'update' : 'create';
    } else op = call;
    const handler = def.operations[op] ?? (op === 'create' ? def.operations.update : op === 'update' ? def.operations.create : undefined);
    if (!handler) return { status: 405, error: 'unsupported operation' };
    try {
      const res = (await handler({ ...base, operation: op })) ?? undefined;
      if (res === undefined) return { status: call === 'read' || call === 'list' ? 404 : 204 };
      return {
        status: res.statusCode ?? 200,
        response: res,
        ...(res.data !== undefined ? { data: res.data } : {}),
        ...(res.warnings !== undefined ? { warnings: res.warnings } : {}),
      };
    } catch (e) {
      if (e instanceof LogicalError) return { status: e.status, error: e.message };
      throw e;
    }
  }

  /**
   * Renews a login token the way the core asks the backend: with the token's policies (as the
   * core stores them: lower-cased, `default` added), metadata and internalData from the login.
   */
  async renew(auth: AuthResult, connection?: Partial<ConnectionInfo>): Promise<{ status: number; error?: string; ttls?: AuthRenewResult }> {
    if (!this.backend.renewAuth) throw new Error(`backend ${this.backend.type} has no renewAuth`);
    const policies = new Set(auth.policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''));
    if (!auth.noDefaultPolicy) policies.add('default');
    try {
      const ttls = await this.backend.renewAuth({
        path: 'login',
        metadata: { ...(auth.metadata ?? {}) },
        policies: [...policies].sort(),
        internalData: { ...(auth.internalData ?? {}) },
        issueTime: new Date(this.nowMs),
        storage: this.view,
        connection: { ...this.connection, ...(connection ?? {}) },
      });
      return { status: 200, ...(ttls ? { ttls } : {}) };
    } catch (e) {
      if (e instanceof LogicalError) return { status: e.status, error: e.message };
      throw e;
    }
  }

  read(path: string, data?: Record<string, unknown>): Promise<Result> {
    return this.call('read', path, data);
  }
  write(path: string, data?: Record<string, unknown>, connection?: Partial<ConnectionInfo>): Promise<Result> {
    return this.call('write', path, data, connection);
  }
  delete(path: string, data?: Record<string, unknown>): Promise<Result> {
    return this.call('delete', path, data);
  }
  list(path: string): Promise<Result> {
    return this.call('list', path);
  }
}

/** Asserts a write succeeded with 200/204 and returns its data; throws with the error otherwise. */
export async function ok(p: Promise<Result>): Promise<Record<string, unknown>> {
  const r = await p;
  if (r.status !== 200 && r.status !== 204) throw new Error(`expected success, got ${r.status}: ${r.error ?? ''}`);
  return (r.data ?? {}) as Record<string, unknown>;
}

/** The AuthResult of a successful login; throws with the error otherwise. */
export async function loginAuth(p: Promise<Result>): Promise<AuthResult> {
  const r = await p;
  const auth = r.response?.auth;
  if (r.status !== 200 || !auth) throw new Error(`expected a login, got ${r.status}: ${r.error ?? ''}`);
  return auth;
}
