import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decodeConfChange,
  decodeConfState,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeConfChange,
  encodeConfState,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
  makeMessage,
  type Entry,
  type Message,
  type MessageType,
} from '../../src/raft/index.js';
import { Prng } from './sim/prng.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const MAX = Number.MAX_SAFE_INTEGER;

const TYPES: MessageType[] = [
  'MsgProp', 'MsgApp', 'MsgAppResp', 'MsgVote', 'MsgVoteResp', 'MsgPreVote', 'MsgPreVoteResp', 'MsgSnap',
  'MsgSnapResp', 'MsgHeartbeat', 'MsgHeartbeatResp', 'MsgTransferLeader', 'MsgTimeoutNow', 'MsgReadIndex',
  'MsgReadIndexResp', 'MsgHup', 'MsgBeat', 'MsgCheckQuorum', 'MsgUnreachable',
];

function randomBytes(rng: Prng, max: number): Uint8Array {
  return Uint8Array.from({ length: rng.int(0, max) }, () => rng.int(0, 255));
}

function randomMessage(rng: Prng): Message {
  const entries: Entry[] = Array.from({ length: rng.int(0, 3) }, () => ({
    term: rng.int(0, 1e6),
    index: rng.int(0, 1e9),
    type: rng.chance(0.2) ? 'EntryConfChange' : 'EntryNormal',
    data: randomBytes(rng, 40),
  }));
  return makeMessage({
    type: rng.pick(TYPES),
    to: rng.int(1, 1000),
    from: rng.int(1, 1000),
    term: rng.chance(0.1) ? MAX : rng.int(0, 1e6),
    logTerm: rng.int(0, 1e6),
    index: rng.int(0, 2 ** 40),
    entries,
    commit: rng.int(0, 1e9),
    reject: rng.chance(0.3),
    rejectHint: rng.int(0, 1e9),
    snapshot: rng.chance(0.3)
      ? {
          metadata: { index: rng.int(0, 1e9), term: rng.int(0, 1e6), confState: { voters: [1, 2, 3], learners: rng.chance(0.5) ? [7] : [] } },
          offset: rng.int(0, 1e7),
          data: randomBytes(rng, 64),
          done: rng.chance(0.5),
        }
      : undefined,
    context: rng.chance(0.3) ? randomBytes(rng, 16) : undefined,
  });
}

describe('raft codec', () => {
  it('round-trips a fully populated message', () => {
    const m = makeMessage({
      type: 'MsgSnap',
      to: 2,
      from: 1,
      term: 7,
      logTerm: 6,
      index: 1234567,
      commit: 99,
      reject: true,
      rejectHint: 42,
      entries: [
        { term: 7, index: 1234568, type: 'EntryNormal', data: bytes('hello') },
        { term: 7, index: 1234569, type: 'EntryConfChange', data: encodeConfChange({ type: 'AddLearnerNode', nodeId: 4, context: bytes('addr') }) },
      ],
      snapshot: { metadata: { index: 10, term: 3, confState: { voters: [1, 2], learners: [3] } }, offset: 8, data: bytes('chunk'), done: true },
      context: bytes('ctx'),
    });
    expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('round-trips 2,000 random messages, including integers up to 2^53-1', () => {
    const rng = new Prng(7);
    for (let i = 0; i < 2000; i++) {
      const m = randomMessage(rng);
      expect(decodeMessage(encodeMessage(m))).toEqual(m);
    }
  });

  it('omits absent optional fields rather than inventing empty ones', () => {
    const m = decodeMessage(encodeMessage(makeMessage({ type: 'MsgHeartbeat', to: 1, from: 2, term: 3 })));
    expect(m.snapshot).toBeUndefined();
    expect(m.context).toBeUndefined();
    expect(m.entries).toEqual([]);
  });

  it('round-trips entries, hard state, conf state, snapshots and conf changes', () => {
    const e: Entry = { term: 3, index: 9, type: 'EntryNormal', data: bytes('x') };
    expect(decodeEntry(encodeEntry(e))).toEqual(e);
    expect(decodeHardState(encodeHardState({ term: MAX, vote: 3, commit: 0 }))).toEqual({ term: MAX, vote: 3, commit: 0 });
    expect(decodeConfState(encodeConfState({ voters: [1, 5], learners: [] }))).toEqual({ voters: [1, 5], learners: [] });
    const s = { metadata: { index: 5, term: 2, confState: { voters: [1], learners: [2, 3] } }, data: bytes('state') };
    expect(decodeSnapshot(encodeSnapshot(s))).toEqual(s);
    const cc = { type: 'RemoveNode' as const, nodeId: 12, context: new Uint8Array(0) };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
  });

  it('is compact: a heartbeat takes a handful of bytes', () => {
    const hb = encodeMessage(makeMessage({ type: 'MsgHeartbeat', to: 2, from: 1, term: 5, commit: 100, index: 3 }));
    expect(hb.length).toBeLessThanOrEqual(14);
  });

  it('rejects malformed input with a CodecError that says what and where', () => {
    const good = encodeMessage(randomMessage(new Prng(1)));
    expect(() => decodeMessage(good.subarray(0, good.length - 1))).toThrow(CodecError);
    expect(() => decodeMessage(Uint8Array.from([...good, 0]))).toThrow(/trailing/);
    expect(() => decodeMessage(Uint8Array.from([9, ...good.subarray(1)]))).toThrow(/version 9/);
    expect(() => decodeMessage(Uint8Array.from([1, 100, 0]))).toThrow(/unknown message type code 100/);
    expect(() => decodeHardState(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(CodecError);
    expect(() => decodeConfChange(new Uint8Array(0))).toThrow(/malformed raft conf change at byte 0: truncated/);
  });

  it('refuses to encode numbers that are not safe non-negative integers', () => {
    expect(() => encodeHardState({ term: -1, vote: 0, commit: 0 })).toThrow(CodecError);
    expect(() => encodeHardState({ term: 1.5, vote: 0, commit: 0 })).toThrow(CodecError);
    expect(() => encodeHardState({ term: 2 ** 53, vote: 0, commit: 0 })).toThrow(CodecError);
  });
});
