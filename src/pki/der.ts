/**
 * A tiny DER writer and reader: just what X.509 certificates, CSRs, CRLs and OCSP need. The writer
 * builds Buffers bottom-up (content first, then the header), so precomputed pieces (issuer name,
 * extension templates) can be spliced in without re-encoding; the reader walks TLVs in place with
 * `subarray`, never copying.
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

// ---------------------------------------------------------------------------------------------
// Writer

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n < 0x1000000) return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.from([0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

/** One TLV; `content` may be a list of already-encoded children. */
export function tlv(tag: number, content: Buffer | readonly Buffer[]): Buffer {
  const parts = Buffer.isBuffer(content) ? [content] : content;
  let len = 0;
  for (const p of parts) len += p.length;
  const head = lengthBytes(len);
  const out = Buffer.allocUnsafe(1 + head.length + len);
  out[0] = tag;
  head.copy(out, 1);
  let off = 1 + head.length;
  for (const p of parts) {
    p.copy(out, off);
    off += p.length;
  }
  return out;
}

export const seq = (...parts: Buffer[]): Buffer => tlv(TAG.SEQUENCE, parts);
export const seqOf = (parts: readonly Buffer[]): Buffer => tlv(TAG.SEQUENCE, parts);

/** SET OF: DER requires the encodings sorted. */
export function setOf(parts: readonly Buffer[]): Buffer {
  return tlv(TAG.SET, [...parts].sort(Buffer.compare));
}

/** [n] EXPLICIT (constructed, wraps a complete TLV). */
export const explicit = (n: number, ...inner: Buffer[]): Buffer => tlv(0xa0 | n, inner);
/** [n] IMPLICIT primitive: replaces the tag of a primitive value with context tag n. */
export const implicitPrim = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);
/** [n] IMPLICIT constructed (e.g. a SEQUENCE re-tagged). */
export const implicitCons = (n: number, parts: readonly Buffer[]): Buffer => tlv(0xa0 | n, parts);

export const NULL = Buffer.from([0x05, 0x00]);
export const bool = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
export const octets = (b: Buffer): Buffer => tlv(TAG.OCTET_STRING, b);
export const utf8 = (s: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));
export const ia5 = (s: string): Buffer => tlv(TAG.IA5_STRING, Buffer.from(s, 'latin1'));
export const printable = (s: string): Buffer => tlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'latin1'));

/** BIT STRING with `unused` padding bits in the last byte. */
export function bitString(b: Buffer, unused = 0): Buffer {
  return tlv(TAG.BIT_STRING, [Buffer.from([unused]), b]);
}

/** Minimal two's-complement big-endian bytes of a non-negative integer's magnitude. */
export function unsignedIntContent(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  if (trimmed.length === 0) return Buffer.from([0]);
  return (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

export function integer(v: number | bigint | Buffer): Buffer {
  if (Buffer.isBuffer(v)) return tlv(TAG.INTEGER, unsignedIntContent(v));
  let n = BigInt(v);
  if (n < 0n) {
    // Two's complement for the few negative values we ever write (none in practice).
    let bytes = 1;
    while (n < -(1n << BigInt(bytes * 8 - 1))) bytes++;
    n += 1n << BigInt(bytes * 8);
    const hex = n.toString(16).padStart(bytes * 2, '0');
    return tlv(TAG.INTEGER, Buffer.from(hex, 'hex'));
  }
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return tlv(TAG.INTEGER, unsignedIntContent(Buffer.from(hex, 'hex')));
}

export const enumerated = (v: number): Buffer => {
  const i = integer(v);
  i[0] = TAG.ENUMERATED;
  return i;
};

const oidCache = new Map<string, Buffer>();

/** OBJECT IDENTIFIER from dotted form (cached: OIDs repeat in every certificate). */
export function oid(dotted: string): Buffer {
  const hit = oidCache.get(dotted);
  if (hit) return hit;
  const arcs = dotted.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`invalid OID: ${dotted}`);
    return BigInt(s);
  });
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) throw new Error(`invalid OID: ${dotted}`);
  const bytes: number[] = [];
  const push = (v: bigint): void => {
    const stack: number[] = [Number(v & 0x7fn)];
    v >>= 7n;
    while (v > 0n) {
      stack.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(...stack);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  const out = tlv(TAG.OID, Buffer.from(bytes));
  if (oidCache.size < 4096) oidCache.set(dotted, out);
  return out;
}

/** True when `s` parses as a dotted OID (Vault's StringToOid: integers separated by dots). */
export function isValidOid(s: string): boolean {
  try {
    oid(s);
    return true;
  } catch {
    return false;
  }
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5); whole seconds, Z. */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, Buffer.from(`${pad2(y % 100)}${rest}`, 'latin1'));
  return generalizedTime(d);
}

