/**
 * Signature algorithms: the AlgorithmIdentifier DER we write, the one-call synchronous
 * `crypto.sign` that produces the signature, and verification of signatures we read (CSRs).
 */
import { constants, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { children, DerError, explicit, integer, NULL, oid, readNode, readOid, readSmallInt, seq, TAG, type Node } from './der.js';
import { publicKeyInfo } from './keys.js';
import { OID } from './oids.js';

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface SignatureAlgorithm {
  /** Go's name, e.g. `SHA256WithRSA`, `ECDSAWithSHA384`, `PureEd25519`. */
  name: string;
  /** Encoded AlgorithmIdentifier. */
  algId: Buffer;
  hash: HashName | null;
  pss: boolean;
}

const HASH_OID: Record<HashName, string> = { sha1: OID.sha1, sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 };
const HASH_LEN: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
const hashBitsName = (bits: number): HashName => (bits === 384 ? 'sha384' : bits === 512 ? 'sha512' : 'sha256');

function pssParams(hash: HashName): Buffer {
  const hashAlg = seq(oid(HASH_OID[hash]), NULL);
  return seq(explicit(0, hashAlg), explicit(1, seq(oid(OID.mgf1), hashAlg)), explicit(2, integer(HASH_LEN[hash])));
}

const cache = new Map<string, SignatureAlgorithm>();

function make(name: string, build: () => Omit<SignatureAlgorithm, 'name'>): SignatureAlgorithm {
  let a = cache.get(name);
  if (!a) {
    a = { name, ...build() };
    cache.set(name, a);
  }
  return a;
}

export function rsaAlgorithm(signatureBits: number, usePss: boolean): SignatureAlgorithm {
  const hash = hashBitsName(signatureBits);
  const bits = hash.slice(3);
  if (usePss) {
    return make(`SHA${bits}WithRSAPSS`, () => ({ algId: seq(oid(OID.rsaPss), pssParams(hash)), hash, pss: true }));
  }
  const o = hash === 'sha384' ? OID.sha384WithRSA : hash === 'sha512' ? OID.sha512WithRSA : OID.sha256WithRSA;
  return make(`SHA${bits}WithRSA`, () => ({ algId: seq(oid(o), NULL), hash, pss: false }));
}

/** EC signers always use the curve-matched hash (Vault's selectSignatureAlgorithmForECDSA). */
export function ecAlgorithm(curveBits: number): SignatureAlgorithm {
  const hash: HashName = curveBits === 384 ? 'sha384' : curveBits === 521 ? 'sha512' : 'sha256';
  const o = hash === 'sha384' ? OID.ecdsaWithSHA384 : hash === 'sha512' ? OID.ecdsaWithSHA512 : OID.ecdsaWithSHA256;
  return make(`ECDSAWith${hash.toUpperCase()}`, () => ({ algId: seq(oid(o)), hash, pss: false }));
}

export const ed25519Algorithm = (): SignatureAlgorithm =>
  make('PureEd25519', () => ({ algId: seq(oid(OID.ed25519)), hash: null, pss: false }));

/** The algorithm a key signs with, given Vault's RSA knobs (ignored for EC / Ed25519). */
export function algorithmForKey(key: KeyObject, signatureBits = 0, usePss = false): SignatureAlgorithm {
  const info = publicKeyInfo(key);
  if (info.type === 'rsa') return rsaAlgorithm(signatureBits, usePss);
  if (info.type === 'ec') return ecAlgorithm(info.bits);
  return ed25519Algorithm();
}

/** One synchronous signature over `data`. */
export function signWith(alg: SignatureAlgorithm, key: KeyObject, data: Buffer): Buffer {
  if (alg.pss) {
    return cryptoSign(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[alg.hash!] });
  }
  return cryptoSign(alg.hash, data, key);
}

/** Resolves a signatureAlgorithm AlgorithmIdentifier we read (CSR, imported cert) for verification. */
export function describeAlgId(algId: Node): { hash: HashName | null; pss?: { saltLength: number }; family: 'rsa' | 'ecdsa' | 'ed25519' } {
  const parts = children(algId);
  const o = readOid(parts[0] ?? (() => { throw new DerError('empty AlgorithmIdentifier'); })());
  switch (o) {
    case OID.sha1WithRSA: return { hash: 'sha1', family: 'rsa' };
    case OID.sha256WithRSA: return { hash: 'sha256', family: 'rsa' };
    case OID.sha384WithRSA: return { hash: 'sha384', family: 'rsa' };
    case OID.sha512WithRSA: return { hash: 'sha512', family: 'rsa' };
    case OID.ecdsaWithSHA1: return { hash: 'sha1', family: 'ecdsa' };
    case OID.ecdsaWithSHA256: return { hash: 'sha256', family: 'ecdsa' };
    case OID.ecdsaWithSHA384: return { hash: 'sha384', family: 'ecdsa' };
    case OID.ecdsaWithSHA512: return { hash: 'sha512', family: 'ecdsa' };
    case OID.ed25519: return { hash: null, family: 'ed25519' };
    case OID.rsaPss: {
      // RSASSA-PSS-params: [0] hash, [1] mgf, [2] saltLength — defaults are SHA-1 / 20.
      let hash: HashName = 'sha1';
      let saltLength = 20;
      const params = parts[1];
      if (params && params.tag === TAG.SEQUENCE) {
        for (const p of children(params)) {
          if (p.tag === 0xa0) {
            const h = readOid(readNode(readNode(p.content).content));
            const found = (Object.keys(HASH_OID) as HashName[]).find((k) => HASH_OID[k] === h);
            if (!found) throw new DerError(`unsupported PSS hash ${h}`);
            hash = found;
          } else if (p.tag === 0xa2) saltLength = readSmallInt(readNode(p.content));
        }
      }
      return { hash, pss: { saltLength }, family: 'rsa' };
    }
    default:
      throw new DerError(`unsupported signature algorithm ${o}`);
  }
}

/** Verifies `signature` over `data` with `publicKey`, per the AlgorithmIdentifier read. */
export function verifyWith(algId: Node, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  const d = describeAlgId(algId);
  const keyType = publicKey.asymmetricKeyType;
  const expected = d.family === 'ecdsa' ? 'ec' : d.family;
  if (keyType !== expected) return false;
  try {
    if (d.pss) {
      return cryptoVerify(d.hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: d.pss.saltLength }, signature);
    }
    return cryptoVerify(d.hash, data, publicKey, signature);
  } catch {
    return false;
  }
}
