import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM wrap of a small secret (the root key) under a key-encryption key, bound to `aad`. */
export function wrapKey(kek: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), nonce, ct, cipher.getAuthTag()]);
}

/** Throws when the KEK is wrong or the blob was tampered with. */
export function unwrapKey(kek: Buffer, blob: Buffer, aad: string): Buffer {
  if (blob.length < 1 + 12 + 16 || blob[0] !== 1) throw new Error('wrapped key has an unknown format');
  const nonce = blob.subarray(1, 13);
  const tag = blob.subarray(blob.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', kek, nonce);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(blob.subarray(13, blob.length - 16)), decipher.final()]);
}
