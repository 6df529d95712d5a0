// Unit tests of the Raft storage pieces: codecs, snapshot format, framing, proposal
// bookkeeping, timing, node identity, the SQLite log + state machine, and cluster TLS.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeConfChange } from '../../../src/raft/codec.js';
import { CompactedError, UnavailableError } from '../../../src/raft/errors.js';
import type { Ready } from '../../../src/raft/raw-node.js';
import type { Entry } from '../../../src/raft/types.js';
import { createClusterTls } from '../../../src/storage/raft/cluster-tls.js';
import { decodeCommand, decodeMemberInfo, encodeCommand, encodeMemberInfo, encodedTxnSize, type RaftCommand } from '../../../src/storage/raft/commands.js';
import { ProposalLostError, ProposalOutcomeUnknownError, SnapshotFormatError } from '../../../src/storage/raft/errors.js';
import { FrameDecoder, FrameError, FrameType, encodeFrame } from '../../../src/storage/raft/frames.js';
import { resolveNodeId } from '../../../src/storage/raft/node-identity.js';
import { ProposalTracker } from '../../../src/storage/raft/proposal-tracker.js';
import { RaftDatabase } from '../../../src/storage/raft/raft-db.js';
import { SnapshotReader, SnapshotWriter, type SnapshotHeader } from '../../../src/storage/raft/snapshot-format.js';
import { raftTiming } from '../../../src/storage/raft/timing.js';
import { RaftTransport, parseHostPort } from '../../../src/storage/raft/transport.js';
import { silentLogger } from '../../../src/util/logger.js';
import { freePort, removeDir, tempDir, waitFor } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s);
const dirs: string[] = [];
const dbs: RaftDatabase[] = [];
function dir(): string {
  const d = tempDir('coffer-raft-unit-');
  dirs.push(d);
  return d;
}
function openDb(d = dir()): RaftDatabase {
  const db = RaftDatabase.open(d);
  dbs.push(db);
  return db;
}

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

function ready(p: Partial<Ready>): Ready {
  return { readStates: [], entries: [], committedEntries: [], messages: [], mustSync: true, ...p };
}

function kvEntry(index: number, term: number, c: RaftCommand): Entry {
  return { index, term, type: 'EntryNormal', data: encodeCommand(c) };
}

describe('commands', () => {
  it('round-trips every command kind', () => {
    const cmds: RaftCommand[] = [
      { kind: 'kv', txns: [[{ op: 'put', key: 'a/é', value: b('1') }], [{ op: 'delete', key: 'b' }, { op: 'put', key: 'c', value: Buffer.alloc(0) }]] },
      { kind: 'restore-begin', id: 'r1' },
      { kind: 'restore-chunk', id: 'r1', records: [{ key: 'k', value: b('v') }] },
      { kind: 'restore-commit', id: 'r1' },
      { kind: 'restore-abort', id: 'r1' },
    ];
    for (const c of cmds) expect(decodeCommand(encodeCommand(c))).toEqual(c);
    const one = { kind: 'kv', txns: [[{ op: 'put', key: 'abc', value: Buffer.alloc(1000) }]] } as const;
    expect(encodeCommand(one).length).toBeLessThanOrEqual(encodedTxnSize(one.txns[0]) + 16);
    expect(() => decodeCommand(new Uint8Array([9, 0]))).toThrow(/version/);
  });

  it('round-trips member info', () => {
    const m = { nodeId: 'node-a', address: '10.0.0.1:8201', wantsVote: true };
    expect(decodeMemberInfo(encodeMemberInfo(m))).toEqual(m);
    expect(decodeMemberInfo(new Uint8Array(0))).toBeUndefined();
  });
});

