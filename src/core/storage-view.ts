import type { TxnOp } from '../storage/physical.js';

/** The subset of the barrier a view needs (kept structural so tests can pass any store). */
export interface KeyValueStore {
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  txn(ops: TxnOp[]): Promise<void>;
}

export type DeepReadonly<T> = T extends (infer U)[] ? ReadonlyArray<DeepReadonly<U>> : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A `.` or `..` path segment anywhere in a key. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * A prefix-scoped window onto the barrier: a backend sees only keys under its own prefix and
 * cannot name anything outside it (keys are validated, `..` segments are refused).
 */
export class StorageView {
  constructor(
    private readonly store: KeyValueStore,
    readonly prefix: string,
  ) {
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`storage view prefix must end in '/': ${prefix}`);
  }

  private full(key: string): string {
    if (key.startsWith('/') || DOT_SEGMENT.test(key)) {
      throw new Error(`invalid storage key: ${key}`);
    }
    return this.prefix + key;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.store.get(this.full(key));
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as T);
  }

  /**
   * Like getJson, but the value may be shared with other readers and is deep-frozen: for hot
   * read-only paths. Falls back to a private parse when the store has no shared cache.
   */
  async getSharedJson<T>(key: string): Promise<DeepReadonly<T> | undefined> {
    const store = this.store as KeyValueStore & { getSharedJson?: (k: string) => Promise<unknown> };
    if (store.getSharedJson) return (await store.getSharedJson(this.full(key))) as DeepReadonly<T> | undefined;
    return this.getJson<T>(key) as Promise<DeepReadonly<T> | undefined>;
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.store.put(this.full(key), value);
  }

  putJson(key: string, value: unknown): Promise<void> {
    return this.put(key, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  delete(key: string): Promise<void> {
    return this.store.delete(this.full(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.store.list(this.full(prefix));
  }

  txn(ops: TxnOp[]): Promise<void> {
    return this.store.txn(ops.map((op) => ({ ...op, key: this.full(op.key) })));
  }

  /** A narrower view below this one. */
  sub(prefix: string): StorageView {
    return new StorageView(this.store, this.full(prefix));
  }

  /** Every key below `prefix`, depth-first (for cleanup and tidy). */
  async *walk(prefix = ''): AsyncGenerator<string> {
    for (const child of await this.list(prefix)) {
      if (child.endsWith('/')) yield* this.walk(prefix + child);
      else yield prefix + child;
    }
  }

  /** Deletes every key under `prefix`. */
  async clear(prefix = ''): Promise<void> {
    const keys: string[] = [];
    for await (const k of this.walk(prefix)) keys.push(k);
    for (let i = 0; i < keys.length; i += 500) {
      await this.txn(keys.slice(i, i + 500).map((key) => ({ op: 'delete' as const, key })));
    }
  }
}
