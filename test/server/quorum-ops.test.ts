import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDev, type Spawned } from '../helpers/server.js';
import { xorDecodeToken } from '../../src/core/quorum-ops.js';

let srv: Spawned & { token: string };
let anon: Client;
let unsealKey: string;
let currentKeys: string[] = [];

beforeAll(async () => {
  srv = await startDev();
  anon = new Client(srv.addr);
  unsealKey = /Unseal Key: (\S+)/.exec(srv.stdout())![1]!;
});
afterAll(async () => {
  await srv?.kill();
});

describe('generate-root', () => {
  it('issues a working root token to a quorum of key holders, OTP-encoded', async () => {
    const idle = await anon.get('sys/generate-root/attempt');
    expect(idle.body).toMatchObject({ started: false, progress: 0, required: 1, complete: false });
    const start = await anon.put<{ nonce: string; otp: string; otp_length: number; started: boolean }>('sys/generate-root/attempt', {});
    expect(start.status).toBe(200);
    expect(start.body.started).toBe(true);
    expect(start.body.otp).toHaveLength(28);
    expect((await anon.put('sys/generate-root/attempt', {})).status).toBe(400); // already running
    const wrongNonce = await anon.put('sys/generate-root/update', { key: unsealKey, nonce: 'nope' });
    expect(wrongNonce.status).toBe(400);
    const done = await anon.put<{ complete: boolean; encoded_token: string }>('sys/generate-root/update', { key: unsealKey, nonce: start.body.nonce });
    expect(done.body.complete).toBe(true);
    const token = xorDecodeToken(done.body.encoded_token, start.body.otp);
    expect(token).toMatch(/^hvs\./);
    const self = await anon.withToken(token).get('auth/token/lookup-self');
    expect((self.body['data'] as Record<string, unknown>)['policies']).toEqual(['root']);
  });

  it('refuses a wrong key and can be cancelled', async () => {
    const start = await anon.put<{ nonce: string }>('sys/generate-root/attempt', {});
    const bad = await anon.put('sys/generate-root/update', { key: Buffer.alloc(33, 7).toString('base64'), nonce: start.body.nonce });
    expect(bad.status).toBe(400);
    expect((await anon.delete('sys/generate-root/attempt')).status).toBe(204);
    expect((await anon.get('sys/generate-root/attempt')).body).toMatchObject({ started: false });
  });
});

describe('rekey', () => {
  it('replaces the unseal keys; old keys stop working, new ones unseal', async () => {
    const init = await anon.put<{ nonce: string; t: number; n: number }>('sys/rekey/init', { secret_shares: 3, secret_threshold: 2 });
    expect(init.status).toBe(200);
    expect(init.body).toMatchObject({ started: true, t: 2, n: 3, required: 1 });
    const done = await anon.put<{ complete: boolean; keys: string[]; keys_base64: string[] }>('sys/rekey/update', { key: unsealKey, nonce: init.body.nonce });
    expect(done.body.complete).toBe(true);
    expect(done.body.keys).toHaveLength(3);

    const root = new Client(srv.addr, srv.token);
    expect((await root.put('sys/seal')).status).toBe(204);
    for (let i = 0; i < 50 && !(await anon.get<{ sealed: boolean }>('sys/seal-status')).body.sealed; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await anon.get('sys/seal-status')).body).toMatchObject({ sealed: true, t: 2, n: 3 });
    // The old single key is no longer a quorum: the first share of a 2-of-3 set only adds progress.
    const old = await anon.put('sys/unseal', { key: unsealKey });
    expect(old.body).toMatchObject({ sealed: true, progress: 1 });
    const wrong = await anon.put('sys/unseal', { key: done.body.keys[0] });
    expect(wrong.status).toBe(400);
    await anon.put('sys/unseal', { key: done.body.keys[2] });
    const ok = await anon.put('sys/unseal', { key: done.body.keys_base64[1] });
    expect(ok.body).toMatchObject({ sealed: false });
    currentKeys = done.body.keys;
  });

  it('with verification, the new keys take effect only once verified', async () => {
    const init = await anon.put<{ nonce: string }>('sys/rekey/init', { secret_shares: 1, secret_threshold: 1, require_verification: true });
    expect(init.status).toBe(200);
    expect((await anon.get('sys/rekey/init')).body).toMatchObject({ started: true, required: 2, verification_required: true });
    await anon.put('sys/rekey/update', { key: currentKeys[0], nonce: init.body.nonce });
    const done = await anon.put<{ complete: boolean; keys: string[]; verification_nonce: string }>('sys/rekey/update', { key: currentKeys[1], nonce: init.body.nonce });
    expect(done.body).toMatchObject({ complete: true, verification_required: true });
    const newKey = done.body.keys[0]!;
    // Not verified yet: the seal still wants the old 2-of-3 quorum.
    expect((await anon.get('sys/seal-status')).body).toMatchObject({ t: 2, n: 3 });
    const wrong = await anon.put('sys/rekey/verify', { key: currentKeys[2], nonce: done.body.verification_nonce });
    expect(wrong.status).toBe(400);
    const verified = await anon.put('sys/rekey/verify', { key: newKey, nonce: done.body.verification_nonce });
    expect(verified.body).toMatchObject({ complete: true });
    expect((await anon.get('sys/seal-status')).body).toMatchObject({ t: 1, n: 1 });

    const root = new Client(srv.addr, srv.token);
    await root.put('sys/seal');
    for (let i = 0; i < 50 && !(await anon.get<{ sealed: boolean }>('sys/seal-status')).body.sealed; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await anon.put('sys/unseal', { key: newKey })).body).toMatchObject({ sealed: false });
  });
});
