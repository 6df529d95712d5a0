/**
 * Reads X.509 certificates with our DER reader: the fields the engine needs (serial, names,
 * validity, key, CA-ness, key identifiers, SANs) without a general-purpose ASN.1 library.
 */
import { createPublicKey } from 'node:crypto';
import {
  children, DerError, expectTag, readBitString, readBool, readNode, readOid, readOne, readSmallInt, readTime,
  readUnsignedInt, TAG, type Node,
} from './der.js';
import { subjectKeyId } from './keys.js';
import { nameField, readNameAttributes, type NameAttribute } from './name.js';
import { OID } from './oids.js';
import { ipBytesToString } from './extensions.js';
import { verifyWith } from './signing.js';

export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
  /** The whole Extension DER, for copying verbatim. */
  raw: Buffer;
}

export interface ParsedSans {
  dns: string[];
  email: string[];
  ip: string[];
  ipBytes: Buffer[];
  uri: string[];
  other: Array<{ oid: string; value: string }>;
}

export interface ParsedCertificate {
  der: Buffer;
  tbs: Buffer;
  serial: Buffer;
  signatureAlgorithm: Node;
  signature: Buffer;
  issuerDer: Buffer;
  subjectDer: Buffer;
  subject: NameAttribute[];
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  extensions: RawExtension[];
  /** BasicConstraints present and valid. */
  basicConstraintsValid: boolean;
  isCa: boolean;
  /** -1 = no pathLenConstraint. */
  maxPathLen: number;
  subjectKeyId: Buffer | undefined;
  authorityKeyId: Buffer | undefined;
  /** KeyUsage bitmask (bit i = RFC 5280 bit i); undefined when the extension is absent. */
  keyUsage: number | undefined;
  sans: ParsedSans;
}

export function readExtensions(seqNode: Node): RawExtension[] {
  return children(seqNode).map((e) => {
    const parts = children(e);
    const o = readOid(expectTag(parts[0], TAG.OID, 'extension id'));
    let critical = false;
    let valueNode = parts[1];
    if (valueNode?.tag === TAG.BOOLEAN) {
      critical = readBool(valueNode);
      valueNode = parts[2];
    }
    return { oid: o, critical, value: expectTag(valueNode, TAG.OCTET_STRING, 'extension value').content, raw: e.raw };
  });
}

export function parseBasicConstraints(value: Buffer): { isCa: boolean; maxPathLen: number } {
  const parts = children(readOne(value, TAG.SEQUENCE));
  let isCa = false;
  let maxPathLen = -1;
  for (const p of parts) {
    if (p.tag === TAG.BOOLEAN) isCa = readBool(p);
    else if (p.tag === TAG.INTEGER) maxPathLen = readSmallInt(p);
  }
  return { isCa, maxPathLen };
}

export function parseKeyUsage(value: Buffer): number {
  const { bytes } = readBitString(readOne(value, TAG.BIT_STRING));
  let mask = 0;
  for (let i = 0; i < Math.min(bytes.length * 8, 9); i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) mask |= 1 << i;
  return mask;
}

export function emptySans(): ParsedSans {
  return { dns: [], email: [], ip: [], ipBytes: [], uri: [], other: [] };
}

/** GeneralNames → SAN lists; other names must carry a UTF8String (as Vault requires). */
export function parseGeneralNames(value: Buffer, into: ParsedSans = emptySans()): ParsedSans {
  for (const gn of children(readOne(value, TAG.SEQUENCE))) {
    switch (gn.tag) {
      case 0xa0: {
        const [t, v] = children(gn);
        const inner = v ? readNode(v.content) : undefined;
        if (!t || !inner || inner.tag !== TAG.UTF8_STRING) throw new DerError('no UTF-8 string found in OtherName');
        into.other.push({ oid: readOid(t), value: inner.content.toString('utf8') });
        break;
      }
      case 0x81:
        into.email.push(gn.content.toString('latin1'));
        break;
      case 0x82:
        into.dns.push(gn.content.toString('latin1'));
        break;
      case 0x86:
        into.uri.push(gn.content.toString('utf8'));
        break;
      case 0x87:
        if (gn.content.length !== 4 && gn.content.length !== 16) throw new DerError('bad IP address in SAN');
        into.ipBytes.push(Buffer.from(gn.content));
        into.ip.push(ipBytesToString(gn.content));
        break;
      default:
        break; // x400Address, directoryName, ediPartyName, registeredID: carried but not interpreted
    }
  }
  return into;
}

