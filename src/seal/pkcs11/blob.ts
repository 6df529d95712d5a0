/**
 * The seal's ciphertext format. Self-describing, so a blob names the key that can open it and
 * keeps opening after the config moves to a new key or mechanism:
 *
 *   "CP11" | version u8 | mechanism u32 BE | oaepHash u8 | labelLen u8 | label (UTF-8)
 *   | idLen u8 | id (CKA_ID) | ivLen u8 | iv | wrappedLen u16 BE | wrapped data key | ciphertext+tag
 *
 * Everything before the ciphertext is the header and is the GCM additional data, so any change to
 * it (another key label, IV, wrapped key) fails authentication. For CKM_AES_GCM the token encrypts
 * and `wrapped` is empty; for CKM_RSA_PKCS_OAEP the token wraps a fresh AES-256 data key
 * (`wrapped`) and the plaintext is AES-256-GCM encrypted in process (envelope encryption).
 */
import { CKM_AES_GCM, CKM_RSA_PKCS_OAEP, MAX_KEY_ID_BYTES, MAX_LABEL_BYTES, type SealMechanism } from './config.js';
import { Pkcs11SealError } from './errors.js';

export const BLOB_MAGIC = Buffer.from('CP11', 'ascii');
export const BLOB_VERSION = 1;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const MAX_WRAPPED_BYTES = 0xffff;

/** OAEP digest (hash and MGF1) recorded in the blob; 0 for GCM blobs. */
export const OAEP_NONE = 0;
export const OAEP_SHA1 = 1;
export const OAEP_SHA256 = 2;
export type OaepHash = typeof OAEP_SHA1 | typeof OAEP_SHA256;

export interface BlobHeader {
  mechanism: SealMechanism;
  oaepHash: number;
  keyLabel: string;
  keyId: Buffer;
  iv: Buffer;
  wrappedKey: Buffer;
}

export interface DecodedBlob extends BlobHeader {
  /** The exact header bytes: the additional authenticated data. */
  header: Buffer;
  ciphertext: Buffer;
}

export function encodeHeader(h: BlobHeader): Buffer {
  const label = Buffer.from(h.keyLabel, 'utf8');
  if (label.length === 0 || label.length > MAX_LABEL_BYTES) throw new RangeError(`key label must be 1..${MAX_LABEL_BYTES} bytes`);
  if (h.keyId.length > MAX_KEY_ID_BYTES) throw new RangeError(`key id must be at most ${MAX_KEY_ID_BYTES} bytes`);
  if (h.iv.length !== GCM_IV_BYTES) throw new RangeError(`iv must be ${GCM_IV_BYTES} bytes`);
  if (h.wrappedKey.length > MAX_WRAPPED_BYTES) throw new RangeError('wrapped key too long');
  if ((h.mechanism === CKM_RSA_PKCS_OAEP) !== (h.wrappedKey.length > 0)) throw new RangeError('only OAEP blobs carry a wrapped key');
  const fixed = Buffer.alloc(BLOB_MAGIC.length + 1 + 4 + 1);
  BLOB_MAGIC.copy(fixed, 0);
  fixed[4] = BLOB_VERSION;
  fixed.writeUInt32BE(h.mechanism, 5);
  fixed[9] = h.oaepHash;
  const wrappedLen = Buffer.alloc(2);
  wrappedLen.writeUInt16BE(h.wrappedKey.length, 0);
  return Buffer.concat([
    fixed,
    Buffer.from([label.length]), label,
    Buffer.from([h.keyId.length]), h.keyId,
    Buffer.from([h.iv.length]), h.iv,
    wrappedLen, h.wrappedKey,
  ]);
}

function malformed(why: string): Pkcs11SealError {
  return new Pkcs11SealError('decrypt', `pkcs11 seal: authentication failed: malformed blob (${why})`);
}

/** Parses a blob; any structural problem is a 'decrypt' error, like a failed tag check. */
export function decodeBlob(blob: Buffer): DecodedBlob {
  let off = 0;
  const take = (n: number, what: string): Buffer => {
    if (off + n > blob.length) throw malformed(`truncated in ${what}`);
    const part = blob.subarray(off, off + n);
    off += n;
    return part;
  };
  if (!take(BLOB_MAGIC.length, 'magic').equals(BLOB_MAGIC)) throw malformed('not a pkcs11 seal blob');
  const version = take(1, 'version')[0];
  if (version !== BLOB_VERSION) throw malformed(`unsupported format version ${version}`);
  const mechanism = take(4, 'mechanism').readUInt32BE(0);
  if (mechanism !== CKM_AES_GCM && mechanism !== CKM_RSA_PKCS_OAEP) throw malformed(`unknown mechanism 0x${mechanism.toString(16)}`);
  const oaepHash = take(1, 'oaep hash')[0]!;
  const expectHash = mechanism === CKM_RSA_PKCS_OAEP ? oaepHash === OAEP_SHA1 || oaepHash === OAEP_SHA256 : oaepHash === OAEP_NONE;
  if (!expectHash) throw malformed(`bad OAEP hash ${oaepHash}`);
  const keyLabel = take(take(1, 'label length')[0]!, 'label');
  if (keyLabel.length === 0) throw malformed('empty key label');
  const keyId = take(take(1, 'id length')[0]!, 'key id');
  const iv = take(take(1, 'iv length')[0]!, 'iv');
  if (iv.length !== GCM_IV_BYTES) throw malformed(`iv is ${iv.length} bytes`);
  const wrappedKey = take(take(2, 'wrapped key length').readUInt16BE(0), 'wrapped key');
  if ((mechanism === CKM_RSA_PKCS_OAEP) !== (wrappedKey.length > 0)) throw malformed('wrapped key does not match mechanism');
  const header = blob.subarray(0, off);
  const ciphertext = blob.subarray(off);
  if (ciphertext.length < GCM_TAG_BYTES) throw malformed('ciphertext shorter than the GCM tag');
  return {
    mechanism,
    oaepHash,
    keyLabel: keyLabel.toString('utf8'),
    keyId: Buffer.from(keyId),
    iv: Buffer.from(iv),
    wrappedKey: Buffer.from(wrappedKey),
    header: Buffer.from(header),
    ciphertext: Buffer.from(ciphertext),
  };
}
