/**
 * Assembles a TBSCertificate from prepared DER pieces and signs it with one synchronous
 * `crypto.sign`. The caller supplies the issuer's Name and AlgorithmIdentifier DER (computed once
 * per issuer), the subject Name and SPKI (the SPKI copied verbatim from a CSR, or exported from a
 * fresh key) and the extensions, already encoded.
 */
import type { KeyObject } from 'node:crypto';
import { bitString, explicit, integer, seq, seqOf, time } from './der.js';
import { signWith, type SignatureAlgorithm } from './signing.js';

export interface Signer {
  /** The issuer Name DER that goes into `issuer` (the signing certificate's subject). */
  nameDer: Buffer;
  key: KeyObject;
  alg: SignatureAlgorithm;
}

export interface CertificateTemplate {
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectDer: Buffer;
  spkiDer: Buffer;
  extensions: readonly Buffer[];
}

const VERSION_3 = explicit(0, integer(2));

export function buildTbs(signer: Signer, t: CertificateTemplate): Buffer {
  const parts = [
    VERSION_3,
    integer(t.serial),
    signer.alg.algId,
    signer.nameDer,
    seq(time(t.notBefore), time(t.notAfter)),
    t.subjectDer,
    t.spkiDer,
  ];
  if (t.extensions.length > 0) parts.push(explicit(3, seqOf(t.extensions)));
  return seqOf(parts);
}

/** Signs any to-be-signed structure and wraps it: SEQUENCE { tbs, algId, BIT STRING sig }. */
export function signStructure(signer: Pick<Signer, 'key' | 'alg'>, tbs: Buffer): Buffer {
  const sig = signWith(signer.alg, signer.key, tbs);
  return seq(tbs, signer.alg.algId, bitString(sig));
}

export function buildCertificate(signer: Signer, t: CertificateTemplate): Buffer {
  return signStructure(signer, buildTbs(signer, t));
}
