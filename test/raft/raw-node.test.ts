import { describe, expect, it } from 'vitest';
import {
  MemoryStorage,
  ProposalDroppedError,
  RaftInvariantError,
  RaftUsageError,
  RawNode,
  bootstrapStorage,
  makeMessage,
  type Entry,
  type Message,
  type RaftConfig,
} from '../../src/raft/index.js';

const text = (e: Entry) => new TextDecoder().decode(e.data);

function node(id: number, storage: MemoryStorage, extra: Partial<RaftConfig> = {}): RawNode {
  return new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1, rand: () => 0, ...extra });
}

/** Handles Readies the way a driver must: persist, (send), apply, advance. */
function drain(n: RawNode, storage: MemoryStorage, applied: Entry[] = [], sent: Message[] = []): void {
  while (n.hasReady()) {
    const rd = n.ready();
    if (rd.snapshot) storage.applySnapshot(rd.snapshot);
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    sent.push(...rd.messages);
    applied.push(...rd.committedEntries);
    n.advance(rd);
  }
}

function singleNode(extra: Partial<RaftConfig> = {}): { n: RawNode; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  bootstrapStorage(storage, { voters: [1], learners: [] });
  return { n: node(1, storage, extra), storage };
}

describe('RawNode', () => {
  it('runs a single-node cluster: election, proposal, commit, apply', () => {
    const { n, storage } = singleNode();
    n.campaign();
    drain(n, storage);
    expect(n.status().softState).toEqual({ lead: 1, state: 'StateLeader' });
    n.propose(new TextEncoder().encode('hello'));
    const applied: Entry[] = [];
    drain(n, storage, applied);
    expect(applied.map(text)).toEqual(['hello']);
    expect(storage.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 3 });
    expect(n.status().applied).toBe(3);
  });

  it('does not commit the leader’s own entries before they are persisted', () => {
    const { n, storage } = singleNode();
    n.campaign();
    drain(n, storage);
    n.propose(new TextEncoder().encode('x'));
    const rd = n.ready();
    expect(rd.entries.map(text)).toEqual(['x']);
    expect(rd.committedEntries).toEqual([]); // the self-ack is stepped in advance()
    expect(rd.mustSync).toBe(true);
    storage.append(rd.entries);
    n.advance(rd);
    const next = n.ready();
    expect(next.committedEntries.map(text)).toEqual(['x']);
    n.advance(next);
  });

  it('enforces the ready/advance hand-off', () => {
    const { n } = singleNode();
    n.campaign();
    const rd = n.ready();
    expect(n.hasReady()).toBe(false);
    expect(() => n.ready()).toThrow(RaftUsageError);
    expect(() => n.advance({ ...rd })).toThrow(RaftUsageError);
    n.advance(rd);
    expect(() => n.advance(rd)).toThrow(RaftUsageError);
  });

  it('refuses local message types from the network and ignores responses from strangers', () => {
    const { n } = singleNode();
    expect(() => n.step(makeMessage({ type: 'MsgHup', from: 2, to: 1 }))).toThrow(/cannot step raft local message MsgHup/);
    n.step(makeMessage({ type: 'MsgAppResp', from: 9, to: 1, term: 5 }));
    expect(n.status().hardState.term).toBe(1); // not even the term moved
  });

  it('drops proposals without a leader, or at a follower that may not forward', () => {
    const storage = new MemoryStorage();
    bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
    const n = node(1, storage, { disableProposalForwarding: true });
    expect(() => n.propose(new Uint8Array([1]))).toThrow(ProposalDroppedError);
    n.step(makeMessage({ type: 'MsgHeartbeat', from: 2, to: 1, term: 3, commit: 1 }));
    expect(n.status().softState.lead).toBe(2);
    expect(() => n.propose(new Uint8Array([1]))).toThrow(/not the leader \(leader is 2\)/);
  });

  it('forwards proposals and read requests to the leader from a follower', () => {
    const storage = new MemoryStorage();
    bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
    const n = node(1, storage);
    n.step(makeMessage({ type: 'MsgHeartbeat', from: 2, to: 1, term: 3, commit: 1 }));
    n.propose(new Uint8Array([7]));
    n.readIndex(new Uint8Array([1]));
    const sent: Message[] = [];
    drain(n, storage, [], sent);
    expect(sent.map((m) => `${m.type}->${m.to}`)).toEqual(['MsgHeartbeatResp->2', 'MsgProp->2', 'MsgReadIndex->2']);
  });

  it('validates conf changes at the leader', () => {
    const { n, storage } = singleNode();
    n.campaign();
    drain(n, storage);
    expect(() => n.proposeConfChange({ type: 'RemoveNode', nodeId: 1, context: new Uint8Array(0) })).toThrow(/the last voter/);
    expect(() => n.proposeConfChange({ type: 'AddNode', nodeId: 1, context: new Uint8Array(0) })).toThrow(/already a voter/);
    n.proposeConfChange({ type: 'AddLearnerNode', nodeId: 2, context: new Uint8Array(0) });
    expect(() => n.proposeConfChange({ type: 'AddNode', nodeId: 3, context: new Uint8Array(0) })).toThrow(/unapplied conf change/);
    drain(n, storage);
    expect(n.status().confState).toEqual({ voters: [1], learners: [2] });
  });

  it('needs a unique, non-empty context for read requests', () => {
    const { n } = singleNode();
    expect(() => n.readIndex(new Uint8Array(0))).toThrow(RaftUsageError);
  });

  it('answers reads immediately in a single-node cluster', () => {
    const { n, storage } = singleNode();
    n.campaign();
    drain(n, storage);
    n.readIndex(new Uint8Array([42]));
    const rd = n.ready();
    expect(rd.readStates).toEqual([{ index: 2, requestCtx: new Uint8Array([42]) }]);
    n.advance(rd);
  });

  it('recovers term, vote, commit and log from storage after a restart', () => {
    const { n, storage } = singleNode();
    n.campaign();
    drain(n, storage);
    n.propose(new TextEncoder().encode('kept'));
    drain(n, storage);
    const restarted = node(1, storage);
    expect(restarted.status().hardState).toEqual({ term: 2, vote: 1, commit: 3 });
    expect(restarted.status().lastIndex).toBe(3);
    const applied: Entry[] = [];
    drain(restarted, storage, applied);
    expect(applied.map(text)).toEqual(['', 'kept']); // replayed from the snapshot index
  });

  it('validates its configuration', () => {
    const storage = new MemoryStorage();
    const base: RaftConfig = { id: 1, storage, electionTick: 10, heartbeatTick: 1, rand: () => 0 };
    expect(() => new RawNode({ ...base, id: 0 })).toThrow(/id must be a positive integer/);
    expect(() => new RawNode({ ...base, electionTick: 1 })).toThrow(/electionTick must be > heartbeatTick/);
    expect(() => new RawNode({ ...base, readOnlyOption: 'lease-based', checkQuorum: false })).toThrow(/requires checkQuorum/);
    expect(() => new RawNode({ ...base, maxInflightMsgs: 0 })).toThrow(/maxInflightMsgs/);
    expect(() => new RawNode({ ...base, rand: () => 1 })).toThrow(/rand\(\) must return a number in \[0, 1\)/);
  });
});

