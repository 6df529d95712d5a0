/**
 * X.501 distinguished names: building them in Go's pkix.Name order (one attribute per RDN,
 * PrintableString when the value allows it, else UTF8String — as Go's asn1 marshaller picks) and
 * reading them back.
 */
import { children, oid, readOid, readString, setOf, seq, seqOf, tlv, TAG, type Node, readOne } from './der.js';
import { OID } from './oids.js';

export interface SubjectFields {
  country?: string[];
  province?: string[];
  locality?: string[];
  streetAddress?: string[];
  postalCode?: string[];
  organization?: string[];
  ou?: string[];
  commonName?: string;
  serialNumber?: string;
  /** Extra attributes appended after the standard ones (user IDs). */
  extra?: Array<{ oid: string; value: string }>;
}

// Go's asn1 isPrintable with allowAsterisk (and no ampersand), used when marshalling strings.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*]*$/;

function attrValue(value: string): Buffer {
  return PRINTABLE.test(value) ? tlv(TAG.PRINTABLE_STRING, Buffer.from(value, 'latin1')) : tlv(TAG.UTF8_STRING, Buffer.from(value, 'utf8'));
}

const rdn = (o: string, value: string): Buffer => setOf([seq(oid(o), attrValue(value))]);

export function buildName(f: SubjectFields): Buffer {
  const rdns: Buffer[] = [];
  const many = (o: string, vs: string[] | undefined): void => {
    for (const v of vs ?? []) rdns.push(rdn(o, v));
  };
  many(OID.country, f.country);
  many(OID.province, f.province);
  many(OID.locality, f.locality);
  many(OID.streetAddress, f.streetAddress);
  many(OID.postalCode, f.postalCode);
  many(OID.organization, f.organization);
  many(OID.organizationalUnit, f.ou);
  if (f.commonName) rdns.push(rdn(OID.commonName, f.commonName));
  if (f.serialNumber) rdns.push(rdn(OID.serialNumber, f.serialNumber));
  for (const e of f.extra ?? []) rdns.push(rdn(e.oid, e.value));
  return seqOf(rdns);
}

export interface NameAttribute {
  oid: string;
  value: string;
}

/** Every attribute of a Name in order (multi-valued RDNs flattened). */
export function readNameAttributes(name: Node | Buffer): NameAttribute[] {
  const node = Buffer.isBuffer(name) ? readOne(name, TAG.SEQUENCE) : name;
  const out: NameAttribute[] = [];
  for (const set of children(node)) {
    for (const atv of children(set)) {
      const [t, v] = children(atv);
      if (!t || !v) continue;
      let value: string;
      try {
        value = readString(v);
      } catch {
        value = v.content.toString('latin1');
      }
      out.push({ oid: readOid(t), value });
    }
  }
  return out;
}

/** Go's pkix.Name reading: the last CN / serialNumber wins. */
export function nameField(attrs: NameAttribute[], o: string): string {
  let v = '';
  for (const a of attrs) if (a.oid === o) v = a.value;
  return v;
}

