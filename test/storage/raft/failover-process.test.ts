// A 3-node cluster of real processes on loopback, each with its own raft.db. Clients write
// and read (linearizably) while the leader is SIGKILLed; the history must be linearizable
// (no acknowledged write lost, no stale read). The killed node restarts after the others
// compacted their logs past it, and must catch up through a snapshot.

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOperations, kvModel, type KvInput, type KvOutput, type Operation } from '../../../src/raft/linearizability.js';
import type { RaftConfiguration, RaftStats } from '../../../src/storage/raft/backend-types.js';
import type { NodeProcessConfig, NodeReply, NodeRequest } from './fixtures/node-process.js';
import { freePort, nodeTls, removeDir, tempDir, waitFor } from './helpers.js';

const SCRIPT = join(import.meta.dirname, 'fixtures/node-process.ts');
const TIMING = { tickMs: 20, heartbeatTicks: 1, electionTicks: 5 };
const REQUEST_TIMEOUT_MS = 4000;

type Body = NodeRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class NodeProc {
  proc: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (r: NodeReply) => void>();
  alive = false;

  constructor(
    readonly nodeId: string,
    readonly dir: string,
    readonly addr: string,
  ) {}

  async spawn(mode: NodeProcessConfig['mode'], joinAddr?: string): Promise<void> {
    const cfg: NodeProcessConfig = {
      dir: this.dir,
      nodeId: this.nodeId,
      addr: this.addr,
      tls: await nodeTls(this.nodeId),
      mode,
      ...(joinAddr !== undefined ? { joinAddr } : {}),
      snapshotThreshold: 40,
      trailingLogs: 10,
      timing: TIMING,
    };
    const proc = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(cfg)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('exit', (code, signal) => reject(new Error(`${this.nodeId} exited (${code ?? signal}) before it was ready: ${stderr}`)));
      this.pending.set(0, () => resolve());
    });
    proc.on('message', (r: NodeReply) => {
      const cb = this.pending.get(r.id);
      this.pending.delete(r.id);
      cb?.(r);
    });
    proc.on('exit', () => {
      this.alive = false;
      for (const [id, cb] of this.pending) cb({ id, ok: false, error: { name: 'ProcessExited', message: `${this.nodeId} exited` } });
      this.pending.clear();
    });
    await ready;
    this.alive = true;
  }

  request(body: Body): Promise<NodeReply> {
    const proc = this.proc;
    if (!this.alive || proc === undefined) return Promise.resolve({ id: -1, ok: false, error: { name: 'ProcessExited', message: `${this.nodeId} is down` } });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false, error: { name: 'Timeout', message: `${this.nodeId}: no reply in ${REQUEST_TIMEOUT_MS} ms` } });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      proc.send({ ...body, id });
    });
  }

  async stats(): Promise<RaftStats | undefined> {
    const r = await this.request({ op: 'stats' });
    return r.ok ? (r.value as RaftStats) : undefined;
  }

  kill(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }
}

/** Errors after which the write certainly did not happen (nothing was proposed, or it was overwritten). */
const DEFINITE_FAILURES = new Set(['NotLeaderError', 'ProposalLostError', 'RaftUnavailableError', 'EntryTooLargeError']);