export function generalizedTime(d: Date): Buffer {
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const s = `${y}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(s, 'latin1'));
}

// ---------------------------------------------------------------------------------------------
// Reader

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** A TLV located inside a buffer. `raw` is the whole encoding, `content` the value bytes. */
export interface Node {
  tag: number;
  raw: Buffer;
  content: Buffer;
}

/** Reads the TLV at `offset`; rejects indefinite and non-minimal lengths (DER only). */
export function readNode(buf: Buffer, offset = 0): Node {
  if (offset + 2 > buf.length) throw new DerError('truncated DER: no room for a header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = buf[offset + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER');
    if (n > 4) throw new DerError('DER length too large');
    if (offset + 2 + n > buf.length) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    if (len < 0x80 || (n > 1 && buf[offset + 2] === 0)) throw new DerError('non-minimal DER length');
    hdr = 2 + n;
  }
  const end = offset + hdr + len;
  if (end > buf.length) throw new DerError('truncated DER value');
  return { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + hdr, end) };
}

/** Parses exactly one TLV covering the whole buffer. */
export function readOne(buf: Buffer, expectTag?: number): Node {
  const n = readNode(buf, 0);
  if (n.raw.length !== buf.length) throw new DerError('trailing data after DER value');
  if (expectTag !== undefined && n.tag !== expectTag) throw new DerError(`expected tag 0x${expectTag.toString(16)}, got 0x${n.tag.toString(16)}`);
  return n;
}

/** The children of a constructed node. */
export function children(node: Node | Buffer): Node[] {
  const content = Buffer.isBuffer(node) ? node : node.content;
  const out: Node[] = [];
  let off = 0;
  while (off < content.length) {
    const c = readNode(content, off);
    out.push(c);
    off += c.raw.length;
  }
  return out;
}

export function expectTag(n: Node | undefined, tag: number, what: string): Node {
  if (!n) throw new DerError(`missing ${what}`);
  if (n.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${n.tag.toString(16)}`);
  return n;
}

export function readOid(n: Node): string {
  if (n.tag !== TAG.OID) throw new DerError('expected an OID');
  const b = n.content;
  if (b.length === 0) throw new DerError('empty OID');
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < b.length; i++) {
    v = (v << 7n) | BigInt(b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    } else if (i === b.length - 1) throw new DerError('truncated OID');
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** INTEGER magnitude bytes without the sign-padding zero (for serials). */
export function readUnsignedInt(n: Node): Buffer {
  if (n.tag !== TAG.INTEGER) throw new DerError('expected an INTEGER');
  if (n.content.length === 0) throw new DerError('empty INTEGER');
  let i = 0;
  while (i < n.content.length - 1 && n.content[i] === 0) i++;
  return n.content.subarray(i);
}

export function readSmallInt(n: Node): number {
  if (n.tag !== TAG.INTEGER && n.tag !== TAG.ENUMERATED) throw new DerError('expected an INTEGER');
  if (n.content.length === 0 || n.content.length > 6) throw new DerError('INTEGER out of range');
  let v = n.content.readIntBE(0, n.content.length);
  if (!Number.isSafeInteger(v)) throw new DerError('INTEGER out of range');
  v = Math.trunc(v);
  return v;
}

export function readBool(n: Node): boolean {
  if (n.tag !== TAG.BOOLEAN || n.content.length !== 1) throw new DerError('expected a BOOLEAN');
  return n.content[0] !== 0;
}

/** BIT STRING value bytes (unused bits must be zero count for keys and signatures). */
export function readBitString(n: Node): { bytes: Buffer; unused: number } {
  if (n.tag !== TAG.BIT_STRING || n.content.length === 0) throw new DerError('expected a BIT STRING');
  const unused = n.content[0]!;
  if (unused > 7) throw new DerError('bad BIT STRING padding');
  return { bytes: n.content.subarray(1), unused };
}

/** UTCTime / GeneralizedTime to a Date. */
export function readTime(n: Node): Date {
  const s = n.content.toString('latin1');
  let m: RegExpExecArray | null;
  if (n.tag === TAG.UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) throw new DerError(`bad UTCTime: ${s}`);
    const yy = Number(m[1]);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy;
    return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (n.tag === TAG.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(s);
    if (!m) throw new DerError(`bad GeneralizedTime: ${s}`);
    const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
  }
  throw new DerError('expected a time');
}

/** Any of the X.500 string types as a JS string. */
export function readString(n: Node): string {
  switch (n.tag) {
    case TAG.UTF8_STRING:
      return n.content.toString('utf8');
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.T61_STRING:
      return n.content.toString('latin1');
    case TAG.BMP_STRING: {
      const b = Buffer.from(n.content);
      b.swap16();
      return b.toString('utf16le');
    }
    case TAG.UNIVERSAL_STRING: {
      let s = '';
      for (let i = 0; i + 3 < n.content.length; i += 4) s += String.fromCodePoint(n.content.readUInt32BE(i));
      return s;
    }
    default:
      throw new DerError(`unsupported string tag 0x${n.tag.toString(16)}`);
  }
}
