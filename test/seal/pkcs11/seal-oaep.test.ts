import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeBlob, OAEP_SHA1 } from '../../../src/seal/pkcs11/blob.js';
import { Pkcs11SealError } from '../../../src/seal/pkcs11/index.js';
import { inspectKeys } from './inspect.js';
import { closeAllSeals, createToken, openSeal, sealConfig, removeSandbox } from './softhsm.js';

afterEach(closeAllSeals);
afterAll(removeSandbox);

const OAEP = { mechanism: '0x0009' };

describe('Pkcs11Seal with CKM_RSA_PKCS_OAEP (envelope) on SoftHSM', () => {
  it('generates an RSA-2048 pair once, round-trips, and reuses the pair on reopen', async () => {
    const token = createToken('oaep');
    const seal = openSeal(sealConfig(token, OAEP));
    expect(seal.keyInfo()).toMatchObject({ label: 'seal-key', mechanism: '0x0009' });
    const id = seal.keyInfo().id;
    const secret = randomBytes(32);
    const blob = await seal.encrypt(secret);
    expect((await seal.decrypt(blob)).equals(secret)).toBe(true);
    expect((await seal.decrypt(await seal.encrypt(Buffer.alloc(0)))).length).toBe(0);

    const parsed = decodeBlob(blob);
    expect(parsed.mechanism).toBe(0x0009);
    expect(parsed.oaepHash).toBe(OAEP_SHA1); // SoftHSM refuses SHA-256 OAEP; the seal fell back
    expect(parsed.wrappedKey).toHaveLength(256);
    expect(parsed.ciphertext).toHaveLength(32 + 16);
    closeAllSeals();

    const reopened = openSeal(sealConfig(token, OAEP));
    expect(reopened.keyInfo().id).toBe(id);
    expect((await reopened.decrypt(blob)).equals(secret)).toBe(true);
    closeAllSeals();
    const objects = inspectKeys(token, 'seal-key');
    expect(objects.map((o) => o.cls).sort()).toEqual(['private', 'public']);
  });

  it('the private key is a private, sensitive, non-extractable token object; the public key encrypts', () => {
    const token = createToken('oaep');
    openSeal(sealConfig(token, OAEP));
    closeAllSeals();
    const objects = inspectKeys(token, 'seal-key');
    const priv = objects.find((o) => o.cls === 'private');
    const pub = objects.find((o) => o.cls === 'public');
    expect(priv).toMatchObject({
      keyType: 'RSA',
      token: true,
      private: true,
      sensitive: true,
      extractable: false,
      neverExtractable: true,
      alwaysSensitive: true,
      secretRead: 'CKR_ATTRIBUTE_SENSITIVE',
    });
    expect(priv!.wrapAttempt).toMatch(/^CKR_KEY_(UNEXTRACTABLE|NOT_WRAPPABLE)$/);
    expect(pub).toMatchObject({ keyType: 'RSA', token: true, size: 2048 });
    expect(pub!.id).toBe(priv!.id);
  });

  it('rejects a blob whose wrapped key, payload or header was altered', async () => {
    const token = createToken('oaep');
    const seal = openSeal(sealConfig(token, OAEP));
    const blob = await seal.encrypt(randomBytes(32));
    const parsed = decodeBlob(blob);
    const wrappedAt = parsed.header.length - parsed.wrappedKey.length;
    for (const at of [wrappedAt + 10, parsed.header.length + 2, blob.length - 1, parsed.header.length - parsed.wrappedKey.length - 5]) {
      const bad = Buffer.from(blob);
      bad[at]! ^= 0x80;
      const err = await seal.decrypt(bad).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(Pkcs11SealError);
      expect((err as Pkcs11SealError).code).toBe('decrypt');
      expect((err as Pkcs11SealError).message).toMatch(/authentication failed/);
    }
    expect((await seal.decrypt(blob)).length).toBe(32);
  });

  it('rotating from an AES-GCM key to an OAEP pair keeps GCM blobs decryptable', async () => {
    const token = createToken('oaep');
    const gcm = openSeal(sealConfig(token, { keyLabel: 'seal-aes' }));
    const gcmBlob = await gcm.encrypt(Buffer.from('under aes'));
    closeAllSeals();

    const oaep = openSeal(sealConfig(token, { ...OAEP, keyLabel: 'seal-rsa' }));
    expect(oaep.keyInfo()).toMatchObject({ label: 'seal-rsa', mechanism: '0x0009' });
    expect((await oaep.decrypt(gcmBlob)).toString()).toBe('under aes');
    const oaepBlob = await oaep.encrypt(Buffer.from('under rsa'));
    closeAllSeals();

    // And back: a GCM-configured seal opens the OAEP blob by the pair it names.
    const back = openSeal(sealConfig(token, { keyLabel: 'seal-aes', generateKey: false }));
    expect((await back.decrypt(oaepBlob)).toString()).toBe('under rsa');
  });
});