describe('Raft invariant assertions', () => {
  it('refuse to move the term backwards', () => {
    const { n, storage } = singleNode();
    n.campaign();
    drain(n, storage);
    expect(n.raft.term).toBe(2);
    expect(() => n.raft.becomeFollower(1, 0)).toThrow(RaftInvariantError);
    expect(() => n.raft.becomeFollower(1, 0)).toThrow(/term would go back from 2 to 1/);
  });

  it('refuse a persisted commit index beyond the log (lost or truncated log)', () => {
    const storage = new MemoryStorage();
    bootstrapStorage(storage, { voters: [1], learners: [] });
    storage.setHardState({ term: 1, vote: 0, commit: 5 });
    expect(() => node(1, storage)).toThrow(/state.commit 5 is out of range \[1, 1\]/);
  });

  it('refuse to overwrite committed entries', () => {
    const storage = new MemoryStorage();
    bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
    const n = node(1, storage);
    const e = (term: number, index: number): Entry => ({ term, index, type: 'EntryNormal', data: new Uint8Array(0) });
    n.step(makeMessage({ type: 'MsgApp', from: 2, to: 1, term: 2, logTerm: 1, index: 1, commit: 3, entries: [e(2, 2), e(2, 3)] }));
    expect(n.raft.raftLog.committed).toBe(3);
    // A stale append below the commit index is answered with the commit index...
    n.step(makeMessage({ type: 'MsgApp', from: 2, to: 1, term: 2, logTerm: 1, index: 1, commit: 3, entries: [e(3, 2)] }));
    expect(n.raft.raftLog.termOrUndefined(2)).toBe(2);
    // ...and rewriting a committed entry is refused loudly.
    expect(() => n.raft.raftLog.maybeAppend(2, 2, 3, [e(3, 3)])).toThrow(/conflicts with committed entry/);
  });

  it('refuse to vote twice in one term', () => {
    const storage = new MemoryStorage();
    bootstrapStorage(storage, { voters: [1, 2, 3], learners: [] });
    const n = node(1, storage, { preVote: false, checkQuorum: false });
    n.step(makeMessage({ type: 'MsgVote', from: 2, to: 1, term: 2, logTerm: 1, index: 1 }));
    n.step(makeMessage({ type: 'MsgVote', from: 3, to: 1, term: 2, logTerm: 1, index: 1 }));
    const sent: Message[] = [];
    drain(n, storage, [], sent);
    expect(sent.map((m) => `${m.type}->${m.to}${m.reject ? ' rejected' : ''}`)).toEqual(['MsgVoteResp->2', 'MsgVoteResp->3 rejected']);
    expect(storage.initialState().hardState.vote).toBe(2);
  });
});
