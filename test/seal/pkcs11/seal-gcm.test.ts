import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeBlob } from '../../../src/seal/pkcs11/blob.js';
import { Pkcs11SealError } from '../../../src/seal/pkcs11/index.js';
import { inspectKeys } from './inspect.js';
import { closeAllSeals, createToken, openSeal, sealConfig, removeSandbox } from './softhsm.js';

afterEach(closeAllSeals);
afterAll(removeSandbox);

async function rejection(p: Promise<unknown>): Promise<Pkcs11SealError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Pkcs11SealError);
  return err as Pkcs11SealError;
}

describe('Pkcs11Seal with CKM_AES_GCM on SoftHSM', () => {
  it('round-trips a 32-byte secret, an empty one and a large one', async () => {
    const token = createToken('gcm');
    const seal = openSeal(sealConfig(token));
    for (const plaintext of [randomBytes(32), Buffer.alloc(0), randomBytes(64 * 1024)]) {
      const blob = await seal.encrypt(plaintext);
      expect(blob.includes(plaintext.subarray(0, 16)) && plaintext.length > 0).toBe(false);
      expect((await seal.decrypt(blob)).equals(plaintext)).toBe(true);
    }
    const again = await seal.encrypt(Buffer.from('same'));
    const twice = await seal.encrypt(Buffer.from('same'));
    expect(again.equals(twice)).toBe(false); // fresh IV each time
  });

  it('writes a self-describing blob naming the key, and keyInfo agrees', async () => {
    const token = createToken('gcm');
    const seal = openSeal(sealConfig(token, { keyLabel: 'root-seal', keyId: '0xC0FFEE01' }));
    const info = seal.keyInfo();
    expect(info).toEqual({ label: 'root-seal', id: 'c0ffee01', mechanism: '0x1087' });
    const blob = decodeBlob(await seal.encrypt(randomBytes(32)));
    expect(blob.mechanism).toBe(0x1087);
    expect(blob.keyLabel).toBe('root-seal');
    expect(blob.keyId.toString('hex')).toBe('c0ffee01');
    expect(blob.iv).toHaveLength(12);
    expect(blob.ciphertext).toHaveLength(32 + 16);
    expect(seal.tokenInfo()).toMatchObject({ slot: token.slot, label: token.label, manufacturer: 'SoftHSM project' });
  });

  it('generates the key on first use and reuses it afterwards without a second object', async () => {
    const token = createToken('gcm');
    const first = openSeal(sealConfig(token));
    const id = first.keyInfo().id;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const blob = await first.encrypt(Buffer.from('root key'));
    closeAllSeals();

    const second = openSeal(sealConfig(token));
    expect(second.keyInfo().id).toBe(id);
    expect((await second.decrypt(blob)).toString()).toBe('root key');
    closeAllSeals();
    expect(inspectKeys(token, 'seal-key')).toHaveLength(1);
  });

  it('generated keys are token objects, private, sensitive, non-extractable AES-256', () => {
    const token = createToken('gcm');
    openSeal(sealConfig(token));
    closeAllSeals();
    const [key, ...rest] = inspectKeys(token, 'seal-key');
    expect(rest).toEqual([]);
    expect(key).toMatchObject({
      cls: 'secret',
      keyType: 'AES',
      size: 32,
      token: true,
      private: true,
      sensitive: true,
      extractable: false,
      neverExtractable: true,
      alwaysSensitive: true,
      secretRead: 'CKR_ATTRIBUTE_SENSITIVE',
    });
    expect(key!.wrapAttempt).toMatch(/^CKR_KEY_(UNEXTRACTABLE|NOT_WRAPPABLE)$/);
  });

  it('rejects tampered, truncated and foreign blobs as authentication failures', async () => {
    const token = createToken('gcm');
    const seal = openSeal(sealConfig(token));
    const blob = await seal.encrypt(randomBytes(32));
    const header = blob.length - 48;
    const flip = (at: number): Buffer => {
      const copy = Buffer.from(blob);
      copy[at]! ^= 0x01;
      return copy;
    };
    const cases: [string, Buffer][] = [
      ['ciphertext byte', flip(header + 3)],
      ['tag byte', flip(blob.length - 1)],
      ['iv byte', flip(header - 4)],
      ['key label byte', flip(11)],
      ['truncated', blob.subarray(0, blob.length - 20)],
      ['not a blob', randomBytes(80)],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, bad] of cases) {
      const err = await rejection(seal.decrypt(bad));
      expect(err.code, what).toBe('decrypt');
      expect(err.message, what).toMatch(/authentication failed/);
    }
    // The session is still usable after the token reported failures.
    expect((await seal.decrypt(blob)).length).toBe(32);
  });

  it('a blob from another token with the same key label does not open', async () => {
    const a = createToken('gcm-a');
    const b = createToken('gcm-b');
    const sealA = openSeal(sealConfig(a));
    const sealB = openSeal(sealConfig(b));
    const blob = await sealA.encrypt(randomBytes(32));
    const err = await rejection(sealB.decrypt(blob));
    expect(err.code).toBe('decrypt');
    expect(err.message).toMatch(/authentication failed: the blob names key "seal-key" \(id [0-9a-f]+, CKM_AES_GCM\), and objects labelled "seal-key" exist on token "gcm-b-[0-9a-f]+" .* but none has CKA_ID/);
  });

  it('after rotating to a new key label, old blobs still decrypt by the key they name', async () => {
    const token = createToken('gcm');
    const old = openSeal(sealConfig(token, { keyLabel: 'seal-2024' }));
    const oldBlob = await old.encrypt(Buffer.from('sealed under 2024'));
    closeAllSeals();

    const rotated = openSeal(sealConfig(token, { keyLabel: 'seal-2025' }));
    expect(rotated.keyInfo().label).toBe('seal-2025');
    const newBlob = await rotated.encrypt(Buffer.from('sealed under 2025'));
    expect(decodeBlob(newBlob).keyLabel).toBe('seal-2025');
    expect((await rotated.decrypt(oldBlob)).toString()).toBe('sealed under 2024');
    expect((await rotated.decrypt(newBlob)).toString()).toBe('sealed under 2025');
    closeAllSeals();
    expect(inspectKeys(token, 'seal-2024')).toHaveLength(1);
    expect(inspectKeys(token, 'seal-2025')).toHaveLength(1);
  });

  it('queues concurrent operations on its one session', async () => {
    const token = createToken('gcm');
    const seal = openSeal(sealConfig(token));
    const inputs = Array.from({ length: 40 }, () => randomBytes(32));
    const blobs = await Promise.all(inputs.map((p) => seal.encrypt(p)));
    const outputs = await Promise.all(blobs.map((b) => seal.decrypt(b)));
    outputs.forEach((out, i) => expect(out.equals(inputs[i]!)).toBe(true));
  });

  it('two seals on one token share the login: closing one leaves the other working', async () => {
    const token = createToken('gcm');
    const a = openSeal(sealConfig(token));
    const b = openSeal(sealConfig(token, { generateKey: false }));
    const blob = await a.encrypt(Buffer.from('x'));
    a.close();
    expect((await b.decrypt(blob)).toString()).toBe('x');
    await expect(a.encrypt(Buffer.from('y'))).rejects.toThrow(/closed/);
  });

  it('close() waits for operations already accepted', async () => {
    const token = createToken('gcm');
    const seal = openSeal(sealConfig(token));
    const pending = seal.encrypt(randomBytes(32));
    seal.close();
    expect((await pending).length).toBeGreaterThan(48);
  });

  it('selects the token by slot ID as well as by label', async () => {
    const token = createToken('gcm');
    const bySlot = openSeal({ ...sealConfig(token), tokenLabel: undefined, slot: token.slot });
    const byHex = openSeal({ ...sealConfig(token), tokenLabel: undefined, slot: `0x${BigInt(token.slot).toString(16)}`, generateKey: false });
    const byBoth = openSeal({ ...sealConfig(token), slot: token.slot, generateKey: false });
    const blob = await bySlot.encrypt(Buffer.from('slot'));
    expect((await byHex.decrypt(blob)).toString()).toBe('slot');
    expect((await byBoth.decrypt(blob)).toString()).toBe('slot');
  });
});
