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
import { publicKeyFromSpki, publicKeyInfo, spkiDer, type PublicKeyInfo } from './keys.js';
import { nameField, readNameAttributes, type NameAttribute } from './name.js';
import { OID } from './oids.js';
import { algorithmForKey, verifyWith } from './signing.js';

export interface ParsedCsr {
  der: Buffer;
  criDer: Buffer;
  subjectDer: Buffer;
  subject: NameAttribute[];
  commonName: string;
  serialNumber: string;
  spkiDer: Buffer;
  /** Undefined when the key algorithm is unknown to us (e.g. rsaPSS SPKI). */
  publicKey: KeyObject | undefined;
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
  let publicKey: KeyObject | undefined;
  let keyInfo: PublicKeyInfo | undefined;
  try {
    publicKey = publicKeyFromSpki(spki.raw);
    keyInfo = publicKeyInfo(publicKey);
  } catch {
    publicKey = undefined;
    keyInfo = undefined;
  }
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
    publicKey,
    keyInfo,
    extensions,
    sans,
    basicConstraints,
    signatureAlgorithm: sigAlg,
    signature,
  };
}

export function verifyCsrSignature(csr: ParsedCsr): boolean {
  if (!csr.publicKey) return false;
  try {
    return verifyWith(csr.signatureAlgorithm, csr.publicKey, csr.criDer, csr.signature);
  } catch {
    return false;
  }
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
