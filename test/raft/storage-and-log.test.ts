import { describe, expect, it } from 'vitest';
import { CompactedError, MemoryStorage, RaftInvariantError, UnavailableError, type Entry } from '../../src/raft/index.js';
import { RaftLog, Unstable } from '../../src/raft/raft-log.js';

const ent = (term: number, index: number, data = ''): Entry => ({ term, index, type: 'EntryNormal', data: new TextEncoder().encode(data) });
const ids = (es: readonly Entry[]) => es.map((e) => `${e.term}/${e.index}`);

/** Storage holding a snapshot at 3 (term 3) and entries 4..6 with terms 4, 5, 6. */
function storage346(): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index: 3, term: 3, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) });
  s.append([ent(4, 4), ent(5, 5), ent(6, 6)]);
  return s;
}

describe('MemoryStorage', () => {
  it('serves entries and terms in its range, and says why otherwise', () => {
    const s = storage346();
    expect(s.firstIndex()).toBe(4);
    expect(s.lastIndex()).toBe(6);
    expect(s.term(3)).toBe(3); // the snapshot's term stays available for matching
    expect(s.term(6)).toBe(6);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.term(7)).toThrow(UnavailableError);
    expect(ids(s.entries(4, 7, Infinity))).toEqual(['4/4', '5/5', '6/6']);
    expect(() => s.entries(3, 5, Infinity)).toThrow(CompactedError);
    expect(() => s.entries(4, 8, Infinity)).toThrow(UnavailableError);
  });

  it('limits entries by size but always returns at least one', () => {
    const s = storage346();
    expect(ids(s.entries(4, 7, 0))).toEqual(['4/4']);
    expect(ids(s.entries(4, 7, 16 * 2))).toEqual(['4/4', '5/5']);
  });

  it('append overwrites a conflicting suffix and ignores compacted entries', () => {
    const s = storage346();
    s.append([ent(7, 5), ent(7, 6), ent(7, 7)]);
    expect(ids(s.entries(4, 8, Infinity))).toEqual(['4/4', '7/5', '7/6', '7/7']);
    s.append([ent(1, 2), ent(3, 3), ent(4, 4)]);
    expect(s.lastIndex()).toBe(4);
    expect(() => s.append([ent(8, 9)])).toThrow(RaftInvariantError); // a gap
  });

  it('compacts only what the latest snapshot covers', () => {
    const s = storage346();
    expect(() => s.compact(5)).toThrow(/beyond the latest snapshot/);
    s.createSnapshot(5, { voters: [1], learners: [] }, new TextEncoder().encode('state'));
    s.compact(5);
    expect(s.firstIndex()).toBe(6);
    expect(s.term(5)).toBe(5);
    expect(() => s.compact(5)).toThrow(CompactedError);
    expect(() => s.createSnapshot(4, { voters: [1], learners: [] }, new Uint8Array(0))).toThrow(/already exists/);
  });

  it('applySnapshot replaces the log and refuses older snapshots', () => {
    const s = storage346();
    s.applySnapshot({ metadata: { index: 10, term: 8, confState: { voters: [1, 2], learners: [] } }, data: new Uint8Array(0) });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.initialState().confState.voters).toEqual([1, 2]);
    expect(() =>
      s.applySnapshot({ metadata: { index: 9, term: 8, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) }),
    ).toThrow(/not newer/);
  });
});

describe('Unstable', () => {
  it('stableTo ignores entries that were overwritten after the Ready was taken', () => {
    const u = new Unstable(5);
    u.truncateAndAppend([ent(1, 5), ent(1, 6)]);
    u.truncateAndAppend([ent(2, 6)]); // a new leader overwrote 6
    u.stableTo(6, 1); // the driver persisted the old 1/6
    expect(ids(u.entries)).toEqual(['1/5', '2/6']);
    u.stableTo(5, 1);
    expect(ids(u.entries)).toEqual(['2/6']);
    expect(u.offset).toBe(6);
  });

  it('truncateAndAppend below the offset rewinds it (storage will be overwritten)', () => {
    const u = new Unstable(5);
    u.truncateAndAppend([ent(1, 5), ent(1, 6)]);
    u.truncateAndAppend([ent(3, 3)]);
    expect(u.offset).toBe(3);
    expect(ids(u.entries)).toEqual(['3/3']);
  });
});

describe('RaftLog', () => {
  it('reads across storage and the unstable tail, with a size limit', () => {
    const log = new RaftLog(storage346(), Infinity);
    log.append([ent(6, 7), ent(6, 8)]);
    expect(log.lastIndex()).toBe(8);
    expect(ids(log.slice(5, 9, Infinity))).toEqual(['5/5', '6/6', '6/7', '6/8']);
    expect(ids(log.slice(5, 9, 16 * 3))).toEqual(['5/5', '6/6', '6/7']);
    expect(() => log.slice(3, 5, Infinity)).toThrow(CompactedError);
  });

  it('findConflict and maybeAppend follow the log matching rules', () => {
    const log = new RaftLog(storage346(), Infinity);
    expect(log.findConflict([ent(5, 5), ent(6, 6)])).toBe(0);
    expect(log.findConflict([ent(5, 5), ent(7, 6), ent(7, 7)])).toBe(6);
    expect(log.findConflict([ent(6, 6), ent(6, 7)])).toBe(7);
    // (prev 5/5) matches: append, truncating the conflicting 6/6.
    expect(log.maybeAppend(5, 5, 4, [ent(7, 6)])).toBe(6);
    expect(log.lastTerm()).toBe(7);
    expect(log.committed).toBe(4);
    // (prev 6/6) no longer matches.
    expect(log.maybeAppend(6, 6, 6, [])).toBeUndefined();
  });

  it('findConflictByTerm skips every index whose term is above the hint', () => {
    // terms at indexes 4..9: 4 5 6 6 6 8
    const s = storage346();
    s.append([ent(6, 7), ent(6, 8), ent(8, 9)]);
    const log = new RaftLog(s, Infinity);
    expect(log.findConflictByTerm(9, 7)).toEqual({ index: 8, term: 6 });
    expect(log.findConflictByTerm(9, 5)).toEqual({ index: 5, term: 5 });
    expect(log.findConflictByTerm(9, 3)).toEqual({ index: 3, term: 3 });
    expect(log.findConflictByTerm(9, 2)).toEqual({ index: 2, term: 0 }); // compacted: term unknown
  });

  it('commits only entries of the given term, never backwards, never past the log', () => {
    const log = new RaftLog(storage346(), Infinity);
    expect(log.maybeCommit(6, 5)).toBe(false); // entry 6 has term 6
    expect(log.maybeCommit(6, 6)).toBe(true);
    log.commitTo(4);
    expect(log.committed).toBe(6);
    expect(() => log.commitTo(7)).toThrow(RaftInvariantError);
    expect(() => log.append([ent(9, 5)])).toThrow(/truncate committed/);
  });

  it('hands out committed entries to apply, none while a snapshot is pending', () => {
    const log = new RaftLog(storage346(), Infinity);
    log.commitTo(5);
    expect(ids(log.nextCommittedEntries())).toEqual(['4/4', '5/5']);
    log.appliedTo(5);
    expect(log.hasNextCommittedEntries()).toBe(false);
    expect(() => log.appliedTo(6)).toThrow(RaftInvariantError);
    log.restore({ metadata: { index: 20, term: 9, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) });
    expect(log.committed).toBe(20);
    expect(log.nextCommittedEntries()).toEqual([]);
  });
});
