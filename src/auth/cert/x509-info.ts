/**
 * What the cert method needs to know about a certificate, read once from its DER: node:crypto's
 * X509Certificate for signature and issuer checks, @peculiar/x509 for names and extensions.
 */
import 'reflect-metadata';
import { X509Certificate as NodeX509 } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate as PeculiarX509,
} from '@peculiar/x509';

export const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const OID_ANY_EKU = '2.5.29.37.0';

export interface CertInfo {
  der: Buffer;
  node: NodeX509;
  /** Last CN of the subject (Go's pkix.Name keeps the last one). */
  commonName: string;
  organizationalUnits: string[];
  dnsNames: string[];
  emailAddresses: string[];
  uris: string[];
  /** Decimal, as Go's big.Int prints it. */
  serialDecimal: string;
  subjectKeyId: Buffer;
  authorityKeyId: Buffer;
  isCA: boolean;
  notBeforeMs: number;
  notAfterMs: number;
  /** Extended key usage OIDs; undefined when the extension is absent (no restriction). */
  extKeyUsages: string[] | undefined;
  /** Extension OID → DER value. */
  extensions: Map<string, Buffer>;
}

export function parseCertificate(der: Buffer): CertInfo {
  const node = new NodeX509(der);
  const pc = new PeculiarX509(der);
  const cn = pc.subjectName.getField('CN');
  const san = pc.getExtension(SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  const skid = pc.getExtension(SubjectKeyIdentifierExtension);
  const akid = pc.getExtension(AuthorityKeyIdentifierExtension);
  const bc = pc.getExtension(BasicConstraintsExtension);
  const eku = pc.getExtension(ExtendedKeyUsageExtension);
  const extensions = new Map<string, Buffer>();
  for (const ext of pc.extensions) extensions.set(ext.type, Buffer.from(ext.value));
  return {
    der,
    node,
    commonName: cn[cn.length - 1] ?? '',
    organizationalUnits: pc.subjectName.getField('OU'),
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    emailAddresses: names.filter((n) => n.type === 'email').map((n) => n.value),
    uris: names.filter((n) => n.type === 'url').map((n) => n.value),
    serialDecimal: BigInt(`0x${pc.serialNumber || '0'}`).toString(10),
    subjectKeyId: skid ? Buffer.from(skid.keyId, 'hex') : Buffer.alloc(0),
    authorityKeyId: akid?.keyId ? Buffer.from(akid.keyId, 'hex') : Buffer.alloc(0),
    isCA: bc?.ca === true,
    notBeforeMs: pc.notBefore.getTime(),
    notAfterMs: pc.notAfter.getTime(),
    extKeyUsages: eku ? eku.usages.map(String) : undefined,
    extensions,
  };
}

/** Every certificate in a PEM bundle (CERTIFICATE / TRUSTED CERTIFICATE blocks); unparsable ones are skipped, as Vault's parsePEM does. */
export function parsePemCertificates(pem: string): CertInfo[] {
  const out: CertInfo[] = [];
  const re = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:TRUSTED )?CERTIFICATE-----/g;
  for (const m of pem.matchAll(re)) {
    try {
      out.push(parseCertificate(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
    } catch {
      // skipped
    }
  }
  return out;
}

/** Go's certutil.GetHexFormatted(b, ":"): lower-case hex pairs joined by colons. */
export const hexColons = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** A DER string value (UTF8String, PrintableString, IA5String …) as text; '' if it is not one. */
export function derString(value: Buffer): string {
  const tag = value[0];
  if (tag === undefined || ![0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a].includes(tag)) return '';
  let len = value[1] ?? 0;
  let offset = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | (value[2 + i] ?? 0);
    offset = 2 + n;
  }
  return value.subarray(offset, offset + len).toString('utf8');
}