describe('raft storage: 3 processes, leader killed with SIGKILL', () => {
  const nodes: NodeProc[] = [];

  afterAll(async () => {
    for (const n of nodes) {
      await n.kill();
      removeDir(n.dir);
    }
  });

  it('elects a new leader, loses no acknowledged write, and the restarted node catches up by snapshot', async () => {
    for (let i = 1; i <= 3; i++) nodes.push(new NodeProc(`n${i}`, tempDir(), `127.0.0.1:${await freePort()}`));
    const [n1, n2, n3] = nodes as [NodeProc, NodeProc, NodeProc];
    await n1.spawn('bootstrap');
    await Promise.all([n2.spawn('join', n1.addr), n3.spawn('join', n1.addr)]);
    await waitFor('3 voters', async () => {
      const r = await n1.request({ op: 'config' });
      return r.ok && (r.value as RaftConfiguration).servers.filter((s) => s.voter).length === 3;
    });

    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const history: Operation<KvInput, KvOutput>[] = [];
    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    let stop = false;
    let acknowledged = 0;

    const client = async (clientId: number): Promise<void> => {
      let target = nodes[clientId % nodes.length]!;
      let seq = 0;
      while (!stop) {
        const key = `k${(clientId + seq) % 3}`;
        const isPut = seq % 2 === 0;
        seq++;
        if (!target.alive) target = nodes.find((n) => n.alive)!;
        const call = now();
        if (isPut) {
          const value = `c${clientId}-${seq}`;
          const r = await target.request({ op: 'put', key, value });
          if (r.ok) {
            acknowledged++;
            history.push({ clientId, input: { op: 'put', key, value }, output: null, call, return: now() });
          } else {
            if (!DEFINITE_FAILURES.has(r.error.name)) {
              // Unknown outcome: it may take effect at any time after the call.
              history.push({ clientId, input: { op: 'put', key, value }, output: undefined, call, return: Infinity });
            }
            const hinted = r.error.leaderId !== undefined ? byId.get(r.error.leaderId) : undefined;
            target = hinted?.alive ? hinted : nodes[(nodes.indexOf(target) + 1) % nodes.length]!;
            await new Promise((res) => setTimeout(res, 10));
          }
        } else {
          const r = await target.request({ op: 'get', key });
          if (r.ok) history.push({ clientId, input: { op: 'get', key }, output: r.value as string | null, call, return: now() });
          else target = nodes[(nodes.indexOf(target) + 1) % nodes.length]!;
        }
      }
    };

    const clients = [0, 1, 2, 3].map((c) => client(c));
    await waitFor('some acknowledged writes', () => acknowledged >= 30, 10_000);

    const leaderStats = await waitFor('the leader', async () => {
      for (const n of nodes) {
        const s = await n.stats();
        if (s?.state === 'StateLeader') return { node: n, stats: s };
      }
      return undefined;
    });
    const oldLeader = leaderStats.node;
    const killedAt = performance.now();
    await oldLeader.kill();
    const survivors = nodes.filter((n) => n !== oldLeader);
    const newLeader = await waitFor(
      'a new leader',
      async () => {
        for (const n of survivors) if ((await n.stats())?.state === 'StateLeader') return n;
        return undefined;
      },
      10_000,
    );
    const electedAfter = performance.now() - killedAt;
    const ackBefore = acknowledged;
    await waitFor('writes succeeding again', () => acknowledged > ackBefore + 10, 10_000);
    console.log(
      `failover: ${newLeader.nodeId} leads ${Math.round(electedAfter)} ms after SIGKILL; ` +
        `clients acknowledged 10 more writes after ${Math.round(performance.now() - killedAt)} ms`,
    );

    // Push the survivors' logs past the dead node's (threshold 40, trailing 10) so it needs a snapshot.
    for (let i = 0; i < 120; i++) {
      const r = await newLeader.request({ op: 'put', key: `filler/${i}`, value: String(i) });
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
    await oldLeader.spawn('start');
    const target = (await newLeader.stats())!;
    const caughtUp = await waitFor('the restarted node to catch up', async () => {
      const s = await oldLeader.stats();
      return s !== undefined && s.appliedIndex >= target.commitIndex ? s : undefined;
    });
    expect(caughtUp.snapshotsInstalled).toBeGreaterThanOrEqual(1);

    await new Promise((res) => setTimeout(res, 300));
    stop = true;
    await Promise.all(clients);

    const result = checkOperations(kvModel, history);
    expect(result, JSON.stringify(result).slice(0, 2000)).toEqual({ outcome: 'ok' });
    expect(history.filter((o) => o.input.op === 'put' && o.output === null).length).toBeGreaterThan(40);

    // Every node ends with the same state.
    for (const key of ['k0', 'k1', 'k2', 'filler/119']) {
      const values = await Promise.all(nodes.map((n) => n.request({ op: 'get', key })));
      for (const v of values) expect(v.ok, JSON.stringify(v)).toBe(true);
      expect(new Set(values.map((v) => (v.ok ? v.value : undefined))).size).toBe(1);
    }
  });
});
