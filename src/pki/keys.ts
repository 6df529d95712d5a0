/**
 * Key material: generation (EC and Ed25519 synchronously — tens of microseconds; RSA only through
 * the libuv threadpool), public-key facts (type, size, SKID) and the private-key encodings Vault
 * returns.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { bitString, children, integer, NULL, oid, readBitString, readOid, readOne, seq, TAG } from './der.js';
import { OID } from './oids.js';
import { toPem } from './pem.js';

export type KeyType = 'rsa' | 'ec' | 'ed25519';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** What a public key is, as Vault reports and checks it. */
export interface PublicKeyInfo {
  type: KeyType;
  /** RSA modulus bits, EC curve bits, 0 for Ed25519. */
  bits: number;
  /** Node's curve name for EC keys. */
  curve?: string;
}

const CURVE_BY_BITS: Readonly<Record<number, string>> = { 224: 'P-224', 256: 'P-256', 384: 'P-384', 521: 'P-521' };
const BITS_BY_CURVE: Readonly<Record<string, number>> = {
  'P-224': 224, secp224r1: 224,
  'P-256': 256, prime256v1: 256,
  'P-384': 384, secp384r1: 384,
  'P-521': 521, secp521r1: 521,
};

export const RSA_SIZES: readonly number[] = [2048, 3072, 4096, 8192];
export const EC_SIZES: readonly number[] = [224, 256, 384, 521];

export function generateEcOrEd(type: 'ec' | 'ed25519', bits: number): KeyPair {
  if (type === 'ed25519') return generateKeyPairSync('ed25519');
  const curve = CURVE_BY_BITS[bits];
  if (!curve) throw new Error(`unsupported bit length for EC key: ${bits}`);
  return generateKeyPairSync('ec', { namedCurve: curve });
}

/** RSA key generation on the threadpool (≈275 ms for 2048 bits: never on the event loop). */
export function generateRsaAsync(bits: number): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001 }, (err, publicKey, privateKey) => {
      if (err) reject(err);
      else resolve({ publicKey, privateKey });
    });
  });
}

export function publicKeyInfo(key: KeyObject): PublicKeyInfo {
  const t = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (t === 'rsa') return { type: 'rsa', bits: d.modulusLength ?? 0 };
  if (t === 'ec') {
    const curve = d.namedCurve ?? '';
    const bits = BITS_BY_CURVE[curve];
    if (bits === undefined) throw new Error(`unsupported EC curve: ${curve}`);
    return { type: 'ec', bits, curve };
  }
  if (t === 'ed25519') return { type: 'ed25519', bits: 0 };
  throw new Error(`unsupported key algorithm: ${t ?? 'unknown'}`);
}

const CURVE_OIDS: Readonly<Record<string, string>> = { 'P-224': OID.p224, 'P-256': OID.p256, 'P-384': OID.p384, 'P-521': OID.p521 };
const CURVE_BY_OID: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(CURVE_OIDS).map(([c, o]) => [o, c]));
const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');

/**
 * SubjectPublicKeyInfo DER of a public (or private) key. Built from the JWK export: OpenSSL 3's
 * DER encoder costs ~20x more than the JWK path, and this runs once per issued certificate.
 */
export function spkiDer(key: KeyObject): Buffer {
  let jwk: JsonWebKey;
  try {
    jwk = key.export({ format: 'jwk' });
  } catch {
    jwk = {}; // e.g. P-224, which Node's JWK export does not cover
  }
  switch (jwk.kty) {
    case 'EC': {
      const curve = CURVE_OIDS[jwk.crv ?? ''];
      if (!curve) break;
      const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
      return seq(seq(oid(OID.ecPublicKey), oid(curve)), bitString(point));
    }
    case 'OKP':
      if (jwk.crv === 'Ed25519') return seq(seq(oid(OID.ed25519)), bitString(b64u(jwk.x)));
      break;
    case 'RSA':
      return seq(seq(oid(OID.rsaEncryption), NULL), bitString(seq(integer(b64u(jwk.n)), integer(b64u(jwk.e)))));
    default:
      break;
  }
  return key.type === 'private' ? createPublicKey(key).export({ type: 'spki', format: 'der' }) : key.export({ type: 'spki', format: 'der' });
}

/** The subjectPublicKey BIT STRING value inside an SPKI (what SKIDs and OCSP key hashes cover). */
export function spkiKeyBits(spki: Buffer): Buffer {
  const top = children(readOne(spki, TAG.SEQUENCE));
  const bits = top[1];
  if (!bits) throw new Error('SubjectPublicKeyInfo has no key');
  return readBitString(bits).bytes;
}

