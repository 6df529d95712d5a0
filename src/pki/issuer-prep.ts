/**
 * Per-issuer data computed once and reused for every certificate, CRL and OCSP response the issuer
 * signs: its Name DER, the AuthorityKeyIdentifier extension its children carry, the AIA / CRL
 * distribution point extensions from the effective URLs, its signing KeyObject and memoised
 * signature algorithms, its chain, and the OCSP CertID hashes that identify it.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { Signer } from './cert-builder.js';
import type { ParsedCertificate } from './cert-parse.js';
import { keyIdOf } from './cert-parse.js';
import { authorityInfoAccessExt, authorityKeyIdExt, crlDistributionPointsExt } from './extensions.js';
import { spkiKeyBits } from './keys.js';
import { algorithmForKey, rsaAlgorithm, type HashName, type SignatureAlgorithm } from './signing.js';
import type { NotAfterBehavior } from './validity.js';

export type IssuerUsage = 'read-only' | 'issuing-certificates' | 'crl-signing' | 'ocsp-signing';
export const ALL_USAGES: readonly IssuerUsage[] = ['read-only', 'issuing-certificates', 'crl-signing', 'ocsp-signing'];

export interface AiaUrls {
  issuingCertificates: string[];
  crlDistributionPoints: string[];
  ocspServers: string[];
}

export interface PreparedIssuer {
  id: string;
  name: string;
  keyId: string;
  cert: ParsedCertificate;
  certPem: string;
  key: KeyObject | undefined;
  akiExt: Buffer;
  aiaExt: Buffer | undefined;
  cdpExt: Buffer | undefined;
  urls: AiaUrls;
  /** PEMs: this issuer first, then its parents up to a root (those present in the mount). */
  chainPems: string[];
  chainIds: string[];
  behavior: NotAfterBehavior;
  usage: ReadonlySet<IssuerUsage>;
  revoked: boolean;
  revocationSignatureAlgorithm: string;
  /** Signer for certificates, per Vault's RSA knobs (EC / Ed25519 ignore them). */
  signer(signatureBits?: number, usePss?: boolean): Signer;
  /** Signer for CRLs and OCSP responses. */
  revocationSigner(): Signer;
  /** CertID hashes (name, key) under `hash`, for OCSP matching. */
  certIdHashes(hash: HashName): { nameHash: Buffer; keyHash: Buffer };
}

export interface IssuerPrepInput {
  id: string;
  name: string;
  keyId: string;
  cert: ParsedCertificate;
  certPem: string;
  key: KeyObject | undefined;
  urls: AiaUrls;
  chainPems: string[];
  chainIds: string[];
  behavior: NotAfterBehavior;
  usage: readonly IssuerUsage[];
  revoked: boolean;
  revocationSignatureAlgorithm: string;
}

function revocationAlgorithm(key: KeyObject, name: string): SignatureAlgorithm {
  switch (name) {
    case 'SHA256WithRSA': return rsaAlgorithm(256, false);
    case 'SHA384WithRSA': return rsaAlgorithm(384, false);
    case 'SHA512WithRSA': return rsaAlgorithm(512, false);
    case 'SHA256WithRSAPSS': return rsaAlgorithm(256, true);
    case 'SHA384WithRSAPSS': return rsaAlgorithm(384, true);
    case 'SHA512WithRSAPSS': return rsaAlgorithm(512, true);
    default: return algorithmForKey(key);
  }
}

export function prepareIssuer(i: IssuerPrepInput): PreparedIssuer {
  const signers = new Map<string, Signer>();
  const hashes = new Map<HashName, { nameHash: Buffer; keyHash: Buffer }>();
  let revSigner: Signer | undefined;
  const noKey = (): never => {
    throw new Error(`unable to fetch corresponding key for issuer ${i.id}; unable to use this issuer for signing`);
  };
  return {
    id: i.id,
    name: i.name,
    keyId: i.keyId,
    cert: i.cert,
    certPem: i.certPem,
    key: i.key,
    akiExt: authorityKeyIdExt(keyIdOf(i.cert)),
    aiaExt: authorityInfoAccessExt(i.urls.ocspServers, i.urls.issuingCertificates),
    cdpExt: crlDistributionPointsExt(i.urls.crlDistributionPoints),
    urls: i.urls,
    chainPems: i.chainPems,
    chainIds: i.chainIds,
    behavior: i.behavior,
    usage: new Set(i.usage),
    revoked: i.revoked,
    revocationSignatureAlgorithm: i.revocationSignatureAlgorithm,
    signer(signatureBits = 0, usePss = false): Signer {
      const k = `${signatureBits}/${usePss}`;
      let s = signers.get(k);
      if (!s) {
        const key = i.key ?? noKey();
        s = { nameDer: i.cert.subjectDer, key, alg: algorithmForKey(key, signatureBits, usePss) };
        signers.set(k, s);
      }
      return s;
    },
    revocationSigner(): Signer {
      if (!revSigner) {
        const key = i.key ?? noKey();
        revSigner = { nameDer: i.cert.subjectDer, key, alg: revocationAlgorithm(key, i.revocationSignatureAlgorithm) };
      }
      return revSigner;
    },
    certIdHashes(hash: HashName) {
      let h = hashes.get(hash);
      if (!h) {
        h = {
          nameHash: createHash(hash).update(i.cert.subjectDer).digest(),
          keyHash: createHash(hash).update(spkiKeyBits(i.cert.spkiDer)).digest(),
        };
        hashes.set(hash, h);
      }
      return h;
    },
  };
}
