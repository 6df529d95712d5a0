import { describe, expect, it } from 'vitest';
import { RaftInvariantError, type Snapshot } from '../../src/raft/index.js';
import { Inflights, Progress } from '../../src/raft/progress.js';
import { ProgressTracker } from '../../src/raft/progress-tracker.js';

const snap = (index: number): Snapshot => ({
  metadata: { index, term: 1, confState: { voters: [1], learners: [] } },
  data: new Uint8Array(0),
});

describe('Inflights', () => {
  it('fills up by count and frees acknowledged messages in order', () => {
    const f = new Inflights(3, 0);
    f.add(5, 10);
    f.add(7, 10);
    f.add(9, 10);
    expect(f.isFull()).toBe(true);
    expect(() => f.add(11, 1)).toThrow(RaftInvariantError);
    f.freeLE(7);
    expect(f.size()).toBe(1);
    f.add(11, 1);
    f.add(13, 1); // wraps around the ring
    expect(f.isFull()).toBe(true);
    f.freeLE(100);
    expect(f.size()).toBe(0);
  });

  it('fills up by bytes too', () => {
    const f = new Inflights(10, 100);
    f.add(1, 60);
    expect(f.isFull()).toBe(false);
    f.add(2, 40);
    expect(f.isFull()).toBe(true);
    f.freeLE(1);
    expect(f.isFull()).toBe(false);
  });

  it('refuses out-of-order indexes', () => {
    const f = new Inflights(4, 0);
    f.add(5, 1);
    expect(() => f.add(5, 1)).toThrow(RaftInvariantError);
  });
});

describe('Progress', () => {
  it('probes one message at a time and replicates optimistically', () => {
    const pr = new Progress(6, new Inflights(2, 0), false);
    pr.sentEntries(3, 30);
    expect(pr.isPaused()).toBe(true); // probe: wait for the answer
    expect(pr.next).toBe(6);
    expect(pr.maybeUpdate(8)).toBe(true);
    pr.becomeReplicate();
    expect(pr.next).toBe(9);
    pr.sentEntries(2, 20);
    expect(pr.next).toBe(11);
    pr.sentEntries(1, 10);
    expect(pr.isPaused()).toBe(true); // window of 2 is full
    expect(pr.maybeUpdate(10)).toBe(true);
    pr.inflights.freeLE(10);
    expect(pr.inflights.size()).toBe(1);
  });

  it('ignores stale rejections and backs off on genuine ones', () => {
    const pr = new Progress(11, new Inflights(4, 0), false);
    pr.match = 5;
    pr.becomeReplicate(); // next = 6
    pr.sentEntries(4, 4); // next = 10
    expect(pr.maybeDecrTo(4, 4)).toBe(false); // below match: stale
    expect(pr.maybeDecrTo(8, 7)).toBe(true);
    expect(pr.next).toBe(6); // replicate falls back to match+1
    pr.becomeProbe();
    expect(pr.maybeDecrTo(9, 5)).toBe(false); // probing sent next-1 = 5, not 9
    expect(pr.maybeDecrTo(5, 3)).toBe(true);
    expect(pr.next).toBe(6); // never below match+1
  });

  it('leaves snapshot state probing from past the snapshot', () => {
    const pr = new Progress(1, new Inflights(4, 0), false);
    pr.becomeSnapshot(snap(20));
    expect(pr.isPaused()).toBe(true);
    expect(pr.snapshotTransfer?.ackedOffset).toBe(0);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
    expect(pr.snapshotTransfer).toBeUndefined();
  });

  it('tracks which commit indexes are worth sending', () => {
    const pr = new Progress(1, new Inflights(4, 0), false);
    pr.match = 10;
    pr.becomeReplicate(); // next = 11
    expect(pr.canBumpCommit(10)).toBe(true);
    pr.sentCommit(10);
    expect(pr.canBumpCommit(10)).toBe(false);
    expect(pr.canBumpCommit(12)).toBe(false); // the follower cannot commit past 10 yet
  });
});

describe('ProgressTracker', () => {
  it('computes the commit index and election results over voters only', () => {
    const t = new ProgressTracker(4, 0);
    t.setConfig({ voters: [1, 2, 3], learners: [4] }, 1);
    const set = (id: number, m: number) => (t.progress.get(id)!.match = m);
    set(1, 10);
    set(2, 7);
    set(3, 3);
    set(4, 20);
    expect(t.committed()).toBe(7);
    t.recordVote(4, true);
    t.recordVote(1, true);
    expect(t.tallyVotes().result).toBe('VotePending');
    t.recordVote(2, false);
    t.recordVote(3, false);
    expect(t.tallyVotes()).toEqual({ granted: 1, rejected: 2, result: 'VoteLost' });
    t.recordVote(3, true); // a second vote from the same node is ignored
    expect(t.tallyVotes().granted).toBe(1);
  });

  it('keeps progress of members that stay across a configuration change', () => {
    const t = new ProgressTracker(4, 0);
    t.setConfig({ voters: [1, 2], learners: [] }, 5);
    t.progress.get(2)!.match = 4;
    t.setConfig({ voters: [1, 2, 3], learners: [] }, 9);
    expect(t.progress.get(2)!.match).toBe(4);
    expect(t.progress.get(3)!.next).toBe(9);
    expect(t.progress.get(3)!.recentActive).toBe(true);
    expect(t.quorum()).toBe(2);
  });
});
