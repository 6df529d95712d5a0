// Shared setup for the Raft storage tests: loopback ports, temp directories, cluster TLS,
// in-process nodes with fast timing, and polling with a deadline.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterTls, createClusterTls, issueNodeTls, type ClusterCa } from '../../../src/storage/raft/cluster-tls.js';
import type { RaftBackendOptions } from '../../../src/storage/raft/backend-types.js';
import { RaftBackend } from '../../../src/storage/raft/raft-backend.js';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export function tempDir(prefix = 'coffer-raft-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Fast timing for in-process tests: 10 ms ticks, elections after 50–100 ms of silence. */
export const FAST_TIMING = { tickMs: 10, heartbeatTicks: 1, electionTicks: 5 };

let sharedCa: Promise<ClusterCa> | undefined;
const tlsCache = new Map<string, Promise<ClusterTls>>();

/** Node certificates from one CA per test process (generating keys is the slow part). */
export function nodeTls(nodeId: string): Promise<ClusterTls> {
  sharedCa ??= createClusterTls().then((c) => c.ca);
  let t = tlsCache.get(nodeId);
  if (t === undefined) {
    t = sharedCa.then((ca) => issueNodeTls(ca, nodeId));
    tlsCache.set(nodeId, t);
  }
  return t;
}

export interface TestNode {
  readonly nodeId: string;
  readonly dir: string;
  readonly addr: string;
  backend: RaftBackend;
}

export async function openNode(nodeId: string, dir: string, addr: string, extra: Partial<RaftBackendOptions> = {}): Promise<TestNode> {
  const backend = RaftBackend.open({
    path: dir,
    nodeId,
    clusterAddr: addr,
    tls: await nodeTls(nodeId),
    timing: FAST_TIMING,
    ...extra,
  });
  return { nodeId, dir, addr, backend };
}

/** n nodes: the first bootstraps, the others join through it and are promoted to voters. */
export async function startCluster(n: number, extra: Partial<RaftBackendOptions> = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let i = 1; i <= n; i++) nodes.push(await openNode(`node${i}`, tempDir(), `127.0.0.1:${await freePort()}`, extra));
  await nodes[0]!.backend.bootstrap();
  for (const node of nodes.slice(1)) await node.backend.join(nodes[0]!.addr);
  await waitFor('all voters', () => nodes.every((x) => x.backend.configuration().servers.filter((s) => s.voter).length === n));
  return nodes;
}

export async function leaderOf(nodes: readonly TestNode[], timeoutMs = 10_000): Promise<TestNode> {
  return waitFor('a leader', () => nodes.find((n) => n.backend.isLeader()), timeoutMs);
}

export async function stopNodes(nodes: readonly TestNode[]): Promise<void> {
  for (const n of nodes) {
    await n.backend.close().catch(() => {});
    removeDir(n.dir);
  }
}
