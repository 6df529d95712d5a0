/**
 * Builders for the X.509 v3 extensions the engine writes, each returning a complete `Extension`
 * DER (SEQUENCE { extnID, [critical], extnValue }). Criticality follows Go's x509: KU, BC and
 * NameConstraints critical; SAN critical only when the subject is empty.
 */
import { isIP } from 'node:net';
import { bitString, bool, explicit, ia5, implicitCons, implicitPrim, integer, octets, oid, seq, seqOf, utf8 } from './der.js';
import { OID } from './oids.js';

export function extension(o: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(o), bool(true), octets(value)) : seq(oid(o), octets(value));
}

/** BasicConstraints; `pathLen` -1 = unlimited (omitted). CA:false encodes as an empty SEQUENCE. */
export function basicConstraintsExt(isCa: boolean, pathLen = -1): Buffer {
  const parts: Buffer[] = [];
  if (isCa) {
    parts.push(bool(true));
    if (pathLen >= 0) parts.push(integer(pathLen));
  }
  return extension(OID.basicConstraints, true, seqOf(parts));
}

/** KeyUsage from a bitmask where bit i = RFC 5280 bit i (digitalSignature = 0). */
export function keyUsageExt(mask: number): Buffer {
  let highest = -1;
  for (let i = 0; i < 9; i++) if (mask & (1 << i)) highest = i;
  const nbytes = highest < 0 ? 0 : (highest >> 3) + 1;
  const bytes = Buffer.alloc(nbytes);
  for (let i = 0; i <= highest; i++) if (mask & (1 << i)) bytes[i >> 3] = bytes[i >> 3]! | (0x80 >> (i & 7));
  const unused = highest < 0 ? 0 : 7 - (highest & 7);
  return extension(OID.keyUsage, true, bitString(bytes, unused));
}

export function extKeyUsageExt(oids: readonly string[]): Buffer {
  return extension(OID.extKeyUsage, false, seqOf(oids.map((o) => oid(o))));
}

export const subjectKeyIdExt = (skid: Buffer): Buffer => extension(OID.subjectKeyIdentifier, false, octets(skid));
export const authorityKeyIdExt = (keyId: Buffer): Buffer => extension(OID.authorityKeyIdentifier, false, seq(implicitPrim(0, keyId)));

export interface SanSet {
  dns?: readonly string[];
  email?: readonly string[];
  ip?: readonly Buffer[];
  uri?: readonly string[];
  /** Already-parsed other names: OID + UTF-8 value. */
  other?: ReadonlyArray<{ oid: string; value: string }>;
}

export function sanCount(s: SanSet): number {
  return (s.dns?.length ?? 0) + (s.email?.length ?? 0) + (s.ip?.length ?? 0) + (s.uri?.length ?? 0) + (s.other?.length ?? 0);
}

/** GeneralNames in Vault's order: otherNames first (when any), then DNS, email, IP, URI. */
export function generalNames(s: SanSet): Buffer[] {
  const out: Buffer[] = [];
  for (const o of s.other ?? []) out.push(implicitCons(0, [oid(o.oid), explicit(0, utf8(o.value))]));
  for (const d of s.dns ?? []) out.push(implicitPrim(2, Buffer.from(d, 'latin1')));
  for (const e of s.email ?? []) out.push(implicitPrim(1, Buffer.from(e, 'latin1')));
  for (const ip of s.ip ?? []) out.push(implicitPrim(7, ip));
  for (const u of s.uri ?? []) out.push(implicitPrim(6, Buffer.from(u, 'utf8')));
  return out;
}

export function subjectAltNameExt(s: SanSet, subjectEmpty: boolean): Buffer {
  return extension(OID.subjectAltName, subjectEmpty, seqOf(generalNames(s)));
}

