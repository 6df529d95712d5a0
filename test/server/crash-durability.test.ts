import { afterAll, describe, expect, it } from 'vitest';
import { Client, freePort, spawnCoffer, tempDir, writeConfig, type Spawned } from '../helpers/server.js';

/**
 * kill -9 the server in the middle of a stream of acknowledged KV writes; after a restart and
 * unseal every write the server acknowledged must be there.
 */
describe('crash durability', () => {
  const dir = tempDir();
  let srv: Spawned | undefined;
  afterAll(async () => {
    await srv?.kill('SIGKILL');
    dir.cleanup();
  });

  it('keeps every acknowledged write across SIGKILL', async () => {
    const port = await freePort();
    const cfg = writeConfig(dir.path, `storage "file" { path = "${dir.path}/data" }\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = "true"\n}\n`);
    srv = await spawnCoffer(['server', `-config=${cfg}`], { port });
    const anon = new Client(srv.addr);
    const init = await anon.put<{ keys: string[]; root_token: string }>('sys/init', { secret_shares: 1, secret_threshold: 1 });
    await anon.put('sys/unseal', { key: init.body.keys[0] });
    const c = anon.withToken(init.body.root_token);
    expect((await c.post('sys/mounts/kv', { type: 'kv-v2' })).status).toBe(204);

    const acked: number[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const n = w * 1_000_000 + i;
        try {
          const r = await c.post(`kv/data/k${n}`, { data: { n } });
          if (r.status === 200) acked.push(n);
        } catch {
          return; // connection died with the process
        }
      }
    });
    while (acked.length < 300) await new Promise((r) => setTimeout(r, 10));
    srv.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await srv.exited;

    srv = await spawnCoffer(['server', `-config=${cfg}`], { port });
    const c2 = new Client(srv.addr, init.body.root_token);
    await c2.put('sys/unseal', { key: init.body.keys[0] });
    const missing: number[] = [];
    for (const n of acked) {
      const r = await c2.get(`kv/data/k${n}`);
      if (r.status !== 200 || (r.body['data'] as { data: { n: number } }).data.n !== n) missing.push(n);
    }
    expect(acked.length).toBeGreaterThanOrEqual(300);
    expect(missing).toEqual([]);
  });
});
