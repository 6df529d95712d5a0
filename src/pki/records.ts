/**
 * What the PKI engine keeps in storage, and where. Layout follows Vault's (builtin/logical/pki
 * storage.go) so an operator browsing a dump recognises it; JSON field names are ours.
 */
import type { IssuerUsage } from './issuer-prep.js';
import type { KeyType } from './keys.js';
import type { NotAfterBehavior } from './validity.js';

export const PATH = {
  issuer: 'config/issuer/',
  key: 'config/key/',
  issuersConfig: 'config/issuers',
  keysConfig: 'config/keys',
  urls: 'urls',
  cluster: 'config/cluster',
  crlConfig: 'config/crl',
  crlState: 'crls/config',
  autoTidy: 'config/auto-tidy',
  role: 'role/',
  certs: 'certs/',
  revoked: 'revoked/',
} as const;

export interface IssuerRecord {
  id: string;
  name: string;
  key_id: string;
  /** PEM with exactly one trailing newline, as Vault stores it. */
  certificate: string;
  manual_chain: string[] | null;
  leaf_not_after_behavior: NotAfterBehavior;
  usage: IssuerUsage[];
  revocation_signature_algorithm: string;
  revoked: boolean;
  revocation_time: number;
  issuing_certificates: string[];
  crl_distribution_points: string[];
  ocsp_servers: string[];
  enable_aia_url_templating: boolean;
  /** Creation order (ms), for stable listings and "latest issuer" decisions. */
  created: number;
}

export interface KeyRecord {
  id: string;
  name: string;
  type: KeyType;
  /** PKCS#8 PEM. */
  private_key: string;
}

export interface IssuersConfig {
  default: string;
  default_follows_latest_issuer: boolean;
}

export interface KeysConfig {
  default: string;
}

export interface UrlsConfig {
  issuing_certificates: string[];
  crl_distribution_points: string[];
  ocsp_servers: string[];
  enable_templating: boolean;
}

export interface ClusterConfig {
  path: string;
  aia_path: string;
}

export interface RevokedRecord {
  /** base64 DER of the revoked certificate. */
  certificate_bytes: string;
  revocation_time: number;
  revocation_time_utc: string;
  issuer_id: string;
}

export const emptyUrls = (): UrlsConfig => ({ issuing_certificates: [], crl_distribution_points: [], ocsp_servers: [], enable_templating: false });
