/**
 * Client-certificate chain verification for the cert method, after Go's x509.Certificate.Verify
 * with KeyUsages = [ClientAuth]: the leaf must be within its validity period, every chain runs
 * from the leaf through presented intermediates (CA, valid, each signature checked with
 * node:crypto) to a trusted CA certificate, and every certificate that restricts extended key
 * usage must allow client authentication. All chains found are returned.
 */
import type { CertInfo } from './x509-info.js';
import { OID_ANY_EKU, OID_CLIENT_AUTH } from './x509-info.js';

const MAX_DEPTH = 10;

export interface ChainVerification {
  chains: CertInfo[][];
  /** Set when the certificate is unusable for a reason other than an unknown issuer. */
  error?: string;
}

const goTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Go's CertificateInvalidError(Expired) text, or undefined when `cert` is valid at `nowMs`. */
export function validityError(cert: CertInfo, nowMs: number): string | undefined {
  if (nowMs < cert.notBeforeMs) return `x509: certificate has expired or is not yet valid: current time ${goTime(nowMs)} is before ${goTime(cert.notBeforeMs)}`;
  if (nowMs > cert.notAfterMs) return `x509: certificate has expired or is not yet valid: current time ${goTime(nowMs)} is after ${goTime(cert.notAfterMs)}`;
  return undefined;
}

function issued(parent: CertInfo, child: CertInfo): boolean {
  try {
    // node: `a.checkIssued(b)` asks whether a was issued by b.
    return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
  } catch {
    return false;
  }
}

const allowsClientAuth = (c: CertInfo): boolean =>
  c.extKeyUsages === undefined || c.extKeyUsages.includes(OID_CLIENT_AUTH) || c.extKeyUsages.includes(OID_ANY_EKU);

export function verifyClientChain(presented: readonly CertInfo[], roots: readonly CertInfo[], nowMs: number): ChainVerification {
  const leaf = presented[0];
  if (!leaf) return { chains: [] };
  const leafError = validityError(leaf, nowMs);
  if (leafError) return { chains: [], error: leafError };

  const intermediates = presented.slice(1);
  const found: CertInfo[][] = [];
  let lastError: string | undefined;

  const extend = (chain: CertInfo[]): void => {
    const tail = chain[chain.length - 1]!;
    for (const root of roots) {
      if (!issued(root, tail) || chain.some((c) => c.der.equals(root.der))) continue;
      const err = validityError(root, nowMs);
      if (err) lastError = err;
      else found.push([...chain, root]);
    }
    if (chain.length >= MAX_DEPTH) return;
    for (const inter of intermediates) {
      if (chain.some((c) => c.der.equals(inter.der)) || !issued(inter, tail)) continue;
      const err = validityError(inter, nowMs) ?? (inter.isCA ? undefined : 'x509: certificate signed by a certificate that is not a CA');
      if (err) {
        lastError = err;
        continue;
      }
      extend([...chain, inter]);
    }
  };

  if (roots.some((r) => r.der.equals(leaf.der))) found.push([leaf]);
  else extend([leaf]);

  if (found.length === 0) return lastError ? { chains: [], error: lastError } : { chains: [] };
  const usable = found.filter((chain) => chain.every(allowsClientAuth));
  if (usable.length === 0) return { chains: [], error: 'x509: certificate specifies an incompatible key usage' };
  return { chains: usable };
}
