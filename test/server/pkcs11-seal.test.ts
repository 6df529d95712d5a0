/**
 * The PKCS#11 seal end to end, against a real SoftHSM2 token in a temporary directory: auto-unseal
 * across kill -9, recovery keys, the failure modes at start, seal migration both ways, key
 * rotation and the production guard. A missing SoftHSM fails these tests; it never skips them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, freePort, spawnCoffer, tempDir, writeConfig, type Spawned } from '../helpers/server.js';
import { xorDecodeToken } from '../../src/core/quorum-ops.js';

const LIB = '/usr/lib/softhsm/libsofthsm2.so';

interface Hsm {
  env: Record<string, string>;
  label: string;
  pin: string;
}

function makeToken(dir: string): Hsm {
  if (!existsSync(LIB)) throw new Error(`SoftHSM is required: ${LIB} is missing (apt-get install softhsm2)`);
  const conf = join(dir, 'softhsm2.conf');
  execFileSync('mkdir', ['-p', join(dir, 'tokens')]);
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const label = 'coffer-test';
  const pin = '4321';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '8765', '--pin', pin], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });
  return { env: { SOFTHSM2_CONF: conf }, label, pin };
}

function sealStanza(hsm: Hsm, opts: { pin?: string; keyLabel?: string; disabled?: boolean } = {}): string {
  return `seal "pkcs11" {
  lib            = "${LIB}"
  token_label    = "${hsm.label}"
  pin            = "${opts.pin ?? hsm.pin}"
  key_label      = "${opts.keyLabel ?? 'coffer-root-key'}"
  mechanism      = "0x1087"
  generate_key   = "true"
${opts.disabled ? '  disabled       = "true"\n' : ''}}
`;
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 150; i++) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

describe('seal "pkcs11" with SoftHSM', () => {
  const dir = tempDir('coffer-hsm-');
  let hsm: Hsm;
  let port: number;
  let srv: Spawned | undefined;
  let recoveryKeys: string[] = [];
  let rootToken = '';

  const config = (extra: string, env = ''): string =>
    writeConfig(dir.path, `storage "file" { path = "${dir.path}/data" }\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\n${env}${extra}`);
  const start = async (extra: string, envLine = ''): Promise<Client> => {
    srv = await spawnCoffer(['server', `-config=${config(extra, envLine)}`], { port, env: hsm.env });
    return new Client(srv.addr);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    await srv?.kill(signal);
    srv = undefined;
  };

  beforeAll(async () => {
    hsm = makeToken(dir.path);
    port = await freePort();
  });
  afterAll(async () => {
    await stop('SIGKILL');
    dir.cleanup();
  });

  it('initialises with recovery keys and is unsealed at once', async () => {
    const c = await start(sealStanza(hsm));
    expect((await c.get('sys/seal-status')).body).toMatchObject({ type: 'pkcs11', initialized: false, recovery_seal: true });
    const bad = await c.put('sys/init', { secret_shares: 5, secret_threshold: 3 });
    expect(bad.status).toBe(400);
    const init = await c.put<{ keys: string[]; recovery_keys: string[]; recovery_keys_base64: string[]; root_token: string }>('sys/init', { recovery_shares: 3, recovery_threshold: 2 });
    expect(init.status, init.text).toBe(200);
    expect(init.body.keys).toEqual([]);
    expect(init.body.recovery_keys).toHaveLength(3);
    recoveryKeys = init.body.recovery_keys;
    rootToken = init.body.root_token;
    expect((await c.get('sys/seal-status')).body).toMatchObject({ type: 'pkcs11', sealed: false, recovery_seal: true, t: 2, n: 3 });
    const root = c.withToken(rootToken);
    expect((await root.post('sys/mounts/kv', { type: 'kv-v2' })).status).toBe(204);
    expect((await root.post('kv/data/hsm', { data: { v: 'behind the hsm' } })).status).toBe(200);
  });

  it('comes back unsealed with no human after kill -9', async () => {
    await stop('SIGKILL');
    const c = await start(sealStanza(hsm));
    await waitFor(() => c.get('sys/health'), (r) => r.status === 200, 'auto-unseal');
    const r = await c.withToken(rootToken).get('kv/data/hsm');
    expect((r.body['data'] as { data: unknown }).data).toEqual({ v: 'behind the hsm' });
  });

  it('lets a recovery quorum generate a root token', async () => {
    const c = new Client(srv!.addr);
    const start = await c.put<{ nonce: string; otp: string }>('sys/generate-root/attempt', {});
    expect((await c.get('sys/generate-root/attempt')).body).toMatchObject({ required: 2 });
    await c.put('sys/generate-root/update', { key: recoveryKeys[0], nonce: start.body.nonce });
    const done = await c.put<{ complete: boolean; encoded_token: string }>('sys/generate-root/update', { key: recoveryKeys[2], nonce: start.body.nonce });
    expect(done.body.complete).toBe(true);
    const token = xorDecodeToken(done.body.encoded_token, start.body.otp);
    expect((await c.withToken(token).get('kv/data/hsm')).status).toBe(200);
  });

  it('rekeys the recovery keys through sys/rekey-recovery-key, not sys/rekey', async () => {
    const c = new Client(srv!.addr);
    expect((await c.put('sys/rekey/init', { secret_shares: 1, secret_threshold: 1 })).status).toBe(400);
    const init = await c.put<{ nonce: string }>('sys/rekey-recovery-key/init', { secret_shares: 3, secret_threshold: 2 });
    expect(init.status, init.text).toBe(200);
    await c.put('sys/rekey-recovery-key/update', { key: recoveryKeys[0], nonce: init.body.nonce });
    const done = await c.put<{ complete: boolean; keys: string[] }>('sys/rekey-recovery-key/update', { key: recoveryKeys[1], nonce: init.body.nonce });
    expect(done.body.complete).toBe(true);
    recoveryKeys = done.body.keys;
  });

  it('stays sealed with the exact cause when the PIN is wrong, and recovery keys cannot unseal', async () => {
    await stop();
    const c = await start(sealStanza(hsm, { pin: '0000' }));
    await waitFor(async () => srv!.stderr(), (s) => /auto-unseal failed/.test(s), 'the failure log');
    expect(srv!.stderr()).toMatch(/pin|PIN/);
    expect((await c.get('sys/health')).status).toBe(503);
    const r = await c.put('sys/unseal', { key: recoveryKeys[0] });
    expect(r.status).toBe(400);
    expect((r.body as { errors: string[] }).errors[0]).toContain('recovery keys cannot unseal');
    await stop();
  });

  it('never generates a fresh key over an existing barrier: a token without the key stays sealed', async () => {
    // A second, empty token (a replaced or wrong HSM): generate_key is set, but the barrier exists,
    // so the server must refuse rather than create a key that could never open the root key.
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'empty-token', '--so-pin', '8765', '--pin', hsm.pin], { env: { ...process.env, ...hsm.env }, stdio: 'pipe' });
    const c = await start(sealStanza({ ...hsm, label: 'empty-token' }));
    await waitFor(async () => srv!.stderr(), (s) => /auto-unseal failed/.test(s), 'the failure log');
    expect(srv!.stderr()).toMatch(/coffer-root-key/);
    expect((await c.get('sys/health')).status).toBe(503);
    await stop();
  });

  it('rotates to a new key label with old data still readable', async () => {
    // The configured label names no key yet and the stored root key names the old (existing)
    // key: that is a rotation; the old key opens the root key, which is re-wrapped under the new.
    const c = await start(sealStanza(hsm, { keyLabel: 'coffer-root-key-2' }));
    await waitFor(() => c.get('sys/health'), (r) => r.status === 200, 'unseal after key rotation');
    expect((await c.withToken(rootToken).get('kv/data/hsm')).status).toBe(200);
    await stop();
    // After the rotation the root key is wrapped under the new key: start with only it.
    const c2 = await start(sealStanza(hsm, { keyLabel: 'coffer-root-key-2' }));
    await waitFor(() => c2.get('sys/health'), (r) => r.status === 200, 'unseal under the rotated key');
    await stop();
  });

  it('migrates pkcs11 → shamir: recovery keys become unseal keys', async () => {
    const c = await start(sealStanza(hsm, { keyLabel: 'coffer-root-key-2', disabled: true }));
    const st = await c.get('sys/seal-status');
    expect(st.body).toMatchObject({ type: 'shamir', sealed: true, migration: true, t: 2, n: 3 });
    const noFlag = await c.put('sys/unseal', { key: recoveryKeys[0] });
    expect(noFlag.status).toBe(400);
    await c.put('sys/unseal', { key: recoveryKeys[0], migrate: true });
    const done = await c.put('sys/unseal', { key: recoveryKeys[2], migrate: true });
    expect(done.body).toMatchObject({ sealed: false, migration: false });
    expect((await c.withToken(rootToken).get('kv/data/hsm')).status).toBe(200);
    await stop();
    // Plain Shamir now: sealed at start, the old recovery keys unseal it.
    const c2 = await start('');
    expect((await c2.get('sys/seal-status')).body).toMatchObject({ type: 'shamir', sealed: true, t: 2, n: 3 });
    await c2.put('sys/unseal', { key: recoveryKeys[1] });
    expect((await c2.put('sys/unseal', { key: recoveryKeys[2] })).body).toMatchObject({ sealed: false });
    await stop();
  });

  it('migrates shamir → pkcs11: unseal keys become recovery keys', async () => {
    const c = await start(sealStanza(hsm, { keyLabel: 'coffer-root-key-3' }));
    expect((await c.get('sys/seal-status')).body).toMatchObject({ type: 'pkcs11', sealed: true, migration: true });
    await c.put('sys/unseal', { key: recoveryKeys[0], migrate: true });
    const mig = await c.put('sys/unseal', { key: recoveryKeys[1], migrate: true });
    expect(mig.body).toMatchObject({ sealed: false });
    expect((await c.withToken(rootToken).get('kv/data/hsm')).status).toBe(200);
    await stop('SIGKILL');
    const c2 = await start(sealStanza(hsm, { keyLabel: 'coffer-root-key-3' }));
    await waitFor(() => c2.get('sys/health'), (r) => r.status === 200, 'auto-unseal after migration');
    await stop();
  });

  it('refuses to start with SoftHSM in production, saying why', async () => {
    const cfg = config(sealStanza(hsm), 'environment = "production"\n');
    await expect(spawnCoffer(['server', `-config=${cfg}`], { port, env: hsm.env })).rejects.toThrow(/SoftHSM/i);
  });
});
