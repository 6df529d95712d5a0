/**
 * CA certificates (roots and signed intermediates), as Vault's createCertificate /
 * signCertificate make them: KeyUsage CertSign|CRLSign, critical BasicConstraints CA:true with the
 * path length, SKID from the key, optional permitted-DNS name constraints.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import type { Signer } from './cert-builder.js';
import { authorityInfoAccessExt, authorityKeyIdExt, basicConstraintsExt, crlDistributionPointsExt, permittedDnsExt, type SanSet } from './extensions.js';
import { issueLeafCertificate, type IssuedCertificate, type LeafSpec } from './issue-leaf.js';
import type { AiaUrls } from './issuer-prep.js';
import { spkiDer, subjectKeyId } from './keys.js';
import { KEY_USAGE_BITS } from './oids.js';
import { algorithmForKey } from './signing.js';

export const CA_KEY_USAGE = (1 << KEY_USAGE_BITS['certsign']!) | (1 << KEY_USAGE_BITS['crlsign']!);

export interface CaParams {
  subjectDer: Buffer;
  subjectEmpty: boolean;
  spkiDer: Buffer;
  sans: SanSet;
  notBefore: Date;
  notAfter: Date;
  /** -1 = unlimited. */
  maxPathLen: number;
  permittedDnsDomains: readonly string[];
  skid?: Buffer;
  /** Extensions copied from a CSR (use_csr_values). */
  extra?: ReadonlyArray<{ oid: string; raw: Buffer }>;
  sanExtOverride?: Buffer;
}

export function caSpec(p: CaParams): LeafSpec {
  return {
    subjectDer: p.subjectDer,
    subjectEmpty: p.subjectEmpty,
    spkiDer: p.spkiDer,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    sans: p.sans,
    keyUsage: CA_KEY_USAGE,
    extKeyUsageOids: [],
    basicConstraintsExt: basicConstraintsExt(true, p.maxPathLen),
    ...(p.permittedDnsDomains.length > 0 ? { nameConstraintsExt: permittedDnsExt(p.permittedDnsDomains) } : {}),
    ...(p.skid ? { skid: p.skid } : {}),
    ...(p.extra ? { extra: p.extra } : {}),
    ...(p.sanExtOverride ? { sanExtOverride: p.sanExtOverride } : {}),
  };
}

/** A self-signed root: AKI = own SKID, AIA/CDP from the global URLs. */
export function selfSignRoot(
  key: KeyObject,
  p: Omit<CaParams, 'spkiDer'>,
  urls: AiaUrls,
  signatureBits = 0,
  usePss = false,
): IssuedCertificate & { signer: Signer } {
  const spki = spkiDer(createPublicKey(key));
  const skid = p.skid ?? subjectKeyId(spki);
  const signer: Signer = { nameDer: p.subjectDer, key, alg: algorithmForKey(key, signatureBits, usePss) };
  const issuing = {
    akiExt: authorityKeyIdExt(skid),
    aiaExt: authorityInfoAccessExt(urls.ocspServers, urls.issuingCertificates),
    cdpExt: crlDistributionPointsExt(urls.crlDistributionPoints),
  };
  const issued = issueLeafCertificate(issuing, signer, caSpec({ ...p, spkiDer: spki, skid }));
  return { ...issued, signer };
}