describe('snapshot format', () => {
  const header: SnapshotHeader = { index: 7, term: 2, confState: { voters: [1, 2], learners: [3] }, confIndex: 5, members: [], createdAt: 'now' };
  function sample(): Buffer {
    const w = new SnapshotWriter();
    return Buffer.concat([w.begin(header), w.record({ key: 'a', value: b('1') }), w.record({ key: 'ü/b', value: Buffer.alloc(300, 1) }), w.record({ key: 's', value: b('x') }, true), w.finish()]);
  }

  it('parses a stream fed one byte at a time', () => {
    const bytes = sample();
    const r = new SnapshotReader();
    const items = [];
    for (let i = 0; i < bytes.length; i++) items.push(...r.push(bytes.subarray(i, i + 1)));
    r.finish();
    expect(items.map((i) => (i.type === 'header' ? 'header' : `${i.staged ? 'staged:' : ''}${i.record.key}=${i.record.value.length}`))).toEqual([
      'header',
      'a=1',
      'ü/b=300',
      'staged:s=1',
    ]);
  });

  it('detects corruption, truncation and trailing bytes', () => {
    const bytes = sample();
    for (let i = 8; i < bytes.length; i += 7) {
      const bad = Buffer.from(bytes);
      bad[i] = bad[i]! ^ 0x01;
      const r = new SnapshotReader();
      expect(() => {
        r.push(bad);
        r.finish();
      }, `flip at ${i}`).toThrow();
    }
    const r1 = new SnapshotReader();
    r1.push(bytes.subarray(0, bytes.length - 1));
    expect(() => r1.finish()).toThrow(SnapshotFormatError);
    const r2 = new SnapshotReader();
    expect(() => r2.push(Buffer.concat([bytes, b('x')]))).toThrow(SnapshotFormatError);
  });
});

describe('frames', () => {
  it('reassembles frames split at any point and rejects bad ones', () => {
    const frames = [encodeFrame(FrameType.Raft, b('hello')), encodeFrame(FrameType.Hello, Buffer.alloc(70_000, 2)), encodeFrame(FrameType.JoinRequest, b(''))];
    const all = Buffer.concat(frames);
    for (const step of [1, 3, 4096, all.length]) {
      const d = new FrameDecoder(1 << 20);
      const out = [];
      for (let i = 0; i < all.length; i += step) out.push(...d.push(all.subarray(i, i + step)));
      expect(out.map((f) => [f.type, f.payload.length])).toEqual([
        [FrameType.Raft, 5],
        [FrameType.Hello, 70_000],
        [FrameType.JoinRequest, 0],
      ]);
    }
    expect(() => new FrameDecoder(100).push(encodeFrame(FrameType.Raft, Buffer.alloc(200)))).toThrow(FrameError);
    const unknown = encodeFrame(FrameType.Raft, b('x'));
    unknown[4] = 99;
    expect(() => new FrameDecoder(100).push(unknown)).toThrow(/unknown frame type/);
  });

  it('parses cluster addresses', () => {
    expect(parseHostPort('127.0.0.1:8201')).toEqual({ host: '127.0.0.1', port: 8201 });
    expect(parseHostPort('https://node-a.example:8201')).toEqual({ host: 'node-a.example', port: 8201 });
    expect(parseHostPort('[::1]:8201')).toEqual({ host: '::1', port: 8201 });
    expect(() => parseHostPort('nohost')).toThrow(/host:port/);
  });
});

describe('proposal tracker', () => {
  function waiter(): { w: { resolve(): void; reject(e: Error): void }; result: () => string } {
    let r = 'pending';
    return { w: { resolve: () => (r = 'ok'), reject: (e) => (r = e.name) }, result: () => r };
  }

  it('settles by (term, index): same term succeeds, another term is lost, a snapshot or timeout is unknown', () => {
    const t = new ProposalTracker();
    const [a, c, d, e] = [waiter(), waiter(), waiter(), waiter()];
    t.add(5, 2, [a.w], 1000);
    t.add(6, 2, [c.w], 1000);
    t.add(7, 2, [d.w], 1000);
    t.add(9, 2, [e.w], 50);
    for (const s of [t.applied(5, 2)!, t.applied(6, 3)!]) {
      for (const w of s.waiters) {
        if (s.error) w.reject(s.error);
        else w.resolve();
      }
    }
    expect(a.result()).toBe('ok');
    expect(c.result()).toBe(new ProposalLostError('').name);
    expect(t.applied(8, 2)).toBeUndefined();
    const expired = t.expired(100);
    expect(expired).toHaveLength(1);
    expect(expired[0]!.error).toBeInstanceOf(ProposalOutcomeUnknownError);
    const skipped = t.skippedTo(7);
    expect(skipped).toHaveLength(1);
    expect(t.size).toBe(0);
  });
});

