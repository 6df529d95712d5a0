// The stable storage the Raft core reads from (like etcd's raft.Storage), and an
// in-memory implementation used by tests and the simulation.
//
// The core only *reads* storage. The driver writes to it while handling a Ready:
// snapshot first, then entries, then hard state, all before sending that Ready's
// messages.

import { CompactedError, invariant, UnavailableError } from './errors.js';
import {
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  limitSize,
} from './types.js';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface Storage {
  /** The persisted hard state and the membership as of the latest snapshot. */
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at most maxSize bytes but at least one entry if any exist.
   * Throws CompactedError if lo < firstIndex(), UnavailableError if hi > lastIndex()+1.
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /**
   * Term of entry i, for i in [firstIndex()-1, lastIndex()] (the entry just before
   * firstIndex() is compacted but its term is kept, for matching appends).
   */
  term(i: number): number;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot; may throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

/** Storage kept in memory. Not durable: the simulation treats it as the node's disk. */
export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = {
    metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
    data: new Uint8Array(0),
  };
  /** ents[0] is a dummy holding the snapshot's index and term; ents[i] has index ents[0].index + i. */
  private ents: Entry[] = [{ term: 0, index: 0, type: 'EntryNormal', data: new Uint8Array(0) }];

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new CompactedError(`entries [${lo}, ${hi}) compacted (first index ${offset + 1})`);
    if (hi > this.lastIndex() + 1) {
      throw new UnavailableError(`entries [${lo}, ${hi}) beyond last index ${this.lastIndex()}`);
    }
    if (lo >= hi) return [];
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    const offset = this.offset();
    if (i < offset) throw new CompactedError(`term(${i}) compacted (first index ${offset + 1})`);
    const e = this.ents[i - offset];
    if (e === undefined) throw new UnavailableError(`term(${i}) beyond last index ${this.lastIndex()}`);
    return e.term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) {
      throw new Error(
        `snapshot at index ${snap.metadata.index} is not newer than the stored one at ${this.snap.metadata.index}`,
      );
    }
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 'EntryNormal', data: new Uint8Array(0) }];
  }

  /** Records a snapshot of the applied state at index i (does not drop log entries: see compact). */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) {
      throw new Error(`cannot snapshot at ${i}: a snapshot at ${this.snap.metadata.index} already exists`);
    }
    invariant(i <= this.lastIndex(), () => `snapshot index ${i} beyond last index ${this.lastIndex()}`);
    const term = this.term(i);
    this.snap = { metadata: { index: i, term, confState }, data };
    return this.snap;
  }

  /**
   * Discards entries up to and including `compactIndex`. Only entries covered by the
   * latest snapshot may go: otherwise a lagging follower could be neither caught up
   * from the log nor from the snapshot.
   */
  compact(compactIndex: number): void {
    const offset = this.offset();
    if (compactIndex <= offset) throw new CompactedError(`already compacted to ${offset}`);
    invariant(
      compactIndex <= this.snap.metadata.index,
      () => `compact(${compactIndex}) beyond the latest snapshot at ${this.snap.metadata.index}`,
    );
    const i = compactIndex - offset;
    const at = this.ents[i]!;
    this.ents = [{ term: at.term, index: at.index, type: 'EntryNormal', data: new Uint8Array(0) }, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, replacing any existing suffix that they overlap (a new leader
   * may overwrite uncommitted entries). Entries already compacted are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[entries.length - 1]!.index;
    if (last < first) return;
    const skip = Math.max(0, first - entries[0]!.index);
    const toAdd = skip > 0 ? entries.slice(skip) : entries;
    const start = toAdd[0]!.index;
    const offset = this.offset();
    invariant(
      start - offset <= this.ents.length,
      () => `missing log entries: last index ${this.lastIndex()}, appending at ${start}`,
    );
    this.ents.length = start - offset;
    for (const e of toAdd) this.ents.push(e);
  }

  private offset(): number {
    return this.ents[0]!.index;
  }
}

/**
 * Prepares a fresh node's storage for bootstrapping a new cluster: the initial
 * membership lives in a snapshot at index 1, so nodes added later receive it
 * (a node joining with an empty log is caught up by snapshot, never from index 1).
 */
export function bootstrapStorage(storage: MemoryStorage, confState: ConfState, index = 1, term = 1): void {
  storage.applySnapshot({ metadata: { index, term, confState }, data: new Uint8Array(0) });
  storage.setHardState({ term, vote: 0, commit: index });
}
