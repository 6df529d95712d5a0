// raft.db: one SQLite file (WAL) holding a node's whole Raft state — the log, the hard
// state, and the applied KV state machine. Why one file: a Ready's log append, hard state
// and the application of its committed entries commit in ONE transaction with ONE fsync,
// so the applied index always matches the data, restarts never re-apply anything, and
// the KV state doubles as the Raft snapshot (nothing separate to write or keep in sync).
//
// Durability: a transaction that carries what Raft must not forget (new entries, a term or
// vote change, a snapshot — Ready.mustSync) commits with synchronous=FULL (fsync). One that
// only applies already-committed entries commits with synchronous=NORMAL: WAL order means
// a crash can only lose such a transaction whole, and the entries are replayed from the log.

import Database from 'better-sqlite3';
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ready } from '../../raft/raw-node.js';
import type { NodeId, Snapshot } from '../../raft/types.js';
import type { MemberInfo } from './commands.js';
import { type ApplyEffects, KvStateMachine } from './kv-state-machine.js';
import { SqliteLogStore } from './log-store.js';
import { MetaTable } from './meta-table.js';

export const RAFT_DB_FILE = 'raft.db';

export class RaftDatabase {
  readonly file: string;
  readonly log: SqliteLogStore;
  readonly fsm: KvStateMachine;
  /** This data directory's Raft member id (random, fixed for the life of the directory). */
  readonly raftId: NodeId;
  /** Index of the last "snapshot" (compaction point decision), for snapshot_threshold. */
  snapshotIndex: number;
  private readonly db: Database.Database;
  private readonly meta: MetaTable;
  private synchronous: 'FULL' | 'NORMAL' = 'FULL';
  private cachedSnapshot: Snapshot | undefined;
  readonly counters = { transactions: 0, fsyncs: 0, snapshotsBuilt: 0, snapshotsInstalled: 0, compactions: 0 };

  private constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, RAFT_DB_FILE);
    this.db = new Database(this.file);
    const mode = this.db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`raft: could not enable WAL on ${this.file} (got ${String(mode)})`);
    this.db.pragma('synchronous = FULL');
    this.meta = new MetaTable(this.db);
    this.fsm = new KvStateMachine(this.db, this.meta);
    this.log = new SqliteLogStore(this.db, this.meta, {
      confState: () => this.fsm.confState,
      snapshot: () => this.snapshot(),
    });
    const id = this.meta.get('raft_id');
    if (id !== undefined) {
      this.raftId = Number(id.toString('utf8'));
    } else {
      // Random, never reused: the core requires that a removed member's id not come back,
      // and a wiped directory that rejoins under the same node_id is a new member.
      this.raftId = randomInt(1, 2 ** 47);
      this.meta.set('raft_id', Buffer.from(String(this.raftId), 'utf8'));
    }
    this.snapshotIndex = this.meta.getJson<number>('snapshot_index') ?? this.fsm.appliedIndex;
  }

  static open(dir: string): RaftDatabase {
    return new RaftDatabase(dir);
  }

  /** No log, no state: a node that has neither bootstrapped nor joined a cluster. */
  isEmpty(): boolean {
    return this.fsm.appliedIndex === 0 && this.log.lastIndex() === 0;
  }

  bootstrap(self: NodeId, info: MemberInfo): void {
    this.transaction(true, () => {
      this.fsm.bootstrap(self, info);
      this.log.resetTo(1, 1);
      this.log.setHardState({ term: 1, vote: 0, commit: 1 });
      this.setSnapshotIndex(1);
    });
  }

  /**
   * Persists one Ready and applies its committed entries, atomically (see the top of the
   * file). Returns what the application changed besides KV data.
   */
  persistReady(rd: Ready): ApplyEffects {
    const effects: ApplyEffects = { confChanged: false, restored: false };
    const sync = rd.mustSync || rd.snapshot !== undefined;
    this.transaction(sync, () => {
      if (rd.snapshot) {
        this.fsm.install(rd.snapshot);
        this.log.resetTo(rd.snapshot.metadata.index, rd.snapshot.metadata.term);
        this.setSnapshotIndex(rd.snapshot.metadata.index);
        this.counters.snapshotsInstalled++;
        effects.confChanged = true;
      }
      if (rd.entries.length > 0) this.log.append(rd.entries);
      if (rd.hardState) this.log.setHardState(rd.hardState);
      if (rd.committedEntries.length > 0) {
        for (const e of rd.committedEntries) this.fsm.apply(e, effects);
        this.fsm.saveApplied();
      }
    });
    if (effects.restored) this.cachedSnapshot = undefined;
    return effects;
  }

  /**
   * Log compaction: once `threshold` entries were applied since the last snapshot point,
   * the applied state becomes the snapshot and the log keeps only `trailing` entries
   * before it (so briefly lagging followers catch up from the log, not a snapshot).
   */
  maybeCompact(threshold: number, trailing: number): boolean {
    const applied = this.fsm.appliedIndex;
    if (applied - this.snapshotIndex < threshold) return false;
    const compactTo = Math.min(applied - trailing, this.log.lastIndex());
    this.transaction(false, () => {
      if (compactTo > this.log.firstIndex() - 1) this.log.compact(compactTo);
      this.setSnapshotIndex(applied);
    });
    this.counters.compactions++;
    return true;
  }

  /**
   * The snapshot Raft sends to a follower whose next entry was compacted away: the current
   * applied state (always at or past the compaction point). Built on demand and reused
   * while it still covers the compaction point.
   */
  snapshot(): Snapshot {
    const c = this.cachedSnapshot;
    if (c !== undefined && c.metadata.index >= this.log.firstIndex() - 1) return c;
    this.cachedSnapshot = this.fsm.materialize();
    this.counters.snapshotsBuilt++;
    return this.cachedSnapshot;
  }

  /** Lets go of the in-memory snapshot (when no follower is receiving one). */
  releaseSnapshot(): void {
    this.cachedSnapshot = undefined;
  }

  hasCachedSnapshot(): boolean {
    return this.cachedSnapshot !== undefined;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private setSnapshotIndex(i: number): void {
    this.snapshotIndex = i;
    this.meta.setJson('snapshot_index', i);
  }

  private transaction(sync: boolean, fn: () => void): void {
    const mode = sync ? 'FULL' : 'NORMAL';
    if (mode !== this.synchronous) {
      this.db.pragma(`synchronous = ${mode}`);
      this.synchronous = mode;
    }
    this.db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
    this.counters.transactions++;
    if (sync) this.counters.fsyncs++;
  }
}
