// The Raft log and hard state in SQLite: the `Storage` the consensus core reads, plus the
// writes the driver makes while handling a Ready (always inside RaftDatabase's transaction).
//
// Entries live in table `log`; everything up to `start` has been compacted away (only the
// term of `start` itself is kept, for matching appends). The terms of the retained entries
// and the most recent entries are cached in memory: the core asks for terms constantly and
// for fresh entries when replicating, and neither should cost a query.

import type Database from 'better-sqlite3';
import { decodeHardState, encodeHardState } from '../../raft/codec.js';
import { CompactedError, invariant, UnavailableError } from '../../raft/errors.js';
import type { InitialState, Storage } from '../../raft/storage.js';
import { EMPTY_HARD_STATE, type ConfState, type Entry, type HardState, type Snapshot, entrySize } from '../../raft/types.js';
import type { MetaTable } from './meta-table.js';

const ENTRY_CACHE_ENTRIES = 4096;
const ENTRY_CACHE_BYTES = 32 * 1024 * 1024;

interface LogRow {
  idx: number;
  term: number;
  type: number;
  data: Buffer;
}

function rowToEntry(r: LogRow): Entry {
  return { index: r.idx, term: r.term, type: r.type === 1 ? 'EntryConfChange' : 'EntryNormal', data: r.data };
}

export interface LogStoreView {
  /** Membership as of the applied index (the core replays entries after it on restart). */
  confState(): ConfState;
  /** The snapshot the core may send to a lagging follower. */
  snapshot(): Snapshot;
}

export class SqliteLogStore implements Storage {
  private start = 0;
  private startTerm = 0;
  /** terms[i] is the term of entry start + 1 + i. */
  private terms: number[] = [];
  private hs: HardState = EMPTY_HARD_STATE;
  private readonly cache = new Map<number, Entry>();
  private cacheBytes = 0;
  private readonly insertStmt: Database.Statement<[number, number, number, Buffer]>;
  private readonly truncateStmt: Database.Statement<[number]>;
  private readonly compactStmt: Database.Statement<[number]>;
  private readonly clearStmt: Database.Statement<[]>;
  private readonly rangeStmt: Database.Statement<[number, number], LogRow>;

  constructor(
    db: Database.Database,
    private readonly meta: MetaTable,
    private readonly view: LogStoreView,
  ) {
    db.exec('CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY NOT NULL, term INTEGER NOT NULL, type INTEGER NOT NULL, data BLOB NOT NULL)');
    this.insertStmt = db.prepare('INSERT OR REPLACE INTO log (idx, term, type, data) VALUES (?, ?, ?, ?)');
    this.truncateStmt = db.prepare('DELETE FROM log WHERE idx >= ?');
    this.compactStmt = db.prepare('DELETE FROM log WHERE idx <= ?');
    this.clearStmt = db.prepare('DELETE FROM log');
    this.rangeStmt = db.prepare<[number, number], LogRow>('SELECT idx, term, type, data FROM log WHERE idx >= ? AND idx < ? ORDER BY idx');

    const hs = meta.get('hard_state');
    if (hs !== undefined) this.hs = decodeHardState(hs);
    const start = meta.getJson<[number, number]>('log_start');
    if (start !== undefined) [this.start, this.startTerm] = start;
    const termRows = db.prepare<[number], { idx: number; term: number }>('SELECT idx, term FROM log WHERE idx > ? ORDER BY idx').iterate(this.start);
    for (const r of termRows) {
      invariant(r.idx === this.start + 1 + this.terms.length, () => `raft log has a gap: expected entry ${this.start + 1 + this.terms.length}, found ${r.idx}`);
      this.terms.push(r.term);
    }
  }

  // ------------------------------------------------------------ Storage (read by the core)