/** IP text → 4 bytes (IPv4, incl. v4-mapped) or 16 bytes; undefined when not an IP. */
export function ipToBytes(s: string): Buffer | undefined {
  const v = isIP(s);
  if (v === 4) return Buffer.from(s.split('.').map((x) => Number(x)));
  if (v !== 6) return undefined;
  let text = s;
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, v4.index)}0:0`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':').filter((x) => x !== '') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  if (tail.length === 4) tail.forEach((b, i) => (out[12 + i] = b));
  // Go's To4(): v4-mapped addresses are written in 4 bytes.
  if (out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff) return out.subarray(12);
  return out;
}

export function ipBytesToString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) return b.toString('hex');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Collapse the longest zero run (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** AuthorityInfoAccess: OCSP servers first, then CA issuers (Go's order). */
export function authorityInfoAccessExt(ocspServers: readonly string[], issuingCertificates: readonly string[]): Buffer | undefined {
  if (ocspServers.length === 0 && issuingCertificates.length === 0) return undefined;
  const ads = [
    ...ocspServers.map((u) => seq(oid(OID.ocsp), implicitPrim(6, Buffer.from(u, 'utf8')))),
    ...issuingCertificates.map((u) => seq(oid(OID.caIssuers), implicitPrim(6, Buffer.from(u, 'utf8')))),
  ];
  return extension(OID.authorityInfoAccess, false, seqOf(ads));
}

/** CRLDistributionPoints: one DistributionPoint with a fullName URI per URL (Go's encoding). */
export function crlDistributionPointsExt(urls: readonly string[]): Buffer | undefined {
  if (urls.length === 0) return undefined;
  const dps = urls.map((u) => seq(implicitCons(0, [implicitCons(0, [implicitPrim(6, Buffer.from(u, 'utf8'))])])));
  return extension(OID.crlDistributionPoints, false, seqOf(dps));
}

/** NameConstraints with permitted DNS subtrees (critical, as Vault writes it). */
export function permittedDnsExt(domains: readonly string[]): Buffer {
  const subtrees = domains.map((d) => seq(implicitPrim(2, Buffer.from(d, 'latin1'))));
  return extension(OID.nameConstraints, true, seq(implicitCons(0, subtrees)));
}

export interface PolicyIdentifier {
  oid: string;
  cps?: string;
  notice?: string;
}

/**
 * Role `policy_identifiers` entries: a bare OID, or Vault's JSON form
 * `{"oid":…,"cps":…,"notice":…}`. Throws on malformed input.
 */
export function parsePolicyIdentifier(entry: string): PolicyIdentifier {
  const t = entry.trim();
  if (t.startsWith('{')) {
    const j = JSON.parse(t) as { oid?: unknown; cps?: unknown; notice?: unknown };
    if (typeof j.oid !== 'string') throw new Error(`policy identifier without oid: ${entry}`);
    oid(j.oid);
    return {
      oid: j.oid,
      ...(typeof j.cps === 'string' && j.cps !== '' ? { cps: j.cps } : {}),
      ...(typeof j.notice === 'string' && j.notice !== '' ? { notice: j.notice } : {}),
    };
  }
  oid(t);
  return { oid: t };
}

export function certificatePoliciesExt(policies: readonly PolicyIdentifier[]): Buffer {
  const infos = policies.map((p) => {
    const quals: Buffer[] = [];
    if (p.cps) quals.push(seq(oid(OID.qtCps), ia5(p.cps)));
    if (p.notice) quals.push(seq(oid(OID.qtUnotice), seq(utf8(p.notice))));
    return quals.length ? seq(oid(p.oid), seqOf(quals)) : seq(oid(p.oid));
  });
  return extension(OID.certificatePolicies, false, seqOf(infos));
}

/** CRLNumber / DeltaCRLIndicator. */
export const crlNumberExt = (n: number): Buffer => extension(OID.crlNumber, false, integer(n));
export const deltaCrlIndicatorExt = (base: number): Buffer => extension(OID.deltaCrlIndicator, true, integer(base));
