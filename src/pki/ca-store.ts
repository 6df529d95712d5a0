/**
 * Writes to the mount's issuer and key records: storing generated or imported keys and CA
 * certificates with Vault's de-duplication, naming and default-selection rules. Callers hold the
 * state lock and drop the issuer snapshot afterwards.
 */
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { LogicalError } from '../core/logical.js';
import type { StorageView } from '../core/storage-view.js';
import { parseCertificate } from './cert-parse.js';
import type { IssuerUsage } from './issuer-prep.js';
import type { IssuerSet } from './issuer-set.js';
import { parsePrivateKeyDer, privateKeyToStoragePem, publicKeyInfo, spkiDer } from './keys.js';
import { decodeFirstPem, toPem } from './pem.js';
import { PATH, type IssuerRecord, type KeyRecord } from './records.js';
import { KEY_USAGE_BITS } from './oids.js';

export interface StoredKey {
  id: string;
  name: string;
  existing: boolean;
}

/** Stores a private key unless the mount already holds it (same public key). */
export async function storeKey(storage: StorageView, set: IssuerSet, key: KeyObject, name: string): Promise<StoredKey> {
  const spki = spkiDer(createPublicKey(key));
  const existingId = set.keyForSpki(spki);
  if (existingId) {
    const lk = set.keys.get(existingId)!;
    return { id: existingId, name: lk.rec.name, existing: true };
  }
  if (name !== '') {
    for (const lk of set.keys.values()) if (lk.rec.name === name) throw new LogicalError(`an existing key is using the requested key name value: ${name}`);
  }
  const rec: KeyRecord = { id: randomUUID(), name, type: publicKeyInfo(key).type, private_key: privateKeyToStoragePem(key) };
  await storage.putJson(PATH.key + rec.id, rec);
  set.keys.set(rec.id, { rec, key, spki });
  if (!set.keysConfig.default || !set.keys.has(set.keysConfig.default)) {
    set.keysConfig = { default: rec.id };
    await storage.putJson(PATH.keysConfig, set.keysConfig);
  }
  return { id: rec.id, name, existing: false };
}

export interface StoredIssuer {
  id: string;
  name: string;
  keyId: string;
  existing: boolean;
}

/** Default usages: all, minus crl-signing when the certificate lacks the CRLSign key usage. */
export function defaultUsage(keyUsage: number | undefined): IssuerUsage[] {
  const u: IssuerUsage[] = ['read-only', 'issuing-certificates', 'ocsp-signing'];
  if (keyUsage === undefined || (keyUsage & (1 << KEY_USAGE_BITS['crlsign']!)) !== 0) u.push('crl-signing');
  return u;
}

/**
 * Stores a CA certificate as an issuer (Vault's importIssuer): refuses non-CA certificates,
 * returns the existing issuer for an identical certificate, links the matching key.
 */
export async function storeIssuer(storage: StorageView, set: IssuerSet, der: Buffer, name: string, nowMs: number): Promise<StoredIssuer> {
  const cert = parseCertificate(der);
  if (!cert.basicConstraintsValid || !cert.isCa) throw new LogicalError('Refusing to import non-CA certificate');
  for (const li of set.issuers.values()) {
    if (li.der.equals(der)) return { id: li.rec.id, name: li.rec.name, keyId: li.rec.key_id, existing: true };
  }
  if (name !== '') {
    for (const li of set.issuers.values()) if (li.rec.name === name) throw new LogicalError('issuer name already in use');
  }
  const keyId = set.keyForSpki(cert.spkiDer);
  const rec: IssuerRecord = {
    id: randomUUID(),
    name,
    key_id: keyId,
    certificate: `${toPem('CERTIFICATE', der)}\n`,
    manual_chain: null,
    leaf_not_after_behavior: 'err',
    usage: defaultUsage(cert.keyUsage),
    revocation_signature_algorithm: '',
    revoked: false,
    revocation_time: 0,
    issuing_certificates: [],
    crl_distribution_points: [],
    ocsp_servers: [],
    enable_aia_url_templating: false,
    created: nowMs + set.issuers.size / 1000,
  };
  await storage.putJson(PATH.issuer + rec.id, rec);
  set.issuers.set(rec.id, { rec, cert, der });
  return { id: rec.id, name, keyId, existing: false };
}

