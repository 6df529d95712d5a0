/**
 * The issuance hot path: one certificate = a fresh serial, a TBSCertificate assembled from the
 * prepared issuer's DER pieces plus the request's subject, key and SANs, and one synchronous
 * signature. Extension order follows Go's x509: KU, EKU, BC, SKI, AKI, AIA, SAN, policies,
 * name constraints, CRL DP, then copied extensions.
 */
import { buildCertificate, type Signer } from './cert-builder.js';
import { extKeyUsageExt, keyUsageExt, sanCount, subjectAltNameExt, subjectKeyIdExt, type SanSet } from './extensions.js';
import type { PreparedIssuer } from './issuer-prep.js';
import { subjectKeyId } from './keys.js';
import { OID } from './oids.js';
import { randomSerial } from './serial.js';

export interface LeafSpec {
  subjectDer: Buffer;
  /** True when the subject Name has no attributes (SAN then becomes critical). */
  subjectEmpty: boolean;
  spkiDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  sans: SanSet;
  /** KeyUsage mask; 0 = no extension. */
  keyUsage: number;
  extKeyUsageOids: readonly string[];
  /** Pre-encoded extensions (from role templates / CA parameters), each optional. */
  basicConstraintsExt?: Buffer;
  policiesExt?: Buffer;
  nameConstraintsExt?: Buffer;
  /** Explicit SKID (cross-signing); default = SHA-1 of the key. */
  skid?: Buffer;
  /**
   * Extensions copied verbatim (use_csr_values, sign-verbatim). As in Go's x509, a copied
   * extension replaces the computed one with the same OID.
   */
  extra?: ReadonlyArray<{ oid: string; raw: Buffer }>;
  /** Replace the computed SAN extension with this one (copied from a CSR). */
  sanExtOverride?: Buffer;
}

export interface IssuedCertificate {
  der: Buffer;
  serial: Buffer;
}

/** What the issuing side contributes: its AKI and AIA/CDP extensions (a PreparedIssuer, or a root's own). */
export type IssuingExtensions = Pick<PreparedIssuer, 'akiExt' | 'aiaExt' | 'cdpExt'>;

export function issueLeafCertificate(issuer: IssuingExtensions, signer: Signer, spec: LeafSpec): IssuedCertificate {
  const copied = spec.extra && spec.extra.length > 0 ? new Set(spec.extra.map((e) => e.oid)) : undefined;
  const exts: Buffer[] = [];
  const add = (o: string, make: () => Buffer | undefined): void => {
    if (copied?.has(o)) return;
    const e = make();
    if (e) exts.push(e);
  };
  if (spec.keyUsage !== 0) add(OID.keyUsage, () => keyUsageExt(spec.keyUsage));
  if (spec.extKeyUsageOids.length > 0) add(OID.extKeyUsage, () => extKeyUsageExt(spec.extKeyUsageOids));
  if (spec.basicConstraintsExt) add(OID.basicConstraints, () => spec.basicConstraintsExt);
  add(OID.subjectKeyIdentifier, () => subjectKeyIdExt(spec.skid ?? subjectKeyId(spec.spkiDer)));
  add(OID.authorityKeyIdentifier, () => issuer.akiExt);
  add(OID.authorityInfoAccess, () => issuer.aiaExt);
  if (spec.sanExtOverride) add(OID.subjectAltName, () => spec.sanExtOverride);
  else if (sanCount(spec.sans) > 0) add(OID.subjectAltName, () => subjectAltNameExt(spec.sans, spec.subjectEmpty));
  add(OID.certificatePolicies, () => spec.policiesExt);
  add(OID.nameConstraints, () => spec.nameConstraintsExt);
  add(OID.crlDistributionPoints, () => issuer.cdpExt);
  if (spec.extra) for (const e of spec.extra) exts.push(e.raw);
  const serial = randomSerial();
  const der = buildCertificate(signer, {
    serial,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    subjectDer: spec.subjectDer,
    spkiDer: spec.spkiDer,
    extensions: exts,
  });
  return { der, serial };
}
