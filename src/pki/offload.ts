/**
 * Where the issuance hot path runs its crypto. Every mode gives the same certificates; they differ
 * in which threads do the work:
 *   - `inline`: everything on the event loop (one core does it all);
 *   - `threadpool`: signatures, signature checks and EC/Ed25519 key generation on the libuv
 *     threadpool; the CSR key import stays on the event loop (Node parses keys on the calling
 *     thread);
 *   - `workers` (default): as `threadpool`, and CSR checks (import + verify) on worker threads.
 * A mount picks one with the `crypto_offload` option (for measurements; the default is fastest).
 */
import { verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { signStructure, type Signer } from './cert-builder.js';
import { csrVerifyJob, verifyCsrSignature, type ParsedCsr } from './csr.js';
import { bitString, seq } from './der.js';
import { generateEcOrEd, generateEcOrEdAsync, publicKeyFromSpki, type KeyPair } from './keys.js';
import { signWithAsync } from './signing.js';
import { sharedVerifyPool, type VerifyPool } from './verify-pool.js';

export const CRYPTO_OFFLOADS = ['inline', 'threadpool', 'workers'] as const;
export type CryptoOffload = (typeof CRYPTO_OFFLOADS)[number];
export const DEFAULT_CRYPTO_OFFLOAD: CryptoOffload = 'workers';

export const isCryptoOffload = (s: string): s is CryptoOffload => (CRYPTO_OFFLOADS as readonly string[]).includes(s);

/** Checks a CSR's self-signature per `mode`. */
export async function checkCsrSignature(csr: ParsedCsr, mode: CryptoOffload, pool: () => VerifyPool = sharedVerifyPool): Promise<boolean> {
  if (mode === 'inline') return verifyCsrSignature(csr);
  const job = csrVerifyJob(csr);
  if (!job) return false;
  if (mode === 'workers') return pool().verify(job);
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(csr.spkiDer);
  } catch {
    return false;
  }
  const p = job.params;
  const keyInput = p.pssSaltLength !== undefined ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.pssSaltLength } : key;
  return new Promise((resolve) => {
    try {
      cryptoVerify(p.hash, job.data, keyInput, job.signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/** SEQUENCE { tbs, algId, BIT STRING signature }, signed per `mode`. */
export async function signStructureOffloaded(mode: CryptoOffload, signer: Pick<Signer, 'key' | 'alg'>, tbs: Buffer): Promise<Buffer> {
  if (mode === 'inline') return signStructure(signer, tbs);
  const sig = await signWithAsync(signer.alg, signer.key, tbs);
  return seq(tbs, signer.alg.algId, bitString(sig));
}

/** A fresh EC or Ed25519 key pair per `mode` (RSA comes from the key pool, always off the loop). */
export function generateEcOrEdOffloaded(mode: CryptoOffload, type: 'ec' | 'ed25519', bits: number): Promise<KeyPair> {
  if (mode === 'inline') {
    try {
      return Promise.resolve(generateEcOrEd(type, bits));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }
  return generateEcOrEdAsync(type, bits);
}