describe('timing', () => {
  it('scales the tick with performance_multiplier (0/unset = 5)', () => {
    expect(raftTiming(undefined)).toEqual({ tickMs: 100, heartbeatTicks: 1, electionTicks: 5 });
    expect(raftTiming(0).tickMs).toBe(100);
    expect(raftTiming(1).tickMs).toBe(20);
    expect(() => raftTiming(11)).toThrow(/performance_multiplier/);
    expect(() => raftTiming(1, { electionTicks: 1 })).toThrow(/invalid timing/);
  });
});

describe('node identity', () => {
  it('uses the configured node_id, else creates and keeps one in <path>/node-id', () => {
    const d = dir();
    expect(resolveNodeId(d, 'configured')).toBe('configured');
    const generated = resolveNodeId(d, undefined);
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(readFileSync(join(d, 'node-id'), 'utf8')).toBe(generated);
    expect(resolveNodeId(d, undefined)).toBe(generated);
  });
});

describe('raft.db', () => {
  it('implements the core Storage contract over SQLite, across restarts', () => {
    const d = dir();
    const db = openDb(d);
    expect(db.isEmpty()).toBe(true);
    db.bootstrap(db.raftId, { nodeId: 'n1', address: 'a:1', wantsVote: true });
    expect(db.log.firstIndex()).toBe(2);
    expect(db.log.lastIndex()).toBe(1);
    expect(db.log.term(1)).toBe(1);
    expect(db.log.initialState().confState.voters).toEqual([db.raftId]);

    const ents: Entry[] = [2, 3, 4].map((i) => kvEntry(i, 2, { kind: 'kv', txns: [[{ op: 'put', key: `k${i}`, value: b(`v${i}`) }]] }));
    db.persistReady(ready({ entries: ents, hardState: { term: 2, vote: db.raftId, commit: 3 }, committedEntries: ents.slice(0, 2) }));
    expect(db.fsm.appliedIndex).toBe(3);
    expect(db.fsm.get('k3')?.toString()).toBe('v3');
    expect(db.fsm.get('k4')).toBeUndefined();
    expect(db.log.entries(2, 5, 1 << 20).map((e) => e.index)).toEqual([2, 3, 4]);
    expect(db.log.entries(2, 5, 1).map((e) => e.index)).toEqual([2]); // at least one entry
    expect(() => db.log.entries(1, 3, 100)).toThrow(CompactedError);
    expect(() => db.log.entries(2, 6, 100)).toThrow(UnavailableError);
    expect(() => db.log.term(5)).toThrow(UnavailableError);

    // A new leader overwrites the uncommitted entry 4.
    const over = kvEntry(4, 3, { kind: 'kv', txns: [[{ op: 'put', key: 'k4', value: b('other') }]] });
    db.persistReady(ready({ entries: [over], hardState: { term: 3, vote: 0, commit: 4 }, committedEntries: [over] }));
    expect(db.log.term(4)).toBe(3);
    expect(db.fsm.get('k4')?.toString()).toBe('other');

    const raftId = db.raftId;
    db.close();
    const again = openDb(d);
    expect(again.raftId).toBe(raftId);
    expect(again.log.lastIndex()).toBe(4);
    expect(again.log.term(4)).toBe(3);
    expect(again.log.hardState()).toEqual({ term: 3, vote: 0, commit: 4 });
    expect(again.fsm.appliedIndex).toBe(4);
    expect(again.log.entries(3, 5, 1 << 20).map((e) => e.term)).toEqual([2, 3]); // read from SQLite, not a cache

    // Compaction keeps `trailing` entries and the snapshot covers the compaction point.
    expect(again.maybeCompact(2, 1)).toBe(true);
    expect(again.log.firstIndex()).toBe(4);
    expect(again.log.term(3)).toBe(2);
    expect(() => again.log.term(2)).toThrow(CompactedError);
    expect(again.snapshot().metadata.index).toBe(4);
  });

  it('applies membership changes and moves a staged restore between nodes inside a snapshot', () => {
    const a = openDb();
    a.bootstrap(a.raftId, { nodeId: 'n1', address: 'a:1', wantsVote: true });
    const cc: Entry = {
      index: 2,
      term: 1,
      type: 'EntryConfChange',
      data: encodeConfChange({ type: 'AddLearnerNode', nodeId: 77, context: encodeMemberInfo({ nodeId: 'n2', address: 'b:2', wantsVote: true }) }),
    };
    const steps: Entry[] = [
      cc,
      kvEntry(3, 1, { kind: 'kv', txns: [[{ op: 'put', key: 'live', value: b('1') }]] }),
      kvEntry(4, 1, { kind: 'restore-begin', id: 'r' }),
      kvEntry(5, 1, { kind: 'restore-chunk', id: 'r', records: [{ key: 'restored', value: b('2') }] }),
    ];
    const fx = a.persistReady(ready({ entries: steps, hardState: { term: 1, vote: 0, commit: 5 }, committedEntries: steps }));
    expect(fx.confChanged).toBe(true);
    expect(a.fsm.confState).toEqual({ voters: [a.raftId], learners: [77] });
    expect(a.fsm.members.get(77)).toEqual({ nodeId: 'n2', address: 'b:2', wantsVote: true });
    expect(a.fsm.get('restored')).toBeUndefined();

    // A follower installs a snapshot taken mid-restore, then applies the commit.
    const snap = a.snapshot();
    const f = openDb();
    f.persistReady(ready({ snapshot: snap, hardState: { term: 1, vote: 0, commit: 5 } }));
    expect(f.fsm.appliedIndex).toBe(5);
    expect(f.fsm.get('live')?.toString()).toBe('1');
    expect(f.fsm.members.get(77)?.nodeId).toBe('n2');
    const commit = kvEntry(6, 1, { kind: 'restore-commit', id: 'r' });
    const fx2 = f.persistReady(ready({ entries: [commit], hardState: { term: 1, vote: 0, commit: 6 }, committedEntries: [commit] }));
    expect(fx2.restored).toBe(true);
    expect(f.fsm.get('restored')?.toString()).toBe('2');
    expect(f.fsm.get('live')).toBeUndefined();
  });
});

