/**
 * Drives the PKI backend the way the core does, without the core: an in-memory KeyValueStore
 * under a StorageView, a settable clock and mount TTLs, and a router that picks the first PathDef
 * whose anchored pattern matches (LIST paths get a trailing '/'), resolves POST to create/update
 * with the existence check, and maps results to the status a client would see.
 */
import type { LogicalResponse, Operation } from '../../src/core/logical.js';
import { LogicalError } from '../../src/core/logical.js';
import { StorageView, type KeyValueStore } from '../../src/core/storage-view.js';
import { createPkiBackend, type PkiBackend } from '../../src/pki/backend.js';
import type { PkiOptions } from '../../src/pki/state.js';
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
  snapshot(): string {
    return JSON.stringify([...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString('base64')]));
  }
}

export interface Result {
  status: number;
  operation?: Operation;
  response?: LogicalResponse;
  data?: Record<string, unknown> | null;
  warnings?: string[];
  error?: string;
  unauthenticated?: boolean;
}

export class PkiHarness {
  readonly store: MemoryStore;
  readonly view: StorageView;
  nowMs = Date.now();
  defaultLeaseTtl = 768 * 3600;
  maxLeaseTtl = 768 * 3600;
  readonly backend: PkiBackend;
  private readonly compiled: Array<{ re: RegExp; def: PkiBackend['paths'][number] }>;

  /** Pass another harness's store to simulate a restart (same storage, fresh memory). */
  constructor(opts: PkiOptions = { rsaPoolSize: 0 }, store = new MemoryStore()) {
    this.store = store;
    this.view = new StorageView(this.store, 'logical/pki0/');
    this.backend = createPkiBackend(
      {
        mountPoint: 'pki/',
        options: {},
        effectiveTtls: () => ({ defaultLeaseTtl: this.defaultLeaseTtl, maxLeaseTtl: this.maxLeaseTtl }),
        now: () => new Date(this.nowMs),
      },
      opts,
    );
    this.compiled = this.backend.paths.map((def) => ({ re: new RegExp(`^(?:${def.pattern})$`), def }));
  }

  async init(): Promise<this> {
    await this.backend.initialize?.(this.view);
    return this;
  }

  async close(): Promise<void> {
    await this.backend.cleanup?.(this.view);
  }

  advance(seconds: number): void {
    this.nowMs += seconds * 1000;
  }

  async call(call: 'read' | 'write' | 'patch' | 'delete' | 'list', path: string, data: Record<string, unknown> = {}, body?: { raw: Buffer; contentType: string }): Promise<Result> {
    const relativePath = call === 'list' && !path.endsWith('/') ? `${path}/` : path;
    const hit = this.compiled.map(({ re, def }) => ({ m: re.exec(relativePath), def })).find((x) => x.m !== null);
    if (!hit || !hit.m) return { status: 404, error: `unsupported path: ${relativePath}` };
    const def = hit.def;
    const base = {
      id: 'req-1',
      operation: 'read' as Operation,
      path: `pki/${relativePath}`,
      mountPoint: 'pki/',
      relativePath,
      data,
      params: Object.fromEntries(Object.entries(hit.m.groups ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>,
      clientToken: 'hvs.test',
      storage: this.view,
      headers: {},
      connection: { remoteAddress: '127.0.0.1', remotePort: 1 },
      ...(body ? { rawBody: body.raw, contentType: body.contentType } : {}),
    };
    let op: Operation;
    if (call === 'write') {
      if (!def.existenceCheck) op = def.operations.create && !def.operations.update ? 'create' : 'update';
      else op = (await def.existenceCheck({ ...base, operation: 'update' })) ? 'update' : 'create';
    } else op = call;
    const handler = def.operations[op] ?? (op === 'create' ? def.operations.update : op === 'update' ? def.operations.create : undefined);
    if (!handler) return { status: 405, operation: op, error: 'unsupported operation' };
    try {
      const res = (await handler({ ...base, operation: op })) ?? undefined;
      if (res === undefined) return { status: call === 'read' || call === 'list' ? 404 : 204, operation: op };
      if (call === 'list') {
        const keys = (res.data as { keys?: unknown[] } | undefined)?.keys;
        if (!keys || keys.length === 0) return { status: 404, operation: op, response: res };
      }
      return {
        status: res.raw?.status ?? res.statusCode ?? (res.data === undefined && call !== 'read' ? (res.warnings ? 200 : 204) : 200),
        operation: op,
        response: res,
        ...(res.data !== undefined ? { data: res.data } : {}),
        ...(res.warnings !== undefined ? { warnings: res.warnings } : {}),
        ...(def.unauthenticated ? { unauthenticated: true } : {}),
      };
    } catch (e) {
      if (e instanceof LogicalError) return { status: e.status, operation: op, error: e.message };
      throw e;
    }
  }

  read(path: string, data?: Record<string, unknown>): Promise<Result> {
    return this.call('read', path, data);
  }
  write(path: string, data?: Record<string, unknown>): Promise<Result> {
    return this.call('write', path, data);
  }
  patch(path: string, data?: Record<string, unknown>): Promise<Result> {
    return this.call('patch', path, data);
  }
  delete(path: string): Promise<Result> {
    return this.call('delete', path);
  }
  list(path: string): Promise<Result> {
    return this.call('list', path);
  }

  /** Writes and asserts success, returning the data. */
  async ok(path: string, data: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const r = await this.write(path, data);
    if (r.status >= 300) throw new Error(`write ${path} failed (${r.status}): ${r.error}`);
    return (r.data ?? {}) as Record<string, unknown>;
  }
}

export const str = (v: unknown): string => {
  if (typeof v !== 'string') throw new Error(`expected a string, got ${JSON.stringify(v)}`);
  return v;
};
