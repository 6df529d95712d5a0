/**
 * A bounded LRU of decrypted entries in front of the barrier, so hot reads (KV secrets, policies,
 * mount data) skip SQLite and AES-GCM. Plaintext lives here only while unsealed — the keyring that
 * decrypts everything is in memory then anyway — and `clear()` (called on seal) zero-fills it.
 *
 * Coherence: every write goes through this store and invalidates its keys (bumping a write epoch)
 * both before it starts and after it commits. A read fills the cache only if no invalidation
 * happened while it was reading, so neither a slow read nor a read of the pre-commit value can
 * leave a stale entry behind.
 */
import type { TxnOp } from '../storage/physical.js';
import type { KeyValueStore } from './storage-view.js';

export interface ReadCacheOptions {
  maxEntries?: number;
  /** Entries larger than this are never cached. */
  maxEntryBytes?: number;
  maxTotalBytes?: number;
}

export class ReadCache implements KeyValueStore {
  private readonly entries = new Map<string, Buffer>();
  /** Parsed, deep-frozen JSON of cached entries, for read-only hot paths (see getSharedJson). */
  private readonly parsed = new Map<string, unknown>();
  private totalBytes = 0;
  private epoch = 0;
  private readonly maxEntries: number;
  private readonly maxEntryBytes: number;
  private readonly maxTotalBytes: number;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: KeyValueStore,
    opts: ReadCacheOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxEntryBytes = opts.maxEntryBytes ?? 64 * 1024;
    this.maxTotalBytes = opts.maxTotalBytes ?? 64 * 1024 * 1024;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      // Refresh recency (Map keeps insertion order) and hand out a copy: callers may mutate.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return Buffer.from(cached);
    }
    this.misses++;
    const startedAt = this.epoch;
    const value = await this.inner.get(key);
    if (value !== undefined && this.epoch === startedAt && value.length <= this.maxEntryBytes) this.insert(key, Buffer.from(value));
    return value;
  }

  /**
   * The entry parsed as JSON and deep-frozen, shared between callers: hot read paths (KV reads)
   * skip the copy, decode and parse. Callers must not (and cannot) modify it.
   */
  async getSharedJson(key: string): Promise<unknown> {
    if (this.entries.has(key) && this.parsed.has(key)) {
      const value = this.parsed.get(key);
      this.hits++;
      const buf = this.entries.get(key)!;
      this.entries.delete(key);
      this.entries.set(key, buf);
      return value;
    }
    const startedAt = this.epoch;
    const raw = await this.get(key);
    if (raw === undefined) return undefined;
    const value = deepFreeze(JSON.parse(raw.toString('utf8')) as unknown);
    // Only alongside a cached buffer (so eviction and invalidation cover it) and only if nothing
    // was written meanwhile.
    if (this.epoch === startedAt && this.entries.has(key)) this.parsed.set(key, value);
    return value;
  }

  async put(key: string, value: Buffer): Promise<void> {
    this.invalidate(key);
    try {
      await this.inner.put(key, value);
    } finally {
      this.invalidate(key);
    }
  }

  async delete(key: string): Promise<void> {
    this.invalidate(key);
    try {
      await this.inner.delete(key);
    } finally {
      this.invalidate(key);
    }
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  async txn(ops: TxnOp[]): Promise<void> {
    for (const op of ops) this.invalidate(op.key);
    try {
      await this.inner.txn(ops);
    } finally {
      for (const op of ops) this.invalidate(op.key);
    }
  }

  /** Drops and zero-fills everything (on seal). */
  clear(): void {
    for (const v of this.entries.values()) v.fill(0);
    this.entries.clear();
    this.parsed.clear();
    this.totalBytes = 0;
    this.epoch++;
  }

  get size(): number {
    return this.entries.size;
  }

  private invalidate(key: string): void {
    this.epoch++;
    this.parsed.delete(key);
    const old = this.entries.get(key);
    if (old) {
      this.totalBytes -= old.length;
      old.fill(0);
      this.entries.delete(key);
    }
  }

  private insert(key: string, value: Buffer): void {
    const old = this.entries.get(key);
    if (old) {
      this.totalBytes -= old.length;
      this.entries.delete(key);
      this.parsed.delete(key);
    }
    this.entries.set(key, value);
    this.totalBytes += value.length;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxTotalBytes) {
      const oldest = this.entries.keys().next().value as string;
      const v = this.entries.get(oldest)!;
      this.totalBytes -= v.length;
      v.fill(0);
      this.entries.delete(oldest);
      this.parsed.delete(oldest);
    }
  }
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}
