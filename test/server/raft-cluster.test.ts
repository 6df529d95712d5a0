/**
 * Three Coffer processes on loopback with integrated storage (raft): join, forwarding, leader
 * kill -9 under write load (checked for linearizability), a paused leader, remove/re-add, and a
 * snapshot restored onto a fresh cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, freePort, spawnCoffer, tempDir, writeConfig, type Spawned } from '../helpers/server.js';
import { checkOperations, kvModel, type KvInput, type KvOutput, type Operation } from '../../src/raft/linearizability.js';

interface Node {
  name: string;
  apiPort: number;
  clusterPort: number;
  cfg: string;
  dataDir: string;
  proc?: Spawned;
}

const dir = tempDir('coffer-raft-');
const nodes: Node[] = [];
let rootToken = '';
let unsealKey = '';

const api = (n: Node): string => `http://127.0.0.1:${n.apiPort}`;
const client = (n: Node, token = rootToken): Client => new Client(api(n), token);

async function makeNode(name: string): Promise<Node> {
  const apiPort = await freePort();
  const clusterPort = await freePort();
  const dataDir = join(dir.path, name);
  const cfg = writeConfig(
    dir.path,
    `storage "raft" {\n  path = "${dataDir}"\n  node_id = "${name}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:${apiPort}"\n  tls_disable = true\n}\napi_addr = "http://127.0.0.1:${apiPort}"\ncluster_addr = "https://127.0.0.1:${clusterPort}"\ndisable_mlock = true\n`,
    `${name}.hcl`,
  );
  return { name, apiPort, clusterPort, cfg, dataDir };
}

async function start(n: Node): Promise<void> {
  n.proc = await spawnCoffer(['server', `-config=${n.cfg}`, '-log-level=warn'], { port: n.apiPort, waitFor: /listening on/ });
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

const health = async (n: Node): Promise<number> => (await fetch(`${api(n)}/v1/sys/health`)).status;

async function leaderNode(): Promise<Node> {
  return waitFor(
    async () => {
      for (const n of nodes) if (n.proc && (await health(n).catch(() => 0)) === 200) return n;
      return undefined;
    },
    (n) => n !== undefined,
    'an active node',
  ) as Promise<Node>;
}

async function unseal(n: Node, key = unsealKey): Promise<void> {
  const r = await new Client(api(n)).put('sys/unseal', { key });
  expect(r.status, r.text).toBe(200);
}

async function joinAndUnseal(n: Node, via: Node): Promise<void> {
  const j = await new Client(api(n)).post('sys/storage/raft/join', { leader_api_addr: api(via) });
  expect(j.status, j.text).toBe(200);
  expect(j.body).toEqual({ joined: true });
  await unseal(n);
  await waitFor(() => health(n), (s) => s === 429 || s === 200, `${n.name} to become a standby`);
}

beforeAll(async () => {
  for (const name of ['n1', 'n2', 'n3']) nodes.push(await makeNode(name));
  for (const n of nodes) await start(n);
  const init = await new Client(api(nodes[0]!)).put<{ keys: string[]; root_token: string }>('sys/init', { secret_shares: 1, secret_threshold: 1 });
  expect(init.status, init.text).toBe(200);
  unsealKey = init.body.keys[0]!;
  rootToken = init.body.root_token;
  await unseal(nodes[0]!);
  await waitFor(() => health(nodes[0]!), (s) => s === 200, 'n1 active');
  await joinAndUnseal(nodes[1]!, nodes[0]!);
  await joinAndUnseal(nodes[2]!, nodes[1]!); // joining through a standby is forwarded to the active node
  expect((await client(nodes[0]!).post('sys/mounts/kv', { type: 'kv-v2' })).status).toBe(204);
}, 90_000);

afterAll(async () => {
  for (const n of nodes) await n.proc?.kill('SIGKILL');
  dir.cleanup();
});

describe('raft cluster', () => {
  it('reports three voters and one active node; standbys answer health with 429', async () => {
    type Cfg = { data: { config: { servers: Array<{ node_id: string; voter: boolean; leader: boolean }> } } };
    // Joiners start as learners and are promoted once caught up.
    const cfg = await waitFor(() => client(nodes[0]!).get<Cfg>('sys/storage/raft/configuration'), (r) => r.body.data.config.servers.every((s) => s.voter), 'all voters');
    expect(cfg.body.data.config.servers.map((s) => s.node_id).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(cfg.body.data.config.servers.every((s) => s.voter)).toBe(true);
    const codes = await Promise.all(nodes.map(health));
    expect(codes.sort()).toEqual([200, 429, 429]);
    const standby = nodes.find((_, i) => codes[i] === 429) ?? nodes[1]!;
    expect((await fetch(`${api(standby)}/v1/sys/health?standbyok=true`)).status).toBe(200);
    const leader = await new Client(api(nodes[1]!)).get('sys/leader');
    expect(leader.body).toMatchObject({ ha_enabled: true, leader_address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/) });
  });

  it('writes through any node and reads the same value from every node', async () => {
    for (const [i, n] of nodes.entries()) {
      expect((await client(n).post(`kv/data/from-${n.name}`, { data: { v: `value-${i}` } })).status).toBe(200);
    }
    for (const n of nodes) {
      for (const [i, m] of nodes.entries()) {
        const r = await client(n).get(`kv/data/from-${m.name}`);
        expect((r.body['data'] as { data: { v: string } }).data.v).toBe(`value-${i}`);
      }
    }
  });

  it('survives kill -9 of the leader under write load: no acknowledged write lost, history linearizable', async () => {
    const history: Operation<KvInput, KvOutput>[] = [];
    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    let stop = false;
    const live = (): Node[] => nodes.filter((n) => n.proc && n.proc.proc.exitCode === null && n.proc.proc.signalCode === null);
    const clientLoop = async (id: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const target = live()[(id + i) % live().length]!;
        const isPut = i % 2 === 0;
        // Each client writes one key and reads its neighbour's, so reads observe other clients' writes.
        const key = `lin-${isPut ? id % 3 : (id + 1) % 3}`;
        const call = now();
        const value = `${id}-${i}`;
        try {
          const r = isPut ? await client(target).post(`kv/data/${key}`, { data: { v: value } }) : await client(target).get(`kv/data/${key}`);
          const ret = now();
          if (isPut) {
            // 200 = applied; 503 = refused before anything was proposed (no active node): no effect;
            // anything else = may or may not have applied.
            if (r.status !== 503) history.push({ clientId: id, input: { op: 'put', key, value }, output: r.status === 200 ? null : undefined, call, return: r.status === 200 ? ret : Infinity });
          } else if (r.status === 200 || r.status === 404) {
            const got = r.status === 404 ? null : (r.body['data'] as { data: { v: string } }).data.v;
            history.push({ clientId: id, input: { op: 'get', key }, output: got, call, return: ret });
          }
        } catch (e) {
          // Connection refused: the request never reached a server. Anything else: unknown outcome.
          const refused = ((e as { cause?: { code?: string } }).cause?.code ?? '') === 'ECONNREFUSED';
          if (isPut && !refused) history.push({ clientId: id, input: { op: 'put', key, value }, output: undefined, call, return: Infinity });
        }
        await new Promise((r) => setTimeout(r, 15)); // keeps the history small enough to check exhaustively
      }
    };
    const clients = [0, 1, 2, 3, 4, 5].map(clientLoop);
    await new Promise((r) => setTimeout(r, 800));
    const leader = await leaderNode();
    leader.proc!.proc.kill('SIGKILL');
    await leader.proc!.exited;
    const killedAt = now();
    const survivor = await leaderNode();
    expect(survivor).not.toBe(leader);
    await new Promise((r) => setTimeout(r, 1200));
    stop = true;
    await Promise.all(clients);
    // Bring the killed node back as a standby.
    await start(leader);
    await unseal(leader);
    await waitFor(() => health(leader), (s) => s === 429, 'the old leader back as a standby');

    const acked = history.filter((o) => o.input.op === 'put' && o.return !== Infinity);
    expect(acked.length).toBeGreaterThan(20);
    expect(history.some((o) => o.call > killedAt && o.return !== Infinity)).toBe(true); // writes resumed
    const unknown = history.filter((o) => o.return === Infinity).length;
    const result = checkOperations(kvModel, history, { maxSteps: 5_000_000 });
    expect(result, `${history.length} operations, ${unknown} with unknown outcome`).toEqual({ outcome: 'ok' });
    // Every acknowledged write's key holds a value that some write produced (nothing vanished).
    for (const key of ['lin-0', 'lin-1', 'lin-2']) {
      // The restarted node may still be catching up on who is active: 503 until then.
      const r = await waitFor(() => client(leader).get(`kv/data/${key}`), (x) => x.status !== 503, 'the restarted node to forward');
      expect(r.status).toBe(200);
    }
  }, 60_000);

  it('a paused (SIGSTOP) leader does not serve stale reads after it resumes', async () => {
    const old = await leaderNode();
    old.proc!.proc.kill('SIGSTOP');
    try {
      const fresh = await waitFor(
        async () => {
          for (const n of nodes) if (n !== old && (await health(n).catch(() => 0)) === 200) return n;
          return undefined;
        },
        (n) => n !== undefined,
        'a new active node while the old one is paused',
      );
      expect((await client(fresh!).post('kv/data/paused', { data: { v: 'after-pause' } })).status).toBe(200);
    } finally {
      old.proc!.proc.kill('SIGCONT');
    }
    // Immediately after resuming, the old leader must not answer from its stale state.
    const r = await client(old).get('kv/data/paused');
    if (r.status === 200) expect((r.body['data'] as { data: { v: string } }).data.v).toBe('after-pause');
    else expect([503, 307]).toContain(r.status);
    await waitFor(() => health(old), (s) => s === 429, 'the old leader to step down to standby');
  }, 40_000);

  it('hands leadership over on sys/step-down, and keeps autopilot settings', async () => {
    const old = await leaderNode();
    expect((await client(old).put('sys/step-down')).status).toBe(204);
    const next = await waitFor(
      async () => {
        for (const n of nodes) if (n !== old && (await health(n).catch(() => 0)) === 200) return n;
        return undefined;
      },
      (n) => n !== undefined,
      'another node to become active after step-down',
    );
    await waitFor(() => health(old), (s) => s === 429, 'the old leader to be a standby');
    const c = client(next!);
    expect((await c.post('sys/storage/raft/autopilot/configuration', { cleanup_dead_servers: true, min_quorum: 3, dead_server_last_contact_threshold: '2h' })).status).toBe(204);
    expect((await c.get('sys/storage/raft/autopilot/configuration')).body['data']).toMatchObject({ cleanup_dead_servers: true, min_quorum: 3, dead_server_last_contact_threshold: '2h0m0s', last_contact_threshold: '10s' });
    expect((await c.post('sys/storage/raft/autopilot/configuration', { dead_server_last_contact_threshold: '10s' })).status).toBe(400);
    const state = await c.get<{ data: { healthy: boolean; failure_tolerance: number; voters: string[] } }>('sys/storage/raft/autopilot/state');
    expect(state.body.data).toMatchObject({ healthy: true, failure_tolerance: 1 });
    expect(state.body.data.voters.sort()).toEqual(['n1', 'n2', 'n3']);
  }, 30_000);

  it('removes a peer and re-adds it with wiped data', async () => {
    const leader = await leaderNode();
    const victim = nodes.find((n) => n !== leader)!;
    const rm = await client(leader).post('sys/storage/raft/remove-peer', { server_id: victim.name });
    expect(rm.status, rm.text).toBe(204);
    const cfg = await client(leader).get<{ data: { config: { servers: Array<{ node_id: string }> } } }>('sys/storage/raft/configuration');
    expect(cfg.body.data.config.servers.map((s) => s.node_id)).not.toContain(victim.name);
    expect((await client(leader).post('sys/storage/raft/remove-peer', {})).body).toEqual({ errors: ['no server id provided'] });
    await victim.proc!.kill('SIGKILL');
    rmSync(victim.dataDir, { recursive: true, force: true });
    await start(victim);
    await joinAndUnseal(victim, leader);
    const after = await client(leader).get<{ data: { config: { servers: Array<{ node_id: string }> } } }>('sys/storage/raft/configuration');
    expect(after.body.data.config.servers.map((s) => s.node_id).sort()).toEqual(['n1', 'n2', 'n3']);
    const r = await client(victim).get('kv/data/from-n1');
    expect((r.body['data'] as { data: { v: string } }).data.v).toBe('value-0');
  }, 40_000);

  it('saves a snapshot and restores it onto a fresh cluster, unsealed with the original keys', async () => {
    const leader = await leaderNode();
    const snap = await fetch(`${api(leader)}/v1/sys/storage/raft/snapshot`, { headers: { 'X-Vault-Token': rootToken } });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('application/gzip');
    const bytes = Buffer.from(await snap.arrayBuffer());
    expect(bytes[0]).toBe(0x1f); // gzip magic

    const fresh = await makeNode('fresh');
    await start(fresh);
    nodes.push(fresh);
    const init = await new Client(api(fresh)).put<{ keys: string[]; root_token: string }>('sys/init', { secret_shares: 1, secret_threshold: 1 });
    await unseal(fresh, init.body.keys[0]);
    await waitFor(() => health(fresh), (s) => s === 200, 'fresh node active');
    const restore = await fetch(`${api(fresh)}/v1/sys/storage/raft/snapshot-force`, { method: 'POST', headers: { 'X-Vault-Token': init.body.root_token }, body: bytes });
    expect(restore.status, await restore.text()).toBe(204);
    // Another cluster's keys: the node seals itself and opens with the snapshot's unseal key.
    await waitFor(() => health(fresh), (s) => s === 503, 'the restored node to seal');
    await unseal(fresh, unsealKey);
    await waitFor(() => health(fresh), (s) => s === 200, 'the restored node active');
    const r = await client(fresh).get('kv/data/from-n2');
    expect((r.body['data'] as { data: { v: string } }).data.v).toBe('value-1');
    await fresh.proc!.kill('SIGKILL');
    nodes.pop();
  }, 40_000);
});