/** SKID per RFC 5280 method 1 (SHA-1 of the key bits), as Go's x509 and Vault compute it. */
export function subjectKeyId(spki: Buffer): Buffer {
  return createHash('sha1').update(spkiKeyBits(spki)).digest();
}

/**
 * A KeyObject from SPKI DER. Goes through JWK when it can (half the cost of OpenSSL 3's DER
 * decoder); anything unusual (compressed points, other algorithms) takes the DER route.
 */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  try {
    const [algNode, bitsNode] = children(readOne(spki, TAG.SEQUENCE));
    if (algNode && bitsNode) {
      const [algOid, params] = children(algNode);
      const alg = readOid(algOid!);
      const bits = readBitString(bitsNode).bytes;
      if (alg === OID.ecPublicKey && params?.tag === TAG.OID) {
        const crv = CURVE_BY_OID[readOid(params)];
        if (crv && bits[0] === 4 && bits.length % 2 === 1) {
          const half = (bits.length - 1) / 2;
          return createPublicKey({
            key: { kty: 'EC', crv, x: bits.subarray(1, 1 + half).toString('base64url'), y: bits.subarray(1 + half).toString('base64url') },
            format: 'jwk',
          });
        }
      } else if (alg === OID.ed25519 && bits.length === 32) {
        return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bits.toString('base64url') }, format: 'jwk' });
      } else if (alg === OID.rsaEncryption) {
        const [n, e] = children(readOne(bits, TAG.SEQUENCE));
        if (n?.tag === TAG.INTEGER && e?.tag === TAG.INTEGER) {
          return createPublicKey({ key: { kty: 'RSA', n: stripZero(n.content).toString('base64url'), e: stripZero(e.content).toString('base64url') }, format: 'jwk' });
        }
      }
    }
  } catch {
    // fall through to OpenSSL's decoder, which reports malformed keys itself
  }
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

function stripZero(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/**
 * Encodes a private key as Vault returns it: `der` format = PKCS#1 (RSA) / SEC1 (EC) / PKCS#8
 * (Ed25519); `pkcs8` = PKCS#8 for all. PEM unless `asBase64Der`.
 */
export function encodePrivateKey(key: KeyObject, privateKeyFormat: 'der' | 'pkcs8', asBase64Der: boolean): string {
  const t = publicKeyInfo(key).type;
  let der: Buffer;
  let label: string;
  if (privateKeyFormat === 'pkcs8' || t === 'ed25519') {
    der = key.export({ type: 'pkcs8', format: 'der' });
    label = 'PRIVATE KEY';
  } else if (t === 'rsa') {
    der = key.export({ type: 'pkcs1', format: 'der' });
    label = 'RSA PRIVATE KEY';
  } else {
    der = key.export({ type: 'sec1', format: 'der' });
    label = 'EC PRIVATE KEY';
  }
  return asBase64Der ? der.toString('base64') : toPem(label, der);
}

/** PKCS#8 PEM: how keys are kept in storage. */
export const privateKeyToStoragePem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Parses one private key block (PKCS#1, SEC1 or PKCS#8; PEM label decides). */
export function parsePrivateKeyDer(label: string, der: Buffer): KeyObject {
  if (label === 'RSA PRIVATE KEY') return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  if (label === 'EC PRIVATE KEY') return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Do a private and a public key belong together? Compares their SPKI encodings. */
export function keysMatch(privateKey: KeyObject, publicSpki: Buffer): boolean {
  return spkiDer(createPublicKey(privateKey)).equals(publicSpki);
}

/** Normalises role/request key sizes: 0 → 2048 for RSA, 256 for EC (Vault's defaults). */
export function defaultKeyBits(type: string, bits: number): number {
  if (bits !== 0) return bits;
  if (type === 'rsa') return 2048;
  if (type === 'ec') return 256;
  return 0;
}

/** certutil.ValidateKeyTypeLength, with Vault's messages. Returns an error text or undefined. */
export function validateKeyTypeLength(type: string, bits: number): string | undefined {
  switch (type) {
    case 'rsa':
      if (bits < 2048) return `RSA keys < 2048 bits are unsafe and not supported: got ${bits}`;
      if (!RSA_SIZES.includes(bits)) return `unsupported bit length for RSA key: ${bits}`;
      return undefined;
    case 'ec':
      return EC_SIZES.includes(bits) ? undefined : `unsupported bit length for EC key: ${bits}`;
    case 'any':
    case 'ed25519':
      return undefined;
    default:
      return `unknown key type ${type}`;
  }
}
