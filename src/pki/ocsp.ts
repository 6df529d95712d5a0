/**
 * OCSP (RFC 6960) as Vault's responder speaks it: one CertID per request, responses signed by
 * the issuer itself (responderID byName, no embedded certificates, no nonce), times in whole
 * seconds.
 */
import { bitString, children, enumerated, explicit, expectTag, generalizedTime, implicitPrim, octets, oid, readNode, readOid, readOne, readUnsignedInt, seq, seqOf, TAG } from './der.js';
import type { Signer } from './cert-builder.js';
import { OID } from './oids.js';
import { signWith, type HashName } from './signing.js';

export const OCSP_STATUS = { successful: 0, malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;

export interface OcspCertId {
  hash: HashName;
  nameHash: Buffer;
  keyHash: Buffer;
  serial: Buffer;
  /** The CertID DER as received, echoed in the response. */
  raw: Buffer;
}

const HASH_BY_OID: Readonly<Record<string, HashName>> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };

/** Parses an OCSPRequest and returns its first CertID. Throws on anything malformed. */
export function parseOcspRequest(der: Buffer): OcspCertId {
  const top = children(readOne(der, TAG.SEQUENCE));
  const tbs = children(expectTag(top[0], TAG.SEQUENCE, 'tbsRequest'));
  const list = tbs.find((n) => n.tag === TAG.SEQUENCE);
  if (!list) throw new Error('OCSP request has no requestList');
  const first = children(list)[0];
  if (!first) throw new Error('OCSP request contains no request body');
  const certId = expectTag(children(first)[0], TAG.SEQUENCE, 'CertID');
  const [alg, nameHash, keyHash, serial] = children(certId);
  const hashOid = readOid(readNode(expectTag(alg, TAG.SEQUENCE, 'hashAlgorithm').content));
  const hash = HASH_BY_OID[hashOid];
  if (!hash) throw new Error(`unsupported OCSP hash algorithm ${hashOid}`);
  return {
    hash,
    nameHash: expectTag(nameHash, TAG.OCTET_STRING, 'issuerNameHash').content,
    keyHash: expectTag(keyHash, TAG.OCTET_STRING, 'issuerKeyHash').content,
    serial: readUnsignedInt(expectTag(serial, TAG.INTEGER, 'serialNumber')),
    raw: certId.raw,
  };
}

export type OcspCertStatus = { status: 'good' } | { status: 'unknown' } | { status: 'revoked'; revokedAt: Date };

export interface OcspResponseInput {
  signer: Signer;
  certId: OcspCertId;
  certStatus: OcspCertStatus;
  producedAt: Date;
  thisUpdate: Date;
  /** Undefined = omit nextUpdate (ocsp_expiry 0). */
  nextUpdate?: Date;
}

const GOOD = implicitPrim(0, Buffer.alloc(0));
const UNKNOWN = implicitPrim(2, Buffer.alloc(0));

export function buildOcspResponse(r: OcspResponseInput): Buffer {
  const status = r.certStatus.status === 'good' ? GOOD : r.certStatus.status === 'unknown' ? UNKNOWN : explicit(1, generalizedTime(r.certStatus.revokedAt));
  const single = [r.certId.raw, status, generalizedTime(r.thisUpdate)];
  if (r.nextUpdate) single.push(explicit(0, generalizedTime(r.nextUpdate)));
  const responseData = seq(explicit(1, r.signer.nameDer), generalizedTime(r.producedAt), seq(seqOf(single)));
  const basic = seq(responseData, r.signer.alg.algId, bitString(signWith(r.signer.alg, r.signer.key, responseData)));
  return seq(enumerated(OCSP_STATUS.successful), explicit(0, seq(oid(OID.ocspBasic), octets(basic))));
}

/** An unsigned OCSPResponse carrying only an error status. */
export const ocspErrorResponse = (status: number): Buffer => seq(enumerated(status));