describe('cluster transport', () => {
  it('bounds the queue for an unreachable peer: the overflow is dropped and reported', async () => {
    const { nodes } = await createClusterTls(['a']);
    const unreachable: number[] = [];
    const t = new RaftTransport({
      self: { raft_id: 1, node_id: 'a', address: `127.0.0.1:${await freePort()}` },
      tls: nodes.a!,
      handlers: { onMessage: () => {}, onUnreachable: (id) => unreachable.push(id), onJoinRequest: async () => ({ ok: false as const, error: 'no' }) },
      logger: silentLogger,
      maxQueuedWhileDown: 10,
    });
    try {
      t.setMemberAddresses(new Map([[2, `127.0.0.1:${await freePort()}`]])); // nobody listens there
      const msg = { type: 'MsgHeartbeat', to: 2, from: 1, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 } as const;
      const dropped = t.sendAll(Array.from({ length: 50 }, () => msg));
      expect(dropped).toEqual(new Set([2]));
      expect(t.peerStats()['2']).toMatchObject({ queued: 10, dropped: 40, connected: false });
      expect(t.send({ ...msg, to: 3 })).toBe(false); // no address known
      await waitFor('the failed dial to be reported', () => unreachable.includes(2));
    } finally {
      await t.close();
    }
  });

  it('refuses peers whose certificate is not from the cluster CA', async () => {
    const [ours, theirs] = await Promise.all([createClusterTls(['a']), createClusterTls(['intruder'])]);
    const addr = `127.0.0.1:${await freePort()}`;
    const handlers = { onMessage: () => {}, onUnreachable: () => {}, onJoinRequest: async () => ({ ok: true as const, members: [] }) };
    const server = new RaftTransport({ self: { raft_id: 1, node_id: 'a', address: addr }, tls: ours.nodes.a!, handlers, logger: silentLogger });
    await server.listen();
    // The intruder trusts our CA (it can verify the server) but its own certificate is foreign.
    const intruderTls = { ...theirs.nodes.intruder!, ca: ours.ca.cert };
    const intruder = new RaftTransport({ self: { raft_id: 2, node_id: 'x', address: '127.0.0.1:1' }, tls: intruderTls, handlers, logger: silentLogger });
    const friend = new RaftTransport({ self: { raft_id: 3, node_id: 'b', address: '127.0.0.1:1' }, tls: ours.nodes.a!, handlers, logger: silentLogger });
    try {
      const req = { node_id: 'x', address: '127.0.0.1:1', raft_id: 2, non_voter: false };
      await expect(intruder.requestJoin(addr, req, 3000)).rejects.toThrow();
      await expect(friend.requestJoin(addr, req, 3000)).resolves.toEqual({ ok: true, members: [] });
    } finally {
      await Promise.all([server.close(), intruder.close(), friend.close()]);
    }
  });
});
