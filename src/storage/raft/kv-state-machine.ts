// The replicated state machine: the KV data every node applies committed entries to, plus
// what Raft needs to know about the applied state (position, membership). Lives in the same
// SQLite file as the log, so one transaction persists a Ready's log writes and applies its
// committed entries together: the applied index can never disagree with the data, and
// nothing is ever applied twice after a crash.

import type Database from 'better-sqlite3';
import { decodeConfChange } from '../../raft/codec.js';
import { applyConfChangeToState, confChangeProblem } from '../../raft/conf-change.js';
import { invariant } from '../../raft/errors.js';
import { EMPTY_CONF_STATE, type ConfState, type Entry, type NodeId, type Snapshot } from '../../raft/types.js';
import { childOf, prefixUpperBound } from '../key-range.js';
import { decodeCommand, decodeMemberInfo, type KvRecord, type MemberInfo, type RaftCommand } from './commands.js';
import type { MetaTable } from './meta-table.js';
import { readSnapshotItems, type SnapshotHeader, SnapshotWriter } from './snapshot-format.js';

/** What applying a batch of entries changed, beyond the KV data. */
export interface ApplyEffects {
  confChanged: boolean;
  /** A snapshot restore was committed: the whole KV state was replaced. */
  restored: boolean;
}

interface ConfRecord {
  confState: ConfState;
  confIndex: number;
  members: [number, MemberInfo][];
}

export class KvStateMachine {
  appliedIndex = 0;
  appliedTerm = 0;
  confState: ConfState = EMPTY_CONF_STATE;
  /** Log index of the last applied membership change (0 before bootstrap). */
  confIndex = 0;
  readonly members = new Map<NodeId, MemberInfo>();
  restoreId: string | undefined;
  private confDirty = false;
  private readonly getStmt: Database.Statement<[string], Buffer>;
  private readonly putStmt: Database.Statement<[string, Buffer]>;
  private readonly delStmt: Database.Statement<[string]>;
  private readonly scanFrom: Database.Statement<[string], string>;
  private readonly scanRange: Database.Statement<[string, string], string>;
  private readonly stagePutStmt: Database.Statement<[string, Buffer]>;
  private readonly allKv: Database.Statement<[], KvRecord>;
  private readonly allStaged: Database.Statement<[], KvRecord>;

  constructor(
    private readonly db: Database.Database,
    private readonly meta: MetaTable,
  ) {
    db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID');
    db.exec('CREATE TABLE IF NOT EXISTS restore_stage (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID');
    this.getStmt = db.prepare<[string], Buffer>('SELECT value FROM kv WHERE key = ?').pluck();
    this.putStmt = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.delStmt = db.prepare('DELETE FROM kv WHERE key = ?');
    this.scanFrom = db.prepare<[string], string>('SELECT key FROM kv WHERE key >= ? ORDER BY key').pluck();
    this.scanRange = db.prepare<[string, string], string>('SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key').pluck();
    this.stagePutStmt = db.prepare('INSERT OR REPLACE INTO restore_stage (key, value) VALUES (?, ?)');
    this.allKv = db.prepare<[], KvRecord>('SELECT key, value FROM kv ORDER BY key');
    this.allStaged = db.prepare<[], KvRecord>('SELECT key, value FROM restore_stage ORDER BY key');

    const applied = meta.getJson<[number, number]>('applied');
    if (applied !== undefined) [this.appliedIndex, this.appliedTerm] = applied;
    const conf = meta.getJson<ConfRecord>('conf');
    if (conf !== undefined) {
      this.confState = conf.confState;
      this.confIndex = conf.confIndex;
      for (const [id, m] of conf.members) this.members.set(id, m);
    }
    this.restoreId = meta.get('restore_id')?.toString('utf8');
  }

  // ------------------------------------------------------------ reads

  get(key: string): Buffer | undefined {
    return this.getStmt.get(key);
  }

  /** Immediate children of `prefix` (see physical.ts), skipping over sub-folders' keys. */
  list(prefix: string): string[] {
    const upper = prefixUpperBound(prefix);
    const out: string[] = [];
    let lower = prefix;
    scan: for (;;) {
      const rows = upper === undefined ? this.scanFrom.iterate(lower) : this.scanRange.iterate(lower, upper);
      for (const key of rows) {
        const child = childOf(prefix, key);
        if (child.name === '') continue;
        out.push(child.name);
        if (child.folder) {
          rows.return?.();
          lower = prefixUpperBound(prefix + child.name)!;
          continue scan;
        }
      }
      return out;
    }
  }

  // ------------------------------------------------------------ writes (inside a transaction)

  /** First node of a new cluster: itself as the only voter, at index 1 (like bootstrapStorage). */
  bootstrap(self: NodeId, info: MemberInfo): void {
    invariant(this.appliedIndex === 0, () => `cannot bootstrap: state already at index ${this.appliedIndex}`);
    this.appliedIndex = 1;
    this.appliedTerm = 1;
    this.confState = { voters: [self], learners: [] };
    this.confIndex = 1;
    this.members.set(self, info);
    this.confDirty = true;
    this.saveApplied();
  }

