/**
 * JWS compact serialization: decoding, and signature verification with node:crypto for the
 * asymmetric algorithms Vault's JWT and Kubernetes methods accept (RSxxx, PSxxx, ESxxx, EdDSA). The key
 * type must fit the algorithm family, so `alg: none` and HMAC with a public key as the secret
 * (the classic confusion attack) can never verify.
 */
import { constants, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export type JwsAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

interface AlgSpec {
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  keyTypes: readonly string[];
  pss?: boolean;
  /** ECDSA curve (node's namedCurve) the key must be on. */
  curve?: string;
}

const ALGS: Record<JwsAlg, AlgSpec> = {
  RS256: { hash: 'sha256', keyTypes: ['rsa'] },
  RS384: { hash: 'sha384', keyTypes: ['rsa'] },
  RS512: { hash: 'sha512', keyTypes: ['rsa'] },
  PS256: { hash: 'sha256', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  PS384: { hash: 'sha384', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  PS512: { hash: 'sha512', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  ES256: { hash: 'sha256', keyTypes: ['ec'], curve: 'prime256v1' },
  ES384: { hash: 'sha384', keyTypes: ['ec'], curve: 'secp384r1' },
  ES512: { hash: 'sha512', keyTypes: ['ec'], curve: 'secp521r1' },
  EdDSA: { hash: null, keyTypes: ['ed25519', 'ed448'] },
};

export const ALL_ASYMMETRIC_ALGS = Object.keys(ALGS) as JwsAlg[];
export const isSupportedAlg = (alg: string): alg is JwsAlg => Object.prototype.hasOwnProperty.call(ALGS, alg);

export class JwtFormatError extends Error {
  override name = 'JwtFormatError';
}

export interface DecodedJws {
  header: Record<string, unknown> & { alg?: unknown; kid?: unknown };
  claims: Record<string, unknown>;
  signingInput: Buffer;
  signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function decodeJsonSegment(seg: string, what: string): Record<string, unknown> {
  if (!B64URL.test(seg)) throw new JwtFormatError(`malformed ${what}: not base64url`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
  } catch {
    throw new JwtFormatError(`malformed ${what}: not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new JwtFormatError(`malformed ${what}: not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Splits and decodes a compact JWS; nothing is verified. */
export function decodeJws(token: string): DecodedJws {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new JwtFormatError('compact JWS format must have three parts');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJsonSegment(h, 'header');
  const claims = decodeJsonSegment(p, 'payload');
  if (!B64URL.test(s)) throw new JwtFormatError('malformed signature: not base64url');
  return { header, claims, signingInput: Buffer.from(`${h}.${p}`, 'ascii'), signature: Buffer.from(s, 'base64url') };
}

/** The header's algorithm if it is one we verify; throws for `none`, HS*, and anything else. */
export function headerAlg(jws: DecodedJws, allowed: readonly JwsAlg[]): JwsAlg {
  const alg = jws.header.alg;
  if (typeof alg !== 'string' || alg === '' || alg.toLowerCase() === 'none') throw new JwtFormatError('token must be signed');
  if (!isSupportedAlg(alg) || !allowed.includes(alg)) throw new JwtFormatError(`unexpected signature algorithm "${alg}"`);
  if (jws.signature.length === 0) throw new JwtFormatError('token must be signed');
  return alg;
}

/** Whether `key` can carry `alg` at all (family, and curve for ECDSA). */
export function keyFitsAlg(key: KeyObject, alg: JwsAlg): boolean {
  if (key.type !== 'public') return false;
  const spec = ALGS[alg];
  const kt = key.asymmetricKeyType ?? '';
  if (!spec.keyTypes.includes(kt)) return false;
  if (spec.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== spec.curve) return false;
  return true;
}

export function verifyJwsSignature(jws: DecodedJws, alg: JwsAlg, key: KeyObject): boolean {
  if (!keyFitsAlg(key, alg)) return false;
  const spec = ALGS[alg];
  try {
    if (spec.hash === null) return cryptoVerify(null, jws.signingInput, key, jws.signature);
    if (spec.pss) {
      return cryptoVerify(spec.hash, jws.signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, jws.signature);
    }
    if (spec.curve !== undefined) return cryptoVerify(spec.hash, jws.signingInput, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    return cryptoVerify(spec.hash, jws.signingInput, key, jws.signature);
  } catch {
    return false;
  }
}

/** A PEM public key (SPKI or PKCS#1) or certificate, as Vault's jwt_validation_pubkeys/pem_keys take. */
export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.type !== 'public') throw new Error('not a public key');
  return key;
}
