// In-process 3-node clusters over real mTLS sockets on loopback and real SQLite files.

import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/raft/types.js';
import { NotLeaderError, ProposalLostError } from '../../../src/storage/raft/errors.js';
import type { LeadershipChange } from '../../../src/storage/raft/backend-types.js';
import { freePort, leaderOf, openNode, startCluster, stopNodes, tempDir, type TestNode, waitFor } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s);
const str = async (n: TestNode, key: string): Promise<string | undefined> => (await n.backend.get(key))?.toString();

let clusters: TestNode[][] = [];
async function cluster(n = 3, extra: Parameters<typeof startCluster>[1] = {}): Promise<TestNode[]> {
  const c = await startCluster(n, extra);
  clusters.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clusters) await stopNodes(c);
  clusters = [];
});

async function everywhere(nodes: readonly TestNode[], key: string, value: string | undefined): Promise<void> {
  await waitFor(`${key}=${value} on every node`, async () => {
    for (const n of nodes) if ((await str(n, key)) !== value) return false;
    return true;
  });
}

describe('raft storage cluster', () => {
  it('replicates writes from the leader; followers refuse writes naming the leader', async () => {
    const nodes = await cluster();
    const leader = await leaderOf(nodes);
    const followers = nodes.filter((n) => n !== leader);

    await leader.backend.put('a/1', b('one'));
    await leader.backend.txn([
      { op: 'put', key: 'a/2', value: b('two') },
      { op: 'put', key: 'a/sub/3', value: b('three') },
    ]);
    await leader.backend.delete('a/1');
    await Promise.all(Array.from({ length: 100 }, (_, i) => leader.backend.put(`bulk/${i}`, b(String(i)))));
    await everywhere(nodes, 'bulk/99', '99');
    for (const n of nodes) {
      expect(await n.backend.list('a/')).toEqual(['2', 'sub/']);
      expect(await str(n, 'a/1')).toBeUndefined();
    }
    // Group commit: 100 concurrent puts did not take 100 proposals.
    expect(leader.backend.stats().proposals).toBeLessThan(50);

    const err = await followers[0]!.backend.put('x', b('y')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leaderId).toBe(leader.nodeId);
    expect((err as NotLeaderError).leaderAddr).toBe(leader.addr);
    expect(followers[0]!.backend.leader()).toEqual({ id: leader.nodeId, addr: leader.addr });

    // A linearizable read on a follower sees the write acknowledged just before it.
    await leader.backend.put('fresh', b('v2'));
    await followers[1]!.backend.linearizableBarrier();
    expect(await str(followers[1]!, 'fresh')).toBe('v2');

    const conf = leader.backend.configuration();
    expect(conf.servers.map((s) => [s.node_id, s.voter, s.leader]).sort()).toEqual(
      nodes.map((n) => [n.nodeId, true, n === leader]).sort(),
    );
  });

  it('replaces a leader that dies abruptly and keeps every acknowledged write', async () => {
    const nodes = await cluster();
    const leader = await leaderOf(nodes);
    const rest = nodes.filter((n) => n !== leader);
    const events: LeadershipChange[] = [];
    for (const n of rest) n.backend.on('leadership', (e) => events.push(e));

    const acked: string[] = [];
    const writes = Array.from({ length: 200 }, (_, i) =>
      leader.backend.put(`w/${i}`, b(String(i))).then(
        () => acked.push(`w/${i}`),
        () => {},
      ),
    );
    await waitFor('some writes acknowledged', () => acked.length >= 20);
    await leader.backend.close();
    await Promise.all(writes);

    const next = await leaderOf(rest);
    await waitFor('the new leader announced', () => events.some((e) => e.isLeader));
    await next.backend.put('after', b('failover'));
    for (const n of rest) {
      await n.backend.linearizableBarrier();
      for (const k of acked) expect(await str(n, k), k).toBe(k.slice(2));
      expect(await str(n, 'after')).toBe('failover');
    }
  });

  it('catches up a restarted follower from the log, and by snapshot once the log was compacted', async () => {
    const nodes = await cluster(3, { snapshotThreshold: 20, trailingLogs: 5 });
    const leader = await leaderOf(nodes);
    const follower = nodes.find((n) => n !== leader)!;

    // Short absence: the entries it missed are still in the leader's log.
    await follower.backend.close();
    for (let i = 0; i < 3; i++) await leader.backend.put(`short/${i}`, b(String(i)));
    follower.backend = (await openNode(follower.nodeId, follower.dir, follower.addr, { snapshotThreshold: 20, trailingLogs: 5 })).backend;
    expect(await str(follower, 'short/2')).toBeUndefined();
    await follower.backend.start();
    await everywhere([follower], 'short/2', '2');
    expect(follower.backend.stats().snapshotsInstalled).toBe(0);

    // Long absence: the leader compacted past what it has.
    await follower.backend.close();
    for (let i = 0; i < 60; i++) await leader.backend.put(`long/${i}`, b(String(i)));
    expect(leader.backend.stats().firstIndex).toBeGreaterThan(follower.backend.stats().appliedIndex);
    follower.backend = (await openNode(follower.nodeId, follower.dir, follower.addr, { snapshotThreshold: 20, trailingLogs: 5 })).backend;
    await follower.backend.start();
    await everywhere([follower], 'long/59', '59');
    expect(follower.backend.stats().snapshotsInstalled).toBe(1);
    expect(await follower.backend.list('short/')).toEqual(['0', '1', '2']);
  });

  it('removes a node, then re-adds it with a wiped directory under the same node_id', async () => {
    const nodes = await cluster();
    const leader = await leaderOf(nodes);
    const victim = nodes.find((n) => n !== leader)!;
    await leader.backend.put('before', b('1'));

    await leader.backend.removePeer(victim.nodeId);
    expect(leader.backend.configuration().servers.map((s) => s.node_id)).not.toContain(victim.nodeId);
    const err = await leader.backend.removePeer(victim.nodeId).catch((e: unknown) => e);
    expect(String(err)).toContain('no peer with node_id');
    await leader.backend.put('while-out', b('2'));
    await victim.backend.close();
    rmSync(victim.dir, { recursive: true, force: true });

    // Same node_id and address, new directory: a new Raft member that must catch up.
    const fresh = await openNode(victim.nodeId, victim.dir, victim.addr);
    victim.backend = fresh.backend;
    await victim.backend.join(leader.addr);
    await waitFor('3 voters again', () => leader.backend.configuration().servers.filter((s) => s.voter).length === 3);
    await everywhere(nodes, 'while-out', '2');
    expect(await str(victim, 'before')).toBe('1');
    expect(leader.backend.configuration().servers.filter((s) => s.node_id === victim.nodeId)).toHaveLength(1);
  });

  it('lets a wiped node rejoin under its node_id from its address, and refuses that node_id from elsewhere', async () => {
    const nodes = await cluster();
    const leader = await leaderOf(nodes);
    const victim = nodes.find((n) => n !== leader)!;
    const oldRaftId = victim.backend.stats().raftId;
    await leader.backend.put('k', b('v'));

    const impostor = await openNode(victim.nodeId, tempDir(), `127.0.0.1:${await freePort()}`);
    nodes.push(impostor);
    const err = await impostor.backend.join(leader.addr, undefined, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(String(err)).toContain(`node_id ${victim.nodeId} is already used`);

    await victim.backend.close();
    rmSync(victim.dir, { recursive: true, force: true });
    victim.backend = (await openNode(victim.nodeId, victim.dir, victim.addr)).backend;
    await victim.backend.join(leader.addr);
    await waitFor('3 voters again', () => leader.backend.configuration().servers.filter((s) => s.voter).length === 3);
    expect(victim.backend.stats().raftId).not.toBe(oldRaftId);
    expect(leader.backend.configuration().servers.filter((s) => s.node_id === victim.nodeId)).toHaveLength(1);
    await everywhere([victim], 'k', 'v');
  });

  it('keeps replicating across dropped connections', async () => {
    const nodes = await cluster();
    await leaderOf(nodes);
    for (let round = 0; round < 5; round++) {
      for (const n of nodes) n.backend.dropConnections();
      // Writes keep succeeding through the reconnects (retrying if leadership moved).
      await waitFor(`write in round ${round}`, async () => {
        const l = nodes.find((n) => n.backend.isLeader());
        if (l === undefined) return false;
        await l.backend.put(`drop/${round}`, b(String(round)));
        return true;
      });
    }
    await everywhere(nodes, 'drop/4', '4');
    // 4 connections before the first drop (leader → 2 followers, 2 followers → leader); each
    // round's write could only commit over a new leader → follower and follower → leader pair.
    const connects = nodes.flatMap((n) => Object.values(n.backend.stats().peers)).reduce((sum, p) => sum + p.connects, 0);
    expect(connects).toBeGreaterThanOrEqual(4 + 2 * 5);
  });

  it('transfers leadership on request and redirects joins through followers', async () => {
    const nodes = await cluster(2);
    const leader = await leaderOf(nodes);
    const other = nodes.find((n) => n !== leader)!;
    await leader.backend.transferLeadership(other.nodeId);
    await waitFor('the transferee to lead', () => other.backend.isLeader());
    await other.backend.put('k', b('v'));

    // A third node asks the (now) follower, which points it at the leader.
    const third = await openNode('node3', tempDir(), `127.0.0.1:${await freePort()}`);
    nodes.push(third);
    await third.backend.join(leader.addr);
    await waitFor('3 voters', () => other.backend.configuration().servers.filter((s) => s.voter).length === 3);
    await everywhere([third], 'k', 'v');
  });

  it('rejects a proposal whose leader was deposed before it committed', async () => {
    let isolated = 0;
    const dropMessage = (m: Message): boolean => isolated !== 0 && (m.from === isolated || m.to === isolated);
    // A longer election timeout: the isolated leader must still be leader when it proposes.
    const nodes = await cluster(3, { dropMessage, timing: { tickMs: 10, heartbeatTicks: 1, electionTicks: 20 } });
    const leader = await leaderOf(nodes);
    await leader.backend.put('k', b('committed'));

    isolated = leader.backend.stats().raftId;
    const doomed = leader.backend.put('k', b('lost')).catch((e: unknown) => e);
    const rest = nodes.filter((n) => n !== leader);
    const next = await leaderOf(rest);
    await next.backend.put('k', b('new-leader'));
    isolated = 0; // heal: the old leader learns the new term and its entry is overwritten

    const err = await doomed;
    expect(err).toBeInstanceOf(ProposalLostError);
    await everywhere(nodes, 'k', 'new-leader');
  });
});
