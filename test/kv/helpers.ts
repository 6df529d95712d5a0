/**
 * Drives KV backends the way the core does, without the core: an in-memory KeyValueStore under a
 * StorageView, a settable clock, and a router that picks the first PathDef whose anchored pattern
 * matches the relative path (LIST paths get a trailing '/'), resolves POST/PUT to create/update
 * with the path's existence check, and maps results to the HTTP status the client would see.
 */
import type { Backend, BackendFactory, LogicalResponse, Operation } from '../../src/core/logical.js';
import { LogicalError } from '../../src/core/logical.js';
import { StorageView, type KeyValueStore } from '../../src/core/storage-view.js';
import type { TxnOp } from '../../src/storage/physical.js';

export class MemoryStore implements KeyValueStore {
  readonly entries = new Map<string, Buffer>();
  writes = 0;

  async get(key: string): Promise<Buffer | undefined> {
    const v = this.entries.get(key);
    return v === undefined ? undefined : Buffer.from(v);
  }

  async put(key: string, value: Buffer): Promise<void> {
    this.writes += 1;
    this.entries.set(key, Buffer.from(value));
  }

  async delete(key: string): Promise<void> {
    this.writes += 1;
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
    this.writes += 1;
    for (const op of ops) {
      if (op.op === 'put') this.entries.set(op.key, Buffer.from(op.value));
      else this.entries.delete(op.key);
    }
  }

  /** Every key and value, for "nothing changed" assertions. */
  snapshot(): string {
    return JSON.stringify([...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString('base64')]));
  }
}

export type Call = 'read' | 'write' | 'patch' | 'delete' | 'list';

export interface Result {
  status: number;
  operation?: Operation;
  response?: LogicalResponse;
  data?: Record<string, unknown> | null;
  warnings?: string[];
  error?: string;
}

export const T0 = Date.parse('2024-03-01T12:00:00.000Z');

export interface HarnessOptions {
  options?: Record<string, string>;
  defaultLeaseTtl?: number;
  prefix?: string;
  store?: MemoryStore;
  clientToken?: string;
}

export class Harness {
  readonly store: MemoryStore;
  readonly view: StorageView;
  nowMs = T0;
  readonly backend: Backend;
  private readonly compiled: Array<{ re: RegExp; def: Backend['paths'][number] }>;
  clientToken: string;

  constructor(factory: BackendFactory, opts: HarnessOptions = {}) {
    this.store = opts.store ?? new MemoryStore();
    this.view = new StorageView(this.store, opts.prefix ?? 'logical/0000/');
    this.clientToken = opts.clientToken ?? 'hvs.test';
    this.backend = factory({
      mountPoint: 'secret/',
      options: opts.options ?? {},
      effectiveTtls: () => ({ defaultLeaseTtl: opts.defaultLeaseTtl ?? 2764800, maxLeaseTtl: 2764800 }),
      now: () => new Date(this.nowMs),
    });
    this.compiled = this.backend.paths.map((def) => ({ re: new RegExp(`^(?:${def.pattern})$`), def }));
  }

  async init(): Promise<this> {
    await this.backend.initialize?.(this.view);
    return this;
  }

  advance(seconds: number): void {
    this.nowMs += seconds * 1000;
  }

  async call(call: Call, path: string, data: Record<string, unknown> = {}): Promise<Result> {
    const relativePath = call === 'list' && !path.endsWith('/') && path !== '' ? `${path}/` : path;
    const hit = this.compiled.map(({ re, def }) => ({ m: re.exec(relativePath), def })).find((x) => x.m !== null);
    if (!hit || !hit.m) return { status: 404, error: 'unsupported path' };
    const def = hit.def;
    const base = {
      id: 'req-1',
      operation: 'read' as Operation,
      path: `secret/${relativePath}`,
      mountPoint: 'secret/',
      relativePath,
      data,
      params: { ...(hit.m.groups ?? {}) } as Record<string, string>,
      clientToken: this.clientToken,
      storage: this.view,
      headers: {},
      connection: { remoteAddress: '127.0.0.1', remotePort: 1 },
    };
    let op: Operation = call === 'write' ? 'update' : call;
    try {
      if (call === 'write') {
        if (!def.existenceCheck) op = def.operations.create && !def.operations.update ? 'create' : 'update';
        else op = (await def.existenceCheck({ ...base, operation: 'update' })) ? 'update' : 'create';
      }
      const handler = def.operations[op] ?? (op === 'create' ? def.operations.update : op === 'update' ? def.operations.create : undefined);
      if (!handler) return { status: 405, operation: op, error: 'unsupported operation' };
      const res = (await handler({ ...base, operation: op })) ?? undefined;
      if (res === undefined) return { status: call === 'read' || call === 'list' ? 404 : 204, operation: op };
      return {
        status: res.raw?.status ?? res.statusCode ?? 200,
        operation: op,
        response: res,
        ...(res.data !== undefined ? { data: res.data } : {}),
        ...(res.warnings !== undefined ? { warnings: res.warnings } : {}),
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
  delete(path: string, data?: Record<string, unknown>): Promise<Result> {
    return this.call('delete', path, data);
  }
  list(path: string, data?: Record<string, unknown>): Promise<Result> {
    return this.call('list', path, data);
  }
}

/** `data.x.y` of a result, typed loosely for assertions. */
export function dig(r: Result, ...keys: string[]): unknown {
  let cur: unknown = r.data;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}
