import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, freePort, spawnCoffer, tempDir, writeConfig, type Spawned } from '../helpers/server.js';

/** A file-backed server through init → unseal → seal → restart → unseal. */
describe('seal lifecycle on file storage', () => {
  const dir = tempDir();
  let port: number;
  let cfg: string;
  let srv: Spawned | undefined;
  let keys: string[] = [];
  let rootToken = '';

  const start = async (): Promise<Client> => {
    srv = await spawnCoffer(['server', `-config=${cfg}`], { port });
    return new Client(srv.addr);
  };

  beforeAll(async () => {
    port = await freePort();
    cfg = writeConfig(
      dir.path,
      `storage "file" {\n  path = "${dir.path}/data"\n}\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\ndisable_mlock = true\n`,
    );
  });
  afterAll(async () => {
    await srv?.kill();
    dir.cleanup();
  });

  it('reports uninitialised: health 501, init false', async () => {
    const c = await start();
    expect((await c.get('sys/health')).status).toBe(501);
    expect((await c.get('sys/health?uninitcode=299')).status).toBe(299);
    expect((await c.get('sys/init')).body).toEqual({ initialized: false });
    const ss = await c.get('sys/seal-status');
    expect(ss.body).toMatchObject({ type: 'shamir', initialized: false, sealed: true, t: 0, n: 0, progress: 0 });
    expect((await c.get('secret/data/x')).status).toBe(503);
  });

  it('validates init parameters', async () => {
    const c = new Client(srv!.addr);
    const bad = await c.put('sys/init', { secret_shares: 3, secret_threshold: 5 });
    expect(bad.status).toBe(400);
    const rec = await c.put('sys/init', { secret_shares: 3, secret_threshold: 2, recovery_shares: 3 });
    expect(rec.status).toBe(400);
    expect((rec.body as { errors: string[] }).errors[0]).toContain('not applicable to seal type shamir');
    expect((await c.get('sys/init')).body).toEqual({ initialized: false });
  });

  it('initialises with 5/3 shares and stays sealed', async () => {
    const c = new Client(srv!.addr);
    const r = await c.put<{ keys: string[]; keys_base64: string[]; root_token: string }>('sys/init', { secret_shares: 5, secret_threshold: 3 });
    expect(r.status).toBe(200);
    expect(r.body.keys).toHaveLength(5);
    expect(r.body.keys_base64).toHaveLength(5);
    expect(r.body.root_token).toMatch(/^hvs\.[A-Za-z0-9]{24}$/);
    keys = r.body.keys;
    rootToken = r.body.root_token;
    expect((await c.get('sys/health')).status).toBe(503);
    expect((await c.get('sys/health?sealedcode=200')).status).toBe(200);
    expect((await c.put('sys/init', { secret_shares: 1, secret_threshold: 1 })).status).toBe(400);
    const sealed = await c.withToken(rootToken).get('sys/mounts');
    expect(sealed.status).toBe(503);
    expect(sealed.body).toEqual({ errors: ['Vault is sealed'] });
  });

  it('unseals with progress, accepts hex and base64 keys, and rejects garbage', async () => {
    const c = new Client(srv!.addr);
    const junk = await c.put('sys/unseal', { key: 'not a key!' });
    expect(junk.status).toBe(400);
    const p1 = await c.put('sys/unseal', { key: keys[0] });
    expect(p1.body).toMatchObject({ sealed: true, t: 3, n: 5, progress: 1 });
    const reset = await c.put('sys/unseal', { reset: true });
    expect(reset.body).toMatchObject({ sealed: true, progress: 0 });
    await c.put('sys/unseal', { key: keys[0] });
    await c.put('sys/unseal', { key: Buffer.from(keys[1]!, 'hex').toString('base64') });
    const done = await c.put('sys/unseal', { Key: keys[4] });
    expect(done.body).toMatchObject({ sealed: false, progress: 0 });
    expect((await c.get('sys/health')).status).toBe(200);
  });

  it('stores data, seals on request and answers 503 after', async () => {
    const c = new Client(srv!.addr, rootToken);
    expect((await c.post('sys/mounts/kv', { type: 'kv', options: { version: '2' } })).status).toBe(204);
    expect((await c.post('kv/data/persist', { data: { v: 'kept' } })).status).toBe(200);
    expect((await c.put('sys/seal')).status).toBe(204);
    let status = 0;
    for (let i = 0; i < 50 && status !== 503; i++) {
      status = (await c.get('sys/health')).status;
      if (status !== 503) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(503);
    expect((await c.get('kv/data/persist')).status).toBe(503);
  });

  it('comes back sealed after a restart, and a wrong share set does not unseal', async () => {
    await srv!.kill('SIGTERM');
    const c = await start();
    expect((await c.get('sys/seal-status')).body).toMatchObject({ initialized: true, sealed: true });
    // A forged share of the right length: the combined key must fail to open the root key.
    const forged = Buffer.from(keys[2]!, 'hex');
    forged[0] = forged[0]! ^ 0xff;
    await c.put('sys/unseal', { key: keys[0] });
    await c.put('sys/unseal', { key: keys[1] });
    const bad = await c.put('sys/unseal', { key: forged.toString('hex') });
    expect(bad.status).toBe(400);
    expect((await c.get('sys/seal-status')).body).toMatchObject({ sealed: true, progress: 0 });
    for (const k of keys.slice(2)) await c.put('sys/unseal', { key: k });
    const r = await c.withToken(rootToken).get('kv/data/persist');
    expect(r.status).toBe(200);
    expect((r.body['data'] as { data: unknown }).data).toEqual({ v: 'kept' });
  });

  it('rotates the barrier key and keeps old data readable', async () => {
    const c = new Client(srv!.addr, rootToken);
    const before = await c.get('sys/key-status');
    expect(before.body['term']).toBe(1);
    expect((await c.put('sys/rotate')).status).toBe(204);
    const after = await c.get('sys/key-status');
    expect(after.body['term']).toBe(2);
    expect((await c.get('kv/data/persist')).status).toBe(200);
  });
});