export function parseCertificate(der: Buffer): ParsedCertificate {
  const top = children(readOne(der, TAG.SEQUENCE));
  const tbsNode = expectTag(top[0], TAG.SEQUENCE, 'tbsCertificate');
  const sigAlg = expectTag(top[1], TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = readBitString(expectTag(top[2], TAG.BIT_STRING, 'signature')).bytes;
  let f = children(tbsNode);
  if (f[0]?.tag === 0xa0) f = f.slice(1); // explicit version
  const serial = readUnsignedInt(expectTag(f[0], TAG.INTEGER, 'serialNumber'));
  const issuer = expectTag(f[2], TAG.SEQUENCE, 'issuer');
  const validity = children(expectTag(f[3], TAG.SEQUENCE, 'validity'));
  const subject = expectTag(f[4], TAG.SEQUENCE, 'subject');
  const spki = expectTag(f[5], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let extensions: RawExtension[] = [];
  for (const extra of f.slice(6)) {
    if (extra.tag === 0xa3) extensions = readExtensions(expectTag(readNode(extra.content), TAG.SEQUENCE, 'extensions'));
  }
  const subjectAttrs = readNameAttributes(subject);
  const out: ParsedCertificate = {
    der,
    tbs: tbsNode.raw,
    serial: Buffer.from(serial),
    signatureAlgorithm: sigAlg,
    signature,
    issuerDer: issuer.raw,
    subjectDer: subject.raw,
    subject: subjectAttrs,
    commonName: nameField(subjectAttrs, OID.commonName),
    notBefore: readTime(validity[0] ?? (() => { throw new DerError('missing notBefore'); })()),
    notAfter: readTime(validity[1] ?? (() => { throw new DerError('missing notAfter'); })()),
    spkiDer: spki.raw,
    extensions,
    basicConstraintsValid: false,
    isCa: false,
    maxPathLen: -1,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    keyUsage: undefined,
    sans: emptySans(),
  };
  for (const e of extensions) {
    switch (e.oid) {
      case OID.basicConstraints: {
        const bc = parseBasicConstraints(e.value);
        out.basicConstraintsValid = true;
        out.isCa = bc.isCa;
        out.maxPathLen = bc.maxPathLen;
        break;
      }
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = Buffer.from(readOne(e.value, TAG.OCTET_STRING).content);
        break;
      case OID.authorityKeyIdentifier: {
        const kid = children(readOne(e.value, TAG.SEQUENCE)).find((c) => c.tag === 0x80);
        if (kid) out.authorityKeyId = Buffer.from(kid.content);
        break;
      }
      case OID.keyUsage:
        out.keyUsage = parseKeyUsage(e.value);
        break;
      case OID.subjectAltName:
        parseGeneralNames(e.value, out.sans);
        break;
      default:
        break;
    }
  }
  return out;
}

/** A certificate's key identifier: its SKID extension, else computed from its key. */
export const keyIdOf = (c: ParsedCertificate): Buffer => c.subjectKeyId ?? subjectKeyId(c.spkiDer);

/** Was `child` signed by the holder of `parentSpki`? (Names must match too.) */
export function isSignedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  if (!child.issuerDer.equals(parent.subjectDer)) return false;
  try {
    return verifyWith(child.signatureAlgorithm, createPublicKey({ key: parent.spkiDer, format: 'der', type: 'spki' }), child.tbs, child.signature);
  } catch {
    return false;
  }
}
