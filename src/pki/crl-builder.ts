/**
 * Certificate revocation lists (RFC 5280 §5), built by hand like certificates: each revoked
 * entry is encoded once when it is revoked and kept; a CRL is the concatenation of the live
 * entries plus one signature, so even tens of thousands of entries cost milliseconds.
 */
import { explicit, integer, seq, seqOf, time } from './der.js';
import { signStructure, type Signer } from './cert-builder.js';
import { crlNumberExt, deltaCrlIndicatorExt } from './extensions.js';

/** One `revokedCertificates` element: SEQUENCE { serial, revocationDate } (no entry extensions). */
export function encodeCrlEntry(serial: Buffer, revokedAt: Date): Buffer {
  return seq(integer(serial), time(revokedAt));
}

export interface CrlInput {
  signer: Signer;
  /** The issuer's AuthorityKeyIdentifier extension (same as its children carry). */
  akiExt: Buffer;
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly Buffer[];
  /** For a delta CRL: the number of the complete CRL it builds on. */
  deltaBase?: number;
}

export function buildCrl(c: CrlInput): Buffer {
  const exts = [c.akiExt, crlNumberExt(c.number)];
  if (c.deltaBase !== undefined) exts.push(deltaCrlIndicatorExt(c.deltaBase));
  const parts = [integer(1), c.signer.alg.algId, c.signer.nameDer, time(c.thisUpdate), time(c.nextUpdate)];
  if (c.entries.length > 0) parts.push(seqOf(c.entries));
  parts.push(explicit(0, seqOf(exts)));
  return signStructure(c.signer, seqOf(parts));
}
