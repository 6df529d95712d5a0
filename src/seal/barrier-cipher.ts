/**
 * The barrier's on-disk entry format, Vault's AESGCMVersion2:
 *
 *   [term u32 BE][version 0x02][nonce 12][ciphertext][GCM tag 16]
 *
 * AES-256-GCM with a random 96-bit nonce per entry and the storage path as additional data, so
 * a ciphertext copied to another path fails to authenticate. The term names the keyring key
 * that sealed it, so entries written before a rotation still open afterwards.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BarrierError } from './barrier-errors.js';

export const ENTRY_VERSION = 2;
const TERM_SIZE = 4;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const HEADER_SIZE = TERM_SIZE + 1 + NONCE_SIZE;
export const ENTRY_OVERHEAD = HEADER_SIZE + TAG_SIZE;
export const KEY_SIZE = 32;

export function encryptEntry(term: number, key: Buffer, path: string, plaintext: Buffer): Buffer {
  if (!Number.isInteger(term) || term < 0 || term > 0xffffffff) throw new RangeError(`barrier term out of range: ${term}`);
  if (key.length !== KEY_SIZE) throw new RangeError(`barrier key must be ${KEY_SIZE} bytes`);
  const out = Buffer.allocUnsafe(ENTRY_OVERHEAD + plaintext.length);
  out.writeUInt32BE(term, 0);
  out[TERM_SIZE] = ENTRY_VERSION;
  const nonce = randomBytes(NONCE_SIZE);
  nonce.copy(out, TERM_SIZE + 1);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(path, 'utf8'));
  let off = HEADER_SIZE;
  off += cipher.update(plaintext).copy(out, off);
  off += cipher.final().copy(out, off);
  cipher.getAuthTag().copy(out, off);
  return out;
}

/** The term an entry was sealed under; throws on a blob too short to be an entry. */
export function entryTerm(path: string, blob: Buffer): number {
  if (blob.length < ENTRY_OVERHEAD) throw new BarrierError(`invalid ciphertext at "${path}": too short`);
  return blob.readUInt32BE(0);
}

export function decryptEntry(key: Buffer, path: string, blob: Buffer): Buffer {
  entryTerm(path, blob);
  const version = blob[TERM_SIZE];
  if (version !== ENTRY_VERSION) throw new BarrierError(`invalid ciphertext at "${path}": unsupported version ${version}`);
  const nonce = blob.subarray(TERM_SIZE + 1, HEADER_SIZE);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(path, 'utf8'));
  decipher.setAuthTag(blob.subarray(blob.length - TAG_SIZE));
  try {
    return Buffer.concat([decipher.update(blob.subarray(HEADER_SIZE, blob.length - TAG_SIZE)), decipher.final()]);
  } catch {
    throw new BarrierError(`failed to decrypt "${path}": cipher: message authentication failed`);
  }
}
