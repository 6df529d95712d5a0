/**
 * Single-node physical storage on SQLite (better-sqlite3): one WITHOUT ROWID table of
 * (key TEXT PRIMARY KEY, value BLOB), WAL journal, synchronous=FULL so an acknowledged write
 * survives kill -9 and power loss.
 *
 * Group commit: better-sqlite3 is synchronous and every commit costs an fsync, so writes are
 * queued and flushed together on the next setImmediate as one transaction. Each write's promise
 * settles only after the commit that contains it. Inside a batch, each multi-op txn runs in a
 * savepoint so one failing txn is rolled back and rejected alone; if the whole transaction is
 * lost (SQLite rolled it back, or COMMIT failed) every promise in the batch rejects.
 */
import Database from 'better-sqlite3';
import type { PhysicalBackend, TxnOp } from './physical.js';
import { childOf, prefixUpperBound } from './key-range.js';

export interface SqliteOptions {
  /** A file path, or ':memory:' for a throwaway store (`storage "inmem"`, dev mode). */
  path: string;
}

export interface SqliteStats {
  /** SQLite transactions committed by the group-commit flusher. */
  commits: number;
  /** Write requests (put/delete/txn calls) acknowledged. */
  writes: number;
  /** Write requests rejected. */
  failedWrites: number;
  /** Largest number of write requests in one commit. */
  maxBatch: number;
  /** Rows visited by list(): shows the scan skips sub-folders instead of reading them. */
  listRowsRead: number;
}

interface PendingWrite {
  ops: TxnOp[];
  resolve: () => void;
  reject: (err: Error) => void;
}

class StorageClosedError extends Error {
  override name = 'StorageClosedError';
}

function validateOps(ops: TxnOp[]): void {
  for (const op of ops) {
    if (typeof op.key !== 'string' || op.key === '') throw new TypeError('storage key must be a non-empty string');
    if (op.op === 'put') {
      if (!Buffer.isBuffer(op.value)) throw new TypeError(`storage value for ${JSON.stringify(op.key)} must be a Buffer`);
    } else if (op.op !== 'delete') {
      throw new TypeError(`unknown storage operation ${JSON.stringify((op as { op: unknown }).op)}`);
    }
  }
}

export class SqliteBackend implements PhysicalBackend {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], Buffer>;
  private readonly putStmt: Database.Statement<[string, Buffer]>;
  private readonly deleteStmt: Database.Statement<[string]>;
  private readonly scanFrom: Database.Statement<[string], string>;
  private readonly scanRange: Database.Statement<[string, string], string>;
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly counters: SqliteStats = { commits: 0, writes: 0, failedWrites: 0, maxBatch: 0, listRowsRead: 0 };

  private constructor(readonly path: string) {
    this.db = new Database(path);
    if (path !== ':memory:') {
      const mode = this.db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`sqlite: could not enable WAL on ${path} (got ${String(mode)})`);
    }
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID');
    this.getStmt = this.db.prepare<[string], Buffer>('SELECT value FROM kv WHERE key = ?').pluck();
    this.putStmt = this.db.prepare<[string, Buffer]>(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.deleteStmt = this.db.prepare<[string]>('DELETE FROM kv WHERE key = ?');
    this.scanFrom = this.db.prepare<[string], string>('SELECT key FROM kv WHERE key >= ? ORDER BY key').pluck();
    this.scanRange = this.db.prepare<[string, string], string>(
      'SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key',
    ).pluck();
  }

  /** Opens (creating if needed) the store at `path`. */
  static open(opts: SqliteOptions): SqliteBackend {
    return new SqliteBackend(opts.path);
  }

  stats(): SqliteStats {
    return { ...this.counters };
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.assertOpen();
    return this.getStmt.get(key);
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.enqueue([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.enqueue([{ op: 'delete', key }]);
  }

  txn(ops: TxnOp[]): Promise<void> {
    return this.enqueue(ops);
  }

  /**
   * Immediate children of `prefix`, sorted by code point (Go's byte order), folders with a
   * trailing '/'. Streams the leaves of the range and, on meeting a folder, restarts the scan
   * just past that folder's keys instead of reading them: cost is O(children · log n), not
   * O(keys under prefix).
   */
  async list(prefix: string): Promise<string[]> {
    this.assertOpen();
    const upper = prefixUpperBound(prefix);
    const out: string[] = [];
    let lower = prefix;
    scan: for (;;) {
      const rows = upper === undefined ? this.scanFrom.iterate(lower) : this.scanRange.iterate(lower, upper);
      for (const key of rows) {
        this.counters.listRowsRead++;
        const child = childOf(prefix, key);
        if (child.name === '') continue; // the key equal to the prefix itself is not a child
        out.push(child.name);
        if (child.folder) {
          rows.return?.();
          lower = prefixUpperBound(prefix + child.name)!; // defined: the name ends in '/'
          continue scan;
        }
      }
      return out;
    }
  }

  /** Flushes queued writes, then closes the database. Later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError(`sqlite storage at ${this.path} is closed`);
  }

  private enqueue(ops: TxnOp[]): Promise<void> {
    try {
      this.assertOpen();
      validateOps(ops);
    } catch (e) {
      this.counters.failedWrites++;
      return Promise.reject(e as Error);
    }
    if (ops.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued as one transaction and settles each request's promise. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];

    const failed = new Map<PendingWrite, Error>();
    let batchError: Error | undefined;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const w of batch) {
        const err = this.applyOne(w.ops);
        if (err === undefined) continue;
        if (!this.db.inTransaction) {
          batchError = new Error(`sqlite: transaction rolled back, batch of ${batch.length} writes lost: ${err.message}`);
          break;
        }
        failed.set(w, err);
      }
      if (batchError === undefined) this.db.exec('COMMIT');
    } catch (e) {
      batchError = new Error(`sqlite: commit of ${batch.length} writes failed: ${(e as Error).message}`);
    }
    if (batchError !== undefined && this.db.inTransaction) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // Already rolled back by SQLite; nothing was committed either way.
      }
    }

    if (batchError === undefined) {
      this.counters.commits++;
      this.counters.maxBatch = Math.max(this.counters.maxBatch, batch.length);
    }
    for (const w of batch) {
      const err = batchError ?? failed.get(w);
      if (err === undefined) {
        this.counters.writes++;
        w.resolve();
      } else {
        this.counters.failedWrites++;
        w.reject(err);
      }
    }
  }

  /**
   * Applies one request's ops inside the open transaction; returns the error instead of
   * throwing. A single statement is atomic on its own; several get a savepoint.
   */
  private applyOne(ops: TxnOp[]): Error | undefined {
    const single = ops.length === 1;
    try {
      if (!single) this.db.exec('SAVEPOINT txn');
      for (const op of ops) {
        if (op.op === 'put') this.putStmt.run(op.key, op.value);
        else this.deleteStmt.run(op.key);
      }
      if (!single) this.db.exec('RELEASE txn');
      return undefined;
    } catch (e) {
      if (!single && this.db.inTransaction) {
        this.db.exec('ROLLBACK TO txn');
        this.db.exec('RELEASE txn');
      }
      return e as Error;
    }
  }
}