  apply(e: Entry, effects: ApplyEffects): void {
    invariant(e.index === this.appliedIndex + 1, () => `applying entry ${e.index} after ${this.appliedIndex}`);
    if (e.type === 'EntryConfChange') {
      this.applyConfChange(e);
    } else if (e.data.length > 0) {
      this.applyCommand(decodeCommand(e.data), effects);
    }
    this.appliedIndex = e.index;
    this.appliedTerm = e.term;
    if (e.type === 'EntryConfChange') effects.confChanged = true;
  }

  /** Records the applied position (and membership, if it changed). */
  saveApplied(): void {
    this.meta.setJson('applied', [this.appliedIndex, this.appliedTerm]);
    if (!this.confDirty) return;
    const rec: ConfRecord = { confState: this.confState, confIndex: this.confIndex, members: [...this.members] };
    this.meta.setJson('conf', rec);
    if (this.restoreId === undefined) this.meta.delete('restore_id');
    else this.meta.set('restore_id', Buffer.from(this.restoreId, 'utf8'));
    this.confDirty = false;
  }

  private applyConfChange(e: Entry): void {
    const cc = decodeConfChange(e.data);
    // Invalid changes are no-ops on every node (as in the core), membership info included.
    if (confChangeProblem(this.confState, cc) !== undefined) return;
    this.confState = applyConfChangeToState(this.confState, cc);
    this.confIndex = e.index;
    if (cc.type === 'RemoveNode') {
      this.members.delete(cc.nodeId);
    } else {
      const info = decodeMemberInfo(cc.context);
      if (info !== undefined) this.members.set(cc.nodeId, info);
    }
    this.confDirty = true;
  }

  private applyCommand(c: RaftCommand, effects: ApplyEffects): void {
    switch (c.kind) {
      case 'kv':
        for (const ops of c.txns) {
          // Each transaction is atomic; ops were validated before proposing, so a failure here
          // is a storage fault, which stops the node (the transaction rolls back as a whole).
          for (const op of ops) {
            if (op.op === 'put') this.putStmt.run(op.key, op.value);
            else this.delStmt.run(op.key);
          }
        }
        return;
      case 'restore-begin':
        this.db.exec('DELETE FROM restore_stage');
        this.restoreId = c.id;
        this.confDirty = true;
        return;
      case 'restore-chunk':
        if (c.id !== this.restoreId) return;
        for (const r of c.records) this.stagePutStmt.run(r.key, r.value);
        return;
      case 'restore-commit':
        if (c.id !== this.restoreId) return;
        this.db.exec('DELETE FROM kv');
        this.db.exec('INSERT INTO kv (key, value) SELECT key, value FROM restore_stage');
        this.db.exec('DELETE FROM restore_stage');
        this.restoreId = undefined;
        this.confDirty = true;
        effects.restored = true;
        return;
      case 'restore-abort':
        if (c.id !== this.restoreId) return;
        this.db.exec('DELETE FROM restore_stage');
        this.restoreId = undefined;
        this.confDirty = true;
        return;
    }
  }

  // ------------------------------------------------------------ snapshots

  header(): SnapshotHeader {
    return {
      index: this.appliedIndex,
      term: this.appliedTerm,
      confState: this.confState,
      confIndex: this.confIndex,
      members: [...this.members],
      ...(this.restoreId !== undefined ? { restoreId: this.restoreId } : {}),
      createdAt: new Date().toISOString(),
    };
  }

  /**
   * The whole applied state as one snapshot, for Raft's MsgSnap (the core sends snapshot
   * data from memory; the operator's snapshot stream in snapshot-stream.ts does not).
   */
  materialize(): Snapshot {
    const w = new SnapshotWriter();
    const parts: Buffer[] = [w.begin(this.header())];
    for (const r of this.allKv.iterate()) parts.push(w.record(r));
    for (const r of this.allStaged.iterate()) parts.push(w.record(r, true));
    parts.push(w.finish());
    return {
      metadata: { index: this.appliedIndex, term: this.appliedTerm, confState: this.confState },
      data: Buffer.concat(parts),
    };
  }

  /** Replaces the whole state with a snapshot received from the leader. */
  install(s: Snapshot): void {
    this.db.exec('DELETE FROM kv');
    this.db.exec('DELETE FROM restore_stage');
    let header: SnapshotHeader | undefined;
    for (const item of readSnapshotItems(s.data)) {
      if (item.type === 'header') header = item.header;
      else if (item.staged) this.stagePutStmt.run(item.record.key, item.record.value);
      else this.putStmt.run(item.record.key, item.record.value);
    }
    invariant(header !== undefined, () => 'snapshot without header');
    invariant(
      header.index === s.metadata.index && header.term === s.metadata.term,
      () => `snapshot data is for ${header!.term}/${header!.index}, metadata says ${s.metadata.term}/${s.metadata.index}`,
    );
    this.appliedIndex = s.metadata.index;
    this.appliedTerm = s.metadata.term;
    this.confState = s.metadata.confState;
    this.confIndex = header.confIndex;
    this.members.clear();
    for (const [id, m] of header.members) this.members.set(id, m);
    this.restoreId = header.restoreId;
    this.confDirty = true;
    this.saveApplied();
  }
}
