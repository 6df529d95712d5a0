import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBlob, encodeHeader, OAEP_NONE, OAEP_SHA1, type BlobHeader } from '../../../src/seal/pkcs11/blob.js';
import { parseKeyId, parseMechanism, parseSlot, resolveConfig } from '../../../src/seal/pkcs11/config.js';
import { Pkcs11SealError } from '../../../src/seal/pkcs11/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof Pkcs11SealError ? err.code : `not a Pkcs11SealError: ${String(err)}`;
  }
  return undefined;
}

describe('pkcs11 seal config', () => {
  it('parses mechanisms the way Vault/OpenBao configs spell them', () => {
    for (const spelling of ['0x1087', '0X1087', '4231', 'CKM_AES_GCM', 'aes_gcm']) expect(parseMechanism(spelling)).toBe(0x1087);
    for (const spelling of ['0x0009', '0x9', '9', 'CKM_RSA_PKCS_OAEP', 'RSA_PKCS_OAEP']) expect(parseMechanism(spelling)).toBe(0x0009);
    for (const refused of ['0x1085', '0x1082', '0x0001', 'CKM_AES_CBC_PAD', '0x1234', 'sha256', '']) expect(codeOf(() => parseMechanism(refused))).toBe('mechanism');
  });

  it('parses slot IDs in decimal or hex, and CKA_IDs in hex', () => {
    expect(parseSlot('584055234')).toBe(584055234n);
    expect(parseSlot('0x22cff9c2')).toBe(0x22cff9c2n);
    expect(parseSlot('18446744073709551615')).toBe(0xffff_ffff_ffff_ffffn);
    for (const bad of ['-1', 'one', '18446744073709551616', '0x']) expect(codeOf(() => parseSlot(bad))).toBe('config');
    expect(parseKeyId('0x0a0B').toString('hex')).toBe('0a0b');
    expect(parseKeyId('c0ffee').toString('hex')).toBe('c0ffee');
    for (const bad of ['abc', '0xzz', '0x']) expect(codeOf(() => parseKeyId(bad))).toBe('config');
  });

  it('resolves defaults and refuses incomplete stanzas', () => {
    const base = { lib: '/x.so', tokenLabel: 't', pin: 'p', keyLabel: 'k' };
    expect(resolveConfig(base)).toMatchObject({ mechanism: 0x1087, generateKey: false, slot: undefined, keyId: undefined });
    expect(codeOf(() => resolveConfig({ ...base, lib: '' }))).toBe('config');
    expect(codeOf(() => resolveConfig({ ...base, keyLabel: '' }))).toBe('config');
    expect(codeOf(() => resolveConfig({ ...base, tokenLabel: undefined }))).toBe('config');
    expect(codeOf(() => resolveConfig({ ...base, tokenLabel: 'x'.repeat(33) }))).toBe('config');
    expect(codeOf(() => resolveConfig({ ...base, keyLabel: 'k'.repeat(256) }))).toBe('config');
    expect(codeOf(() => resolveConfig({ ...base, generateKey: 'true' as unknown as boolean }))).toBe('config');
    // hmac_key_label is accepted for Vault config compatibility (only CBC would use it).
    expect(codeOf(() => resolveConfig({ ...base, hmacKeyLabel: 'hmac' }))).toBeUndefined();
  });
});

describe('pkcs11 seal blob format', () => {
  const gcm: BlobHeader = { mechanism: 0x1087, oaepHash: OAEP_NONE, keyLabel: 'seal-ключ', keyId: Buffer.from('0102', 'hex'), iv: randomBytes(12), wrappedKey: Buffer.alloc(0) };
  const oaep: BlobHeader = { mechanism: 0x0009, oaepHash: OAEP_SHA1, keyLabel: 'rsa', keyId: Buffer.alloc(0), iv: randomBytes(12), wrappedKey: randomBytes(256) };

  it('round-trips headers and splits header from ciphertext', () => {
    for (const h of [gcm, oaep]) {
      const header = encodeHeader(h);
      const ct = randomBytes(48);
      const decoded = decodeBlob(Buffer.concat([header, ct]));
      expect(decoded).toMatchObject({ mechanism: h.mechanism, oaepHash: h.oaepHash, keyLabel: h.keyLabel });
      expect(decoded.keyId.equals(h.keyId)).toBe(true);
      expect(decoded.iv.equals(h.iv)).toBe(true);
      expect(decoded.wrappedKey.equals(h.wrappedKey)).toBe(true);
      expect(decoded.header.equals(header)).toBe(true);
      expect(decoded.ciphertext.equals(ct)).toBe(true);
    }
  });

  it('rejects every truncation and foreign data as an authentication failure', () => {
    const blob = Buffer.concat([encodeHeader(oaep), randomBytes(16)]);
    for (let len = 0; len < blob.length; len++) {
      expect(codeOf(() => decodeBlob(blob.subarray(0, len))), `length ${len}`).toBe('decrypt');
    }
    const wrongVersion = Buffer.from(blob);
    wrongVersion[4] = 9;
    const wrongMech = Buffer.from(blob);
    wrongMech.writeUInt32BE(0x1085, 5);
    const wrongHash = Buffer.from(blob);
    wrongHash[9] = 7;
    for (const bad of [wrongVersion, wrongMech, wrongHash, randomBytes(100)]) expect(codeOf(() => decodeBlob(bad))).toBe('decrypt');
  });

  it('refuses inconsistent headers at encode time (programming errors)', () => {
    expect(() => encodeHeader({ ...gcm, wrappedKey: randomBytes(8) })).toThrow(RangeError);
    expect(() => encodeHeader({ ...oaep, wrappedKey: Buffer.alloc(0) })).toThrow(RangeError);
    expect(() => encodeHeader({ ...gcm, iv: randomBytes(16) })).toThrow(RangeError);
    expect(() => encodeHeader({ ...gcm, keyLabel: '' })).toThrow(RangeError);
  });
});
