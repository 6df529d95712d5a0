/**
 * PKCS#10 certificate requests: parsing (subject, key, SANs and other extensions from the
 * extensionRequest attribute), signature verification, and building the CSRs of
 * `intermediate/generate`.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { children, expectTag, implicitCons, integer, oid, readBitString, readOid, readOne, seq, seqOf, setOf, TAG, type Node } from './der.js';
import { signStructure } from './cert-builder.js';
import { emptySans, parseBasicConstraints, parseGeneralNames, readExtensions, type ParsedSans, type RawExtension } from './cert-parse.js';
import { basicConstraintsExt } from './extensions.js';
import { publicKeyFromSpki, publicKeyImportInput, spkiDer, spkiKeyInfo, type PublicKeyInfo } from './keys.js';
import { nameField, readNameAttributes, type NameAttribute } from './name.js';
import { OID } from './oids.js';
import { algorithmForKey, verifyParams, verifySignature } from './signing.js';
import type { VerifyJob } from './verify-pool.js';

export interface ParsedCsr {
  der: Buffer;
  criDer: Buffer;
  subjectDer: Buffer;
  subject: NameAttribute[];
  commonName: string;
  serialNumber: string;
  spkiDer: Buffer;
  /**
   * Read from the SPKI's DER, not by importing the key (the import is the costly half of a
   * signature check, done where the check runs). Undefined when the key algorithm or curve is
   * unknown to us (e.g. an rsaPSS SPKI).
   */
  keyInfo: PublicKeyInfo | undefined;
  extensions: RawExtension[];
  sans: ParsedSans;
  /** BasicConstraints requested in the CSR, if any. */
  basicConstraints: { isCa: boolean; maxPathLen: number } | undefined;
  signatureAlgorithm: Node;
  signature: Buffer;
}

/** Parses the DER of a CSR. Throws DerError / Error with a reason on malformed input. */
export function parseCsr(der: Buffer): ParsedCsr {
  const top = children(readOne(der, TAG.SEQUENCE));
  const cri = expectTag(top[0], TAG.SEQUENCE, 'certificationRequestInfo');
  const sigAlg = expectTag(top[1], TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = readBitString(expectTag(top[2], TAG.BIT_STRING, 'signature')).bytes;
  const f = children(cri);
  expectTag(f[0], TAG.INTEGER, 'version');
  const subject = expectTag(f[1], TAG.SEQUENCE, 'subject');
  const spki = expectTag(f[2], TAG.SEQUENCE, 'subjectPKInfo');
  let extensions: RawExtension[] = [];
  const attrs = f[3];
  if (attrs && attrs.tag === 0xa0) {
    for (const attr of children(attrs)) {
      const [t, values] = children(attr);
      if (!t || readOid(t) !== OID.extensionRequest || !values) continue;
      for (const v of children(values)) extensions = extensions.concat(readExtensions(expectTag(v, TAG.SEQUENCE, 'extensionRequest')));
    }
  }
  const subjectAttrs = readNameAttributes(subject);
  const sans = emptySans();
  let basicConstraints: ParsedCsr['basicConstraints'];
  for (const e of extensions) {
    if (e.oid === OID.subjectAltName) parseGeneralNames(e.value, sans);
    else if (e.oid === OID.basicConstraints) basicConstraints = parseBasicConstraints(e.value);
  }
  return {
    der,
    criDer: cri.raw,
    subjectDer: subject.raw,
    subject: subjectAttrs,
    commonName: nameField(subjectAttrs, OID.commonName),
    serialNumber: nameField(subjectAttrs, OID.serialNumber),
    spkiDer: spki.raw,
    keyInfo: spkiKeyInfo(spki.raw),
    extensions,
    sans,
    basicConstraints,
    signatureAlgorithm: sigAlg,
    signature,
  };
}

/**
 * What checking the CSR's self-signature takes, as a cloneable job (for a worker thread); undefined
 * when it cannot verify (unknown key, or an algorithm that does not match the key type).
 */
export function csrVerifyJob(csr: ParsedCsr): VerifyJob | undefined {
  if (!csr.keyInfo) return undefined;
  let params;
  try {
    params = verifyParams(csr.signatureAlgorithm, csr.keyInfo.type);
  } catch {
    return undefined; // an algorithm we do not know
  }
  if (!params) return undefined;
  return { key: publicKeyImportInput(csr.spkiDer), params, data: csr.criDer, signature: csr.signature };
}

/** Checks the CSR's self-signature on this thread (import + verify). */
export function verifyCsrSignature(csr: ParsedCsr): boolean {
  const job = csrVerifyJob(csr);
  if (!job) return false;
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(csr.spkiDer);
  } catch {
    return false;
  }
  return verifySignature(job.params, key, job.data, job.signature);
}

export interface CsrRequest {
  subjectDer: Buffer;
  key: KeyObject;
  /** Encoded Extension DERs for the extensionRequest attribute. */
  extensions: Buffer[];
  signatureBits?: number;
}

/** Builds and signs a CSR. With `addBasicConstraints`, the caller passes a CA:true BC extension. */
export function buildCsr(r: CsrRequest): Buffer {
  const spki = spkiDer(createPublicKey(r.key));
  const attributes = r.extensions.length
    ? implicitCons(0, [seq(oid(OID.extensionRequest), setOf([seqOf(r.extensions)]))])
    : implicitCons(0, []);
  const cri = seq(integer(0), r.subjectDer, spki, attributes);
  return signStructure({ key: r.key, alg: algorithmForKey(r.key, r.signatureBits ?? 0, false) }, cri);
}

export const caBasicConstraintsForCsr = (): Buffer => basicConstraintsExt(true, -1);
