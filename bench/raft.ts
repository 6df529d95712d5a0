/**
 * bench/raft — Raft integrated storage, 3 nodes on loopback, each its own process with its own
 * raft.db (fsync on every log append, as in production):
 *   - put throughput and latency with 1 and 64 concurrent clients,
 *   - failover: SIGKILL the leader, time until a write succeeds on the new leader (N trials),
 *   - if `etcd` is installed (apt-get install -y etcd-server): a 3-member etcd on loopback driven
 *     the same way through its v3 JSON gateway (POST /v3/kv/put), and the ratio.
 *
 *   node --import tsx bench/raft.ts [--duration 2] [--rounds 3] [--trials 5] [--multiplier 5] [--value-bytes 256]
 *
 * The two systems are measured in alternating rounds (both clusters stay up) because this machine
 * is shared and its fsync latency drifts by 2× within minutes; medians are reported.
 *
 * Clients talk HTTP/1.1 keep-alive to a tiny JSON endpoint in each Coffer node process
 * (POST /put → RaftBackend.put) so both systems pay an HTTP + JSON hop per write. Differences
 * that remain: etcd's peers talk plain HTTP/2 gRPC, Coffer's mutual TLS 1.3; etcd's gateway
 * converts JSON to gRPC inside the process. The machine has 2 cores shared by all 3 members and
 * the load generator: compare ratios, not absolute numbers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterTls, createClusterTls } from '../src/storage/raft/cluster-tls.js';
import { NotLeaderError } from '../src/storage/raft/errors.js';
import { RaftBackend } from '../src/storage/raft/raft-backend.js';

interface NodeConfig {
  dir: string;
  nodeId: string;
  clusterAddr: string;
  httpPort: number;
  tls: ClusterTls;
  mode: 'bootstrap' | 'join' | 'start';
  joinAddr?: string;
  multiplier: number;
}

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');

// ------------------------------------------------------------------ node process

async function runNode(cfg: NodeConfig): Promise<void> {
  const backend = RaftBackend.open({ path: cfg.dir, nodeId: cfg.nodeId, clusterAddr: cfg.clusterAddr, tls: cfg.tls, performanceMultiplier: cfg.multiplier });
  if (cfg.mode === 'bootstrap') await backend.bootstrap();
  else if (cfg.mode === 'join') await backend.join(cfg.joinAddr!);
  else await backend.start();
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/status') {
        const s = backend.stats();
        res.end(JSON.stringify({ leader: backend.isLeader(), applied: s.appliedIndex, commit: s.commitIndex, fsyncs: s.fsyncs, proposals: s.proposals, writes: s.writes }));
        return;
      }
      const { key, value } = JSON.parse(Buffer.concat(chunks).toString()) as { key: string; value: string };
      backend.put(key, Buffer.from(value, 'base64')).then(
        () => res.end('{}'),
        (e: Error) => {
          res.statusCode = e instanceof NotLeaderError ? 421 : 503;
          res.end(JSON.stringify({ error: e.name, leader: e instanceof NotLeaderError ? e.leaderId : undefined }));
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(cfg.httpPort, '127.0.0.1', () => process.send!('ready'));
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------ load generation

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface LoadResult {
  ops: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

async function load(clients: number, seconds: number, put: (key: string, value: string) => Promise<boolean>, valueBytes: number): Promise<LoadResult> {
  const value = Buffer.alloc(valueBytes, 'x').toString('base64');
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        const ok = await put(`bench/${c}/${i % 1000}`, value).catch(() => false);
        if (ok) latencies.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, seconds: secs, rps: latencies.length / secs, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
}

function fmt(name: string, r: LoadResult): string {
  return `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(7)} puts/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   (${r.ops} ok, ${r.errors} errors)`;
}

// ------------------------------------------------------------------ Coffer cluster

class CofferNode {
  proc: ChildProcess | undefined;
  constructor(readonly cfg: Omit<NodeConfig, 'mode' | 'joinAddr'>) {}

  start(mode: NodeConfig['mode'], joinAddr?: string): Promise<void> {
    const cfg: NodeConfig = { ...this.cfg, mode, ...(joinAddr ? { joinAddr } : {}) };
    const proc = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--node', JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc = proc;
    return new Promise((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`${cfg.nodeId} exited with ${code}`)));
    });
  }

  async status(): Promise<{ leader: boolean; applied: number; commit: number; fsyncs: number; proposals: number; writes: number } | undefined> {
    try {
      const r = await post(this.cfg.httpPort, '/status', '');
      return JSON.parse(r.body) as { leader: boolean; applied: number; commit: number; fsyncs: number; proposals: number; writes: number };
    } catch {
      return undefined;
    }
  }

  kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function cofferCluster(multiplier: number): Promise<{ nodes: CofferNode[]; dirs: string[] }> {
  const { nodes: certs } = await createClusterTls(['c1', 'c2', 'c3']);
  const nodes: CofferNode[] = [];
  const dirs: string[] = [];
  for (const id of ['c1', 'c2', 'c3']) {
    const dir = mkdtempSync(join(tmpdir(), `coffer-bench-${id}-`));
    dirs.push(dir);
    nodes.push(new CofferNode({ dir, nodeId: id, clusterAddr: `127.0.0.1:${await freePort()}`, httpPort: await freePort(), tls: certs[id]!, multiplier }));
  }
  await nodes[0]!.start('bootstrap');
  await Promise.all(nodes.slice(1).map((n) => n.start('join', nodes[0]!.cfg.clusterAddr)));
  // Wait until the joiners were promoted: a write succeeds and every node applied it.
  await until(async () => ((await post(nodes[0]!.cfg.httpPort, '/put', JSON.stringify({ key: 'warm', value: '' }))).status === 200 ? true : undefined), 30_000, 'first write');
  await new Promise((r) => setTimeout(r, 1500));
  return { nodes, dirs };
}

async function cofferLeader(nodes: CofferNode[]): Promise<CofferNode> {
  return until(async () => {
    for (const n of nodes) if ((await n.status())?.leader) return n;
    return undefined;
  }, 30_000, 'a Coffer leader');
}

function cofferPut(nodes: CofferNode[]): (key: string, value: string) => Promise<boolean> {
  let leader = nodes[0]!;
  return async (key, value) => {
    const r = await post(leader.cfg.httpPort, '/put', JSON.stringify({ key, value }));
    if (r.status === 200) return true;
    const hint = (JSON.parse(r.body) as { leader?: string }).leader;
    leader = nodes.find((n) => n.cfg.nodeId === hint) ?? leader;
    return false;
  };
}

async function failoverTrials(nodes: CofferNode[], trials: number): Promise<number[]> {
  const times: number[] = [];
  for (let t = 0; t < trials; t++) {
    const leader = await cofferLeader(nodes);
    const survivors = nodes.filter((n) => n !== leader);
    const killedAt = performance.now();
    await leader.kill();
    // One client writes to every survivor in turn until one accepts.
    let i = 0;
    await until(async () => {
      const n = survivors[i++ % survivors.length]!;
      const r = await post(n.cfg.httpPort, '/put', JSON.stringify({ key: `failover/${t}`, value: '' })).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, 30_000, 'a write after failover');
    times.push(performance.now() - killedAt);
    // Bring the node back and let it catch up before the next trial.
    await leader.start('start');
    const target = (await (await cofferLeader(nodes)).status())!.commit;
    await until(async () => ((await leader.status())?.applied ?? 0) >= target ? true : undefined, 30_000, 'catch-up');
    await new Promise((r) => setTimeout(r, 500));
  }
  return times;
}

// ------------------------------------------------------------------ etcd

async function etcdCluster(): Promise<{ procs: ChildProcess[]; ports: number[]; dirs: string[] } | undefined> {
  const probe = spawn('etcd', ['--version'], { stdio: 'ignore' });
  const found = await new Promise<boolean>((r) => {
    probe.once('error', () => r(false));
    probe.once('exit', (code) => r(code === 0));
  });
  if (!found) return undefined;
  const members = await Promise.all(['e1', 'e2', 'e3'].map(async (name) => ({ name, client: await freePort(), peer: await freePort() })));
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const dirs: string[] = [];
  const procs = members.map((m) => {
    const dir = mkdtempSync(join(tmpdir(), `etcd-bench-${m.name}-`));
    dirs.push(dir);
    return spawn(
      'etcd',
      [
        '--name', m.name, '--data-dir', dir,
        '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'coffer-bench',
        '--log-level', 'error',
      ],
      { stdio: 'ignore' },
    );
  });
  const ports = members.map((m) => m.client);
  await until(async () => {
    const r = await post(ports[0]!, '/v3/kv/put', JSON.stringify({ key: Buffer.from('warm').toString('base64'), value: '' })).catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  }, 30_000, 'etcd to accept writes');
  return { procs, ports, dirs };
}

async function etcdLeaderPort(ports: number[]): Promise<number> {
  for (const p of ports) {
    const r = await post(p, '/v3/maintenance/status', '{}');
    const s = JSON.parse(r.body) as { leader?: string; header?: { member_id?: string } };
    if (s.leader !== undefined && s.leader === s.header?.member_id) return p;
  }
  throw new Error('no etcd leader found');
}

// ------------------------------------------------------------------ main

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const duration = Number(args.get('duration') ?? 2);
  const rounds = Number(args.get('rounds') ?? 3);
  const trials = Number(args.get('trials') ?? 5);
  const multiplier = Number(args.get('multiplier') ?? 5);
  const valueBytes = Number(args.get('value-bytes') ?? 256);
  console.log(
    `bench/raft: 3 nodes on loopback, ${valueBytes}-byte values, performance_multiplier ${multiplier}; ` +
      `${rounds} rounds of ${duration} s per system and concurrency, alternating Coffer and etcd (medians shown)`,
  );

  const { nodes, dirs } = await cofferCluster(multiplier);
  const etcd = await etcdCluster();
  if (etcd === undefined) console.log('etcd not installed (apt-get install -y etcd-server): Coffer only');
  try {
    const leader = await cofferLeader(nodes);
    const etcdPort = etcd ? await etcdLeaderPort(etcd.ports) : 0;
    const etcdPut = async (key: string, value: string): Promise<boolean> =>
      (await post(etcdPort, '/v3/kv/put', JSON.stringify({ key: Buffer.from(key).toString('base64'), value }))).status === 200;
    const before = (await leader.status())!;
    for (const c of [1, 64]) {
      const ours: LoadResult[] = [];
      const theirs: LoadResult[] = [];
      for (let r = 0; r < rounds; r++) {
        ours.push(await load(c, duration, cofferPut(nodes), valueBytes));
        if (etcd) theirs.push(await load(c, duration, etcdPut, valueBytes));
      }
      const summary = (rs: LoadResult[]): LoadResult => ({
        ops: rs.reduce((a, r) => a + r.ops, 0),
        seconds: rs.reduce((a, r) => a + r.seconds, 0),
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        errors: rs.reduce((a, r) => a + r.errors, 0),
      });
      const o = summary(ours);
      console.log(fmt(`coffer  ${c} client(s)`, o) + `   rounds: ${ours.map((r) => r.rps.toFixed(0)).join(', ')} puts/s`);
      if (etcd) {
        const e = summary(theirs);
        console.log(fmt(`etcd    ${c} client(s)`, e) + `   rounds: ${theirs.map((r) => r.rps.toFixed(0)).join(', ')} puts/s`);
        console.log(`  coffer/etcd with ${c} client(s): throughput ×${(o.rps / e.rps).toFixed(2)}, p50 latency ×${(o.p50 / e.p50).toFixed(2)}`);
      }
    }
    const after = (await leader.status())!;
    const w = after.writes - before.writes;
    const f = Math.max(1, after.fsyncs - before.fsyncs);
    console.log(`  coffer leader: ${w} writes in ${after.proposals - before.proposals} proposals, ${f} fsyncs (${(w / f).toFixed(1)} writes/fsync)`);
  } finally {
    if (etcd) {
      for (const p of etcd.procs) p.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      for (const d of etcd.dirs) rmSync(d, { recursive: true, force: true });
    }
  }
  try {
    const times = await failoverTrials(nodes, trials);
    times.sort((a, b) => a - b);
    console.log(
      `coffer failover (SIGKILL leader → next write ok), ${trials} trials: ` +
        `min ${times[0]!.toFixed(0)} ms, median ${percentile(times, 0.5).toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms`,
    );
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  agent.destroy();
}

if (args.has('node')) {
  runNode(JSON.parse(args.get('node')!) as NodeConfig).catch((e: Error) => {
    console.error(e);
    process.exit(2);
  });
} else {
  main().then(
    () => process.exit(0),
    (e: Error) => {
      console.error(e);
      process.exit(1);
    },
  );
}