  initialState(): InitialState {
    return { hardState: this.hs, confState: this.view.confState() };
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    if (lo <= this.start) throw new CompactedError(`entries [${lo}, ${hi}) compacted (first index ${this.start + 1})`);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(`entries [${lo}, ${hi}) beyond last index ${this.lastIndex()}`);
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      let e = this.cache.get(i);
      if (e === undefined) {
        // Not cached: read the rest of the range in one query.
        for (const row of this.rangeStmt.iterate(i, hi)) {
          e = rowToEntry(row);
          size += entrySize(e);
          if (out.length > 0 && size > maxSize) break;
          out.push(e);
        }
        invariant(out.length > 0, () => `raft log entries [${lo}, ${hi}) missing from the database`);
        return out;
      }
      size += entrySize(e);
      if (out.length > 0 && size > maxSize) break;
      out.push(e);
    }
    return out;
  }

  term(i: number): number {
    if (i === this.start) return this.startTerm;
    if (i < this.start) throw new CompactedError(`term(${i}) compacted (first index ${this.start + 1})`);
    const t = this.terms[i - this.start - 1];
    if (t === undefined) throw new UnavailableError(`term(${i}) beyond last index ${this.lastIndex()}`);
    return t;
  }

  firstIndex(): number {
    return this.start + 1;
  }

  lastIndex(): number {
    return this.start + this.terms.length;
  }

  snapshot(): Snapshot {
    return this.view.snapshot();
  }

  // ------------------------------------------------------------ writes (inside a transaction)

  hardState(): HardState {
    return this.hs;
  }

  setHardState(hs: HardState): void {
    this.meta.set('hard_state', encodeHardState(hs));
    this.hs = hs;
  }

  /** Appends entries, replacing any suffix they overlap (a new leader may overwrite uncommitted entries). */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    let from = entries[0]!.index;
    let ents = entries;
    if (from <= this.start) {
      // Entries already covered by a snapshot are dropped.
      ents = entries.filter((e) => e.index > this.start);
      if (ents.length === 0) return;
      from = ents[0]!.index;
    }
    invariant(from <= this.lastIndex() + 1, () => `raft log would have a gap: last index ${this.lastIndex()}, appending at ${from}`);
    if (from <= this.lastIndex()) {
      this.truncateStmt.run(from);
      this.terms.length = from - this.start - 1;
      this.uncacheWhere((k) => k >= from);
    }
    for (const e of ents) {
      this.insertStmt.run(e.index, e.term, e.type === 'EntryConfChange' ? 1 : 0, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
      this.terms.push(e.term);
      this.cache.set(e.index, e);
      this.cacheBytes += e.data.length;
    }
    this.trimCache();
  }

  /** Drops the whole log: a snapshot at (index, term) replaces it. */
  resetTo(index: number, term: number): void {
    this.clearStmt.run();
    this.start = index;
    this.startTerm = term;
    this.terms = [];
    this.cache.clear();
    this.cacheBytes = 0;
    this.meta.setJson('log_start', [index, term]);
  }

  /** Discards entries up to and including `index` (which the state machine has applied). */
  compact(index: number): void {
    if (index <= this.start) return;
    invariant(index <= this.lastIndex(), () => `compact(${index}) beyond last index ${this.lastIndex()}`);
    const term = this.term(index);
    this.compactStmt.run(index);
    this.terms = this.terms.slice(index - this.start);
    this.start = index;
    this.startTerm = term;
    this.uncacheWhere((k) => k <= index);
    this.meta.setJson('log_start', [index, term]);
  }

  private uncacheWhere(pred: (index: number) => boolean): void {
    for (const [k, e] of this.cache) {
      if (!pred(k)) continue;
      this.cache.delete(k);
      this.cacheBytes -= e.data.length;
    }
  }

  /** Evicts the oldest cached entries beyond the count and byte budgets. */
  private trimCache(): void {
    for (const [k, e] of this.cache) {
      if (this.cache.size <= ENTRY_CACHE_ENTRIES && this.cacheBytes <= ENTRY_CACHE_BYTES) return;
      this.cache.delete(k);
      this.cacheBytes -= e.data.length;
    }
  }
}