/** Sets the default issuer when none is usable yet, or when it should follow the latest issuer. */
export async function maybeSetDefaultIssuer(storage: StorageView, set: IssuerSet, candidates: StoredIssuer[], follow: boolean): Promise<string[]> {
  const withKeys = candidates.filter((c) => !c.existing && c.keyId !== '');
  const warnings: string[] = [];
  const current = set.issuersConfig.default;
  const currentUsable = current !== '' && set.issuers.has(current);
  let next: string | undefined;
  if (!currentUsable && withKeys.length > 0) next = withKeys[0]!.id;
  else if (follow && set.issuersConfig.default_follows_latest_issuer) {
    if (withKeys.length === 1) next = withKeys[0]!.id;
    else if (withKeys.length > 1) warnings.push('Default issuer left unchanged: could not select new issuer automatically as multiple imported issuers had key material in Vault.');
  }
  if (next) {
    set.issuersConfig = { ...set.issuersConfig, default: next };
    await storage.putJson(PATH.issuersConfig, set.issuersConfig);
  }
  return warnings;
}

/** Links issuers that lack a key to a key this mount now holds (after key imports). */
export async function linkIssuerKeys(storage: StorageView, set: IssuerSet): Promise<void> {
  for (const li of set.issuers.values()) {
    if (li.rec.key_id) continue;
    const k = set.keyForSpki(li.cert.spkiDer);
    if (!k) continue;
    li.rec.key_id = k;
    await storage.putJson(PATH.issuer + li.rec.id, li.rec);
  }
}

export interface ImportResult {
  imported_issuers: string[];
  imported_keys: string[];
  existing_issuers: string[];
  existing_keys: string[];
  mapping: Record<string, string>;
  stored: StoredIssuer[];
}

/**
 * Splits a PEM bundle the way Vault's pathImportIssuers does (Go's pem.Decode loop): text before
 * a block is skipped, but anything undecodable left at the end is an error.
 */
export function splitBundle(bundle: string): { certs: Buffer[]; keys: Array<{ label: string; der: Buffer }> } {
  const certs: Buffer[] = [];
  const keys: Array<{ label: string; der: Buffer }> = [];
  let rest = bundle;
  while (rest.trim() !== '') {
    const d = decodeFirstPem(rest);
    if (!d) throw new LogicalError('provided PEM block contained no data');
    rest = d.rest;
    const { label, der } = d.block;
    if (label === 'CERTIFICATE' || label === 'X509 CERTIFICATE') certs.push(der);
    else if (label === 'CRL' || label === 'X509 CRL' || label === 'EC PARAMS' || label === 'EC PARAMETERS') continue;
    else keys.push({ label, der });
  }
  return { certs, keys };
}

export async function importBundle(storage: StorageView, set: IssuerSet, bundle: string, keysAllowed: boolean, nowMs: number): Promise<ImportResult> {
  if (bundle.length < 75) {
    throw new LogicalError('provided data for import was too short; perhaps a path was passed to the API rather than the contents of a PEM file');
  }
  const { certs, keys } = splitBundle(bundle);
  if (keys.length > 0 && !keysAllowed) throw new LogicalError('private keys found in the PEM bundle but not allowed by the path; use /issuers/import/bundle');
  // Parse everything before writing anything: a bad block must leave storage untouched.
  const parsedKeys = keys.map((k, i) => {
    try {
      return parsePrivateKeyDer(k.label, k.der);
    } catch (e) {
      throw new LogicalError(`Error parsing key ${i}: ${(e as Error).message}`);
    }
  });
  certs.forEach((der, i) => {
    let ok = false;
    try {
      ok = parseCertificate(der).isCa;
    } catch (e) {
      throw new LogicalError(`Error parsing issuer ${i}: ${(e as Error).message}\n${toPem('CERTIFICATE', der)}\n`);
    }
    if (!ok) throw new LogicalError(`Error parsing issuer ${i}: Refusing to import non-CA certificate\n${toPem('CERTIFICATE', der)}\n`);
  });
  const out: ImportResult = { imported_issuers: [], imported_keys: [], existing_issuers: [], existing_keys: [], mapping: {}, stored: [] };
  for (const key of parsedKeys) {
    const k = await storeKey(storage, set, key, '');
    (k.existing ? out.existing_keys : out.imported_keys).push(k.id);
  }
  await linkIssuerKeys(storage, set);
  for (const der of certs) {
    const s = await storeIssuer(storage, set, der, '', nowMs);
    out.stored.push(s);
    out.mapping[s.id] = s.keyId;
    (s.existing ? out.existing_issuers : out.imported_issuers).push(s.id);
  }
  return out;
}
