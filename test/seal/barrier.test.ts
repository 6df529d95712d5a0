import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AesGcmBarrier,
  BarrierError,
  BarrierSealedError,
  KEYRING_PATH,
  type BarrierOptions,
} from '../../src/seal/barrier.js';
import { decryptEntry, encryptEntry, ENTRY_OVERHEAD } from '../../src/seal/barrier-cipher.js';
import { SqliteBackend } from '../../src/storage/sqlite.js';

const stores: SqliteBackend[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function memStore(): SqliteBackend {
  const s = SqliteBackend.open({ path: ':memory:' });
  stores.push(s);
  return s;
}

async function unsealedBarrier(opts: BarrierOptions = {}, physical = memStore()) {
  const barrier = new AesGcmBarrier(physical, opts);
  const rootKey = AesGcmBarrier.generateKey();
  await barrier.initialize(rootKey);
  await barrier.unseal(rootKey);
  return { barrier, physical, rootKey };
}

/** Term of every data entry (everything but the keyring) in physical storage. */
async function termsInStorage(physical: SqliteBackend, prefix: string): Promise<number[]> {
  const keys = await physical.list(prefix);
  return Promise.all(keys.map(async (k) => (await physical.get(prefix + k))!.readUInt32BE(0)));
}

const b = (s: string): Buffer => Buffer.from(s);

describe('AesGcmBarrier', () => {
  it('round-trips values and stores only ciphertext in Vault’s layout', async () => {
    const { barrier, physical } = await unsealedBarrier();
    await barrier.put('secret/a', b('top secret value'));
    expect((await barrier.get('secret/a'))?.toString()).toBe('top secret value');
    expect(await barrier.get('secret/missing')).toBeUndefined();

    const raw = (await physical.get('secret/a'))!;
    expect(raw.length).toBe(ENTRY_OVERHEAD + 'top secret value'.length);
    expect(raw.readUInt32BE(0)).toBe(1); // term
    expect(raw[4]).toBe(2); // AESGCMVersion2: path bound as AAD
    expect(raw.includes(b('top secret'))).toBe(false);

    await barrier.put('secret/empty', Buffer.alloc(0));
    expect((await barrier.get('secret/empty'))?.length).toBe(0);
    expect(await barrier.list('secret/')).toEqual(['a', 'empty']);
    await barrier.delete('secret/a');
    expect(await barrier.get('secret/a')).toBeUndefined();
  });

  it('two encryptions of the same value differ (fresh nonce per entry)', async () => {
    const { barrier, physical } = await unsealedBarrier();
    await barrier.put('n/1', b('same'));
    await barrier.put('n/2', b('same'));
    const [c1, c2] = [(await physical.get('n/1'))!, (await physical.get('n/2'))!];
    expect(c1.subarray(5, 17).equals(c2.subarray(5, 17))).toBe(false);
  });

  it('initialisation state, double initialise and unseal before initialise', async () => {
    const physical = memStore();
    const barrier = new AesGcmBarrier(physical);
    expect(await barrier.isInitialized()).toBe(false);
    expect(barrier.sealed).toBe(true);
    await expect(barrier.unseal(AesGcmBarrier.generateKey())).rejects.toThrow('Vault is not initialized');
    const rootKey = AesGcmBarrier.generateKey();
    await barrier.initialize(rootKey);
    expect(await barrier.isInitialized()).toBe(true);
    expect(barrier.sealed).toBe(true); // initialise does not unseal
    await expect(barrier.initialize(rootKey)).rejects.toThrow('already initialized');
    await expect(barrier.initialize(Buffer.alloc(16))).rejects.toThrow(/32 bytes/);
  });

  it('the keyring is stored encrypted under the root key, in Vault’s JSON layout', async () => {
    const { barrier, physical, rootKey } = await unsealedBarrier();
    await barrier.rotate();
    const blob = (await physical.get(KEYRING_PATH))!;
    expect(blob.includes(b('MasterKey'))).toBe(false);
    const ring = JSON.parse(decryptEntry(rootKey, KEYRING_PATH, blob).toString()) as {
      MasterKey: string;
      Keys: { Term: number; Version: number; Value: string; InstallTime: string; Encryptions: number }[];
    };
    expect(Buffer.from(ring.MasterKey, 'base64').equals(rootKey)).toBe(true);
    expect(ring.Keys.map((k) => k.Term)).toEqual([1, 2]);
    for (const k of ring.Keys) {
      expect(Buffer.from(k.Value, 'base64')).toHaveLength(32);
      expect(Number.isNaN(Date.parse(k.InstallTime))).toBe(false);
    }
  });

  it('wrong root key fails to unseal and leaves the barrier sealed', async () => {
    const physical = memStore();
    const barrier = new AesGcmBarrier(physical);
    await barrier.initialize(AesGcmBarrier.generateKey());
    const err = await barrier.unseal(AesGcmBarrier.generateKey()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BarrierError);
    expect((err as Error).message).toBe('Unseal failed, invalid key');
    expect(barrier.sealed).toBe(true);
  });

  it('unseal copies the root key: the caller may wipe its buffer', async () => {
    const { barrier, rootKey } = await unsealedBarrier();
    const copy = Buffer.from(rootKey);
    rootKey.fill(0);
    await barrier.put('k', b('v'));
    await barrier.rotateRootKey(AesGcmBarrier.generateKey());
    barrier.seal();
    await expect(barrier.unseal(copy)).rejects.toThrow('Unseal failed, invalid key');
  });

  it('entries written under old terms still decrypt after rotate; new ones use the new term', async () => {
    const { barrier, physical, rootKey } = await unsealedBarrier();
    await barrier.put('r/old', b('one'));
    const before = barrier.keyStatus();
    const rotated = await barrier.rotate();
    expect(rotated.term).toBe(2);
    expect(barrier.keyStatus().term).toBe(2);
    expect(barrier.keyStatus().encryptions).toBe(0);
    expect(rotated.installTime.getTime()).toBeGreaterThanOrEqual(before.installTime.getTime());
    await barrier.put('r/new', b('two'));
    await barrier.rotate();
    expect((await barrier.get('r/old'))?.toString()).toBe('one');
    expect((await barrier.get('r/new'))?.toString()).toBe('two');
    expect(await termsInStorage(physical, 'r/')).toEqual([2, 1]); // list order: new, old

    // And after a seal/unseal cycle the whole keyring is back.
    barrier.seal();
    expect(barrier.sealed).toBe(true);
    await barrier.unseal(rootKey);
    expect(barrier.keyStatus().term).toBe(3);
    expect((await barrier.get('r/old'))?.toString()).toBe('one');
    expect((await barrier.get('r/new'))?.toString()).toBe('two');
  });

  it('a ciphertext copied to another path fails to decrypt (path is AAD)', async () => {
    const { barrier, physical } = await unsealedBarrier();
    await barrier.put('a/one', b('payload-XYZ'));
    await physical.put('a/two', (await physical.get('a/one'))!);
    const err = await barrier.get('a/two').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BarrierError);
    expect((err as Error).message).toContain('"a/two"');
    expect((err as Error).message).not.toContain('payload');
  });

  it('any tampered byte fails authentication; an unknown term is reported', async () => {
    const { barrier, physical } = await unsealedBarrier();
    await barrier.put('t/k', b('sixteen bytes!!!'));
    const good = (await physical.get('t/k'))!;
    for (const pos of [5, 16, 17, 20, good.length - 17, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[pos]! ^= 0x01;
      await physical.put('t/k', bad);
      await expect(barrier.get('t/k')).rejects.toThrow(/message authentication failed/);
    }
    const wrongVersion = Buffer.from(good);
    wrongVersion[4] = 1;
    await physical.put('t/k', wrongVersion);
    await expect(barrier.get('t/k')).rejects.toThrow(/unsupported version 1/);
    const wrongTerm = Buffer.from(good);
    wrongTerm.writeUInt32BE(7, 0);
    await physical.put('t/k', wrongTerm);
    await expect(barrier.get('t/k')).rejects.toThrow('no decryption key available for term 7 at "t/k"');
    await physical.put('t/k', good.subarray(0, 20));
    await expect(barrier.get('t/k')).rejects.toThrow(/too short/);
    await physical.put('t/k', good);
    expect((await barrier.get('t/k'))?.toString()).toBe('sixteen bytes!!!');
  });

  it('sealed: every operation throws ErrBarrierSealed and key material is zero-filled', async () => {
    const { barrier } = await unsealedBarrier();
    await barrier.put('s/k', b('v'));
    const ring = (barrier as unknown as { ring: { rootKey: Buffer; keys: Map<number, { value: Buffer }> } }).ring;
    const buffers = [ring.rootKey, ...[...ring.keys.values()].map((k) => k.value)];
    barrier.seal();
    for (const buf of buffers) expect(buf.every((x) => x === 0)).toBe(true);
    const ops: (() => Promise<unknown>)[] = [
      () => barrier.get('s/k'),
      () => barrier.put('s/k', b('x')),
      () => barrier.delete('s/k'),
      () => barrier.list('s/'),
      () => barrier.txn([{ op: 'put', key: 's/x', value: b('x') }]),
      () => barrier.txn([{ op: 'delete', key: 's/x' }]),
      () => barrier.rotate(),
      () => barrier.rotateRootKey(AesGcmBarrier.generateKey()),
    ];
    for (const op of ops) await expect(op()).rejects.toBeInstanceOf(BarrierSealedError);
    expect(() => barrier.keyStatus()).toThrow('Vault is sealed');
    barrier.seal(); // idempotent
  });

  it('a write racing a seal fails with ErrBarrierSealed instead of using wiped keys', async () => {
    const { barrier, physical } = await unsealedBarrier();
    const first = barrier.put('race/1', b('x')); // has to wait for a reservation
    barrier.seal();
    await expect(first).rejects.toBeInstanceOf(BarrierSealedError);
    const { barrier: other } = await unsealedBarrier();
    await other.put('race/warm', b('x')); // reservation in hand: acquire resolves at once
    const second = other.put('race/2', b('x'));
    other.seal();
    await expect(second).rejects.toBeInstanceOf(BarrierSealedError);
    expect(await physical.get('race/1')).toBeUndefined();
  });

  it('txn encrypts puts, applies deletes, and is atomic; the keyring path is reserved', async () => {
    const { barrier, physical } = await unsealedBarrier();
    await barrier.put('x/gone', b('0'));
    await barrier.txn([
      { op: 'put', key: 'x/a', value: b('A') },
      { op: 'put', key: 'x/b', value: b('B') },
      { op: 'delete', key: 'x/gone' },
    ]);
    expect(await barrier.list('x/')).toEqual(['a', 'b']);
    expect((await barrier.get('x/b'))?.toString()).toBe('B');
    expect(barrier.keyStatus().encryptions).toBe(3);
    await expect(barrier.put(KEYRING_PATH, b('x'))).rejects.toThrow(/reserved/);
    await expect(barrier.delete(KEYRING_PATH)).rejects.toThrow(/reserved/);
    await expect(barrier.txn([{ op: 'put', key: 'x/c', value: b('C') }, { op: 'delete', key: KEYRING_PATH }])).rejects.toThrow(
      /reserved/,
    );
    expect(await barrier.get('x/c')).toBeUndefined();
    expect(await physical.get(KEYRING_PATH)).toBeDefined();
  });

  it('rotateRootKey re-encrypts only the keyring: the old root key stops working, data stays', async () => {
    const { barrier, physical, rootKey } = await unsealedBarrier();
    await barrier.put('d/k', b('data'));
    const dataBefore = (await physical.get('d/k'))!;
    const newRoot = AesGcmBarrier.generateKey();
    await barrier.rotateRootKey(newRoot);
    expect((await physical.get('d/k'))!.equals(dataBefore)).toBe(true);
    barrier.seal();
    await expect(barrier.unseal(rootKey)).rejects.toThrow('Unseal failed, invalid key');
    await barrier.unseal(newRoot);
    expect((await barrier.get('d/k'))?.toString()).toBe('data');
  });

  it('rotates automatically before the per-term encryption limit, under concurrency too', async () => {
    const max = 10;
    const { barrier, physical } = await unsealedBarrier({ maxEncryptionsPerTerm: max, reserveBlock: 4 });
    for (let i = 0; i < 25; i++) await barrier.put(`seq/${String(i).padStart(2, '0')}`, b(String(i)));
    expect(barrier.keyStatus().term).toBe(3);
    expect(barrier.keyStatus().encryptions).toBe(5);

    await Promise.all(Array.from({ length: 60 }, (_, i) => barrier.put(`par/${i}`, b(String(i)))));
    await barrier.txn(Array.from({ length: 7 }, (_, i) => ({ op: 'put' as const, key: `tx/${i}`, value: b('t') })));
    await expect(barrier.txn(Array.from({ length: 11 }, (_, i) => ({ op: 'put' as const, key: `big/${i}`, value: b('t') })))).rejects.toThrow(
      /exceeds the per-term encryption limit/,
    );

    const perTerm = new Map<number, number>();
    for (const prefix of ['seq/', 'par/', 'tx/']) {
      for (const t of await termsInStorage(physical, prefix)) perTerm.set(t, (perTerm.get(t) ?? 0) + 1);
    }
    expect([...perTerm.values()].reduce((a, c) => a + c, 0)).toBe(92);
    for (const count of perTerm.values()) expect(count).toBeLessThanOrEqual(max);
    for (let i = 0; i < 60; i += 7) expect((await barrier.get(`par/${i}`))?.toString()).toBe(String(i));
    expect((await barrier.get('seq/00'))?.toString()).toBe('0');
  });

  it('the encryption count survives a restart (it resumes from the persisted reservation)', async () => {
    const max = 10;
    const opts = { maxEncryptionsPerTerm: max, reserveBlock: 4 };
    const { barrier, physical, rootKey } = await unsealedBarrier(opts);
    for (let i = 0; i < 7; i++) await barrier.put(`c/a${i}`, b('x'));
    expect(barrier.keyStatus()).toMatchObject({ term: 1, encryptions: 7 });

    // A crash: no orderly shutdown, a fresh barrier over the same storage.
    const again = new AesGcmBarrier(physical, opts);
    await again.unseal(rootKey);
    const status = again.keyStatus();
    expect(status.term).toBe(1);
    expect(status.encryptions).toBeGreaterThanOrEqual(7);
    expect(status.encryptions).toBeLessThanOrEqual(max);
    for (let i = 0; i < 5; i++) await again.put(`c/b${i}`, b('x'));
    // 7 before the crash + 5 after cannot fit in one term of 10: it must have rotated.
    const terms = await termsInStorage(physical, 'c/');
    expect(terms.filter((t) => t === 1).length).toBeLessThanOrEqual(max);
    expect(again.keyStatus().term).toBe(2);
  });

  it('the keyring persists across a reopen of a file SQLite database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-barrier-'));
    dirs.push(dir);
    const path = join(dir, 'vault.db');
    const first = SqliteBackend.open({ path });
    const { barrier, rootKey } = await unsealedBarrier({}, first);
    await barrier.put('p/k', b('persisted'));
    await barrier.rotate();
    await barrier.put('p/k2', b('second'));
    barrier.seal();
    await first.close();

    const second = SqliteBackend.open({ path });
    stores.push(second);
    const reopened = new AesGcmBarrier(second);
    expect(await reopened.isInitialized()).toBe(true);
    await reopened.unseal(rootKey);
    expect(reopened.keyStatus().term).toBe(2);
    expect((await reopened.get('p/k'))?.toString()).toBe('persisted');
    expect((await reopened.get('p/k2'))?.toString()).toBe('second');
  });

  it('generateKey returns 32 fresh random bytes', () => {
    const k1 = AesGcmBarrier.generateKey();
    expect(k1).toHaveLength(32);
    expect(k1.equals(AesGcmBarrier.generateKey())).toBe(false);
  });

  it('entry cipher refuses bad terms and keys', () => {
    const key = AesGcmBarrier.generateKey();
    expect(() => encryptEntry(-1, key, 'p', b('x'))).toThrow(RangeError);
    expect(() => encryptEntry(2 ** 32, key, 'p', b('x'))).toThrow(RangeError);
    expect(() => encryptEntry(1, Buffer.alloc(31), 'p', b('x'))).toThrow(RangeError);
    const blob = encryptEntry(0xffffffff, key, 'p', b('x'));
    expect(blob.readUInt32BE(0)).toBe(0xffffffff);
    expect(decryptEntry(key, 'p', blob).toString()).toBe('x');
  });
});
