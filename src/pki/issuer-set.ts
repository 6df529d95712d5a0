/**
 * An immutable snapshot of a mount's issuers, keys and the configuration that shapes them
 * (default issuer/key, AIA URLs, cluster paths). Loaded from storage in one pass, it resolves
 * references the way Vault does, computes chains, and hands out PreparedIssuers (built on first
 * use and kept until the snapshot is replaced after a change).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { LogicalError } from '../core/logical.js';
import type { StorageView } from '../core/storage-view.js';
import { isSignedBy, parseCertificate, type ParsedCertificate } from './cert-parse.js';
import { prepareIssuer, type AiaUrls, type IssuerUsage, type PreparedIssuer } from './issuer-prep.js';
import { decodeFirstPem } from './pem.js';
import { spkiDer } from './keys.js';
import { emptyUrls, PATH, type ClusterConfig, type IssuerRecord, type IssuersConfig, type KeyRecord, type KeysConfig, type UrlsConfig } from './records.js';
import { createPublicKey } from 'node:crypto';

export interface LoadedIssuer {
  rec: IssuerRecord;
  cert: ParsedCertificate;
  der: Buffer;
}

export interface LoadedKey {
  rec: KeyRecord;
  key: KeyObject;
  spki: Buffer;
}

const UUID_LEN = 36;

export class IssuerSet {
  readonly issuers = new Map<string, LoadedIssuer>();
  readonly keys = new Map<string, LoadedKey>();
  issuersConfig: IssuersConfig = { default: '', default_follows_latest_issuer: false };
  keysConfig: KeysConfig = { default: '' };
  urls: UrlsConfig = emptyUrls();
  cluster: ClusterConfig = { path: '', aia_path: '' };
  private readonly chains = new Map<string, string[]>();
  private readonly prepared = new Map<string, PreparedIssuer>();

  static async load(storage: StorageView): Promise<IssuerSet> {
    const s = new IssuerSet();
    const [issuerIds, keyIds] = await Promise.all([storage.list(PATH.issuer), storage.list(PATH.key)]);
    await Promise.all([
      ...keyIds.map(async (id) => {
        const rec = await storage.getJson<KeyRecord>(PATH.key + id);
        if (!rec) return;
        const key = createPrivateKey(rec.private_key);
        s.keys.set(rec.id, { rec, key, spki: spkiDer(createPublicKey(key)) });
      }),
      ...issuerIds.map(async (id) => {
        const rec = await storage.getJson<IssuerRecord>(PATH.issuer + id);
        if (!rec) return;
        const block = decodeFirstPem(rec.certificate);
        if (!block) throw new Error(`stored issuer ${id} has no certificate`);
        s.issuers.set(rec.id, { rec, cert: parseCertificate(block.block.der), der: block.block.der });
      }),
    ]);
    s.issuersConfig = (await storage.getJson<IssuersConfig>(PATH.issuersConfig)) ?? s.issuersConfig;
    s.keysConfig = (await storage.getJson<KeysConfig>(PATH.keysConfig)) ?? s.keysConfig;
    s.urls = { ...emptyUrls(), ...((await storage.getJson<UrlsConfig>(PATH.urls)) ?? {}) };
    s.cluster = (await storage.getJson<ClusterConfig>(PATH.cluster)) ?? s.cluster;
    s.buildChains();
    return s;
  }

  /** Issuers ordered by creation (stable listings). */
  orderedIssuers(): LoadedIssuer[] {
    return [...this.issuers.values()].sort((a, b) => a.rec.created - b.rec.created || (a.rec.id < b.rec.id ? -1 : 1));
  }

  /** Chains: manual_chain when set, else self then parents found by signature (first match). */
  private buildChains(): void {
    for (const [id, li] of this.issuers) {
      if (li.rec.manual_chain && li.rec.manual_chain.length > 0) {
        this.chains.set(id, li.rec.manual_chain.filter((c) => this.issuers.has(c)));
        continue;
      }
      const chain = [id];
      let cur = li;
      const seen = new Set([id]);
      for (;;) {
        if (cur.cert.issuerDer.equals(cur.cert.subjectDer) && isSignedBy(cur.cert, cur.cert)) break;
        const parent = this.orderedIssuers().find((p) => !seen.has(p.rec.id) && isSignedBy(cur.cert, p.cert));
        if (!parent) break;
        chain.push(parent.rec.id);
        seen.add(parent.rec.id);
        cur = parent;
      }
      this.chains.set(id, chain);
    }
  }

  chainIds(id: string): string[] {
    return this.chains.get(id) ?? [id];
  }

  chainPems(id: string): string[] {
    return this.chainIds(id).map((c) => trimPem(this.issuers.get(c)!.rec.certificate));
  }

  /** Vault's resolveIssuerReference. Throws LogicalError (400) with Vault's message. */
  resolveIssuer(ref: string): string {
    if (ref === 'default') {
      if (!this.issuersConfig.default || !this.issuers.has(this.issuersConfig.default)) throw new LogicalError('no default issuer currently configured');
      return this.issuersConfig.default;
    }
    if (ref.length === UUID_LEN && this.issuers.has(ref)) return ref;
    for (const [id, li] of this.issuers) if (li.rec.name !== '' && li.rec.name === ref) return id;
    throw new LogicalError(`unable to find PKI issuer for reference: ${ref}`);
  }

  resolveKey(ref: string): string {
    if (ref === 'default') {
      if (!this.keysConfig.default || !this.keys.has(this.keysConfig.default)) throw new LogicalError('no default key currently configured');
      return this.keysConfig.default;
    }
    if (ref.length === UUID_LEN && this.keys.has(ref)) return ref;
    for (const [id, lk] of this.keys) if (lk.rec.name !== '' && lk.rec.name === ref) return id;
    throw new LogicalError(`unable to find PKI key for reference: ${ref}`);
  }

  /** The key whose public half matches `spki`, if this mount holds it. */
  keyForSpki(spki: Buffer): string {
    for (const [id, lk] of this.keys) if (lk.spki.equals(spki)) return id;
    return '';
  }

  /** The AIA URLs in effect for an issuer: its own when any is set, else the mount's. */
  effectiveUrls(li: LoadedIssuer): AiaUrls {
    const own = li.rec.issuing_certificates.length + li.rec.crl_distribution_points.length + li.rec.ocsp_servers.length > 0;
    const src = own
      ? { i: li.rec.issuing_certificates, c: li.rec.crl_distribution_points, o: li.rec.ocsp_servers, t: li.rec.enable_aia_url_templating }
      : { i: this.urls.issuing_certificates, c: this.urls.crl_distribution_points, o: this.urls.ocsp_servers, t: this.urls.enable_templating };
    const expand = (u: string): string => (src.t ? this.expandTemplate(u, li.rec.id) : u);
    return { issuingCertificates: src.i.map(expand), crlDistributionPoints: src.c.map(expand), ocspServers: src.o.map(expand) };
  }

  expandTemplate(url: string, issuerId: string): string {
    return url
      .replaceAll('{{issuer_id}}', issuerId)
      .replaceAll('{{cluster_path}}', this.cluster.path)
      .replaceAll('{{cluster_aia_path}}', this.cluster.aia_path || this.cluster.path);
  }

  /** The prepared signing view of an issuer (cached for the life of this snapshot). */
  prepare(id: string): PreparedIssuer {
    let p = this.prepared.get(id);
    if (p) return p;
    const li = this.issuers.get(id);
    if (!li) throw new LogicalError(`unable to find PKI issuer for reference: ${id}`);
    const lk = li.rec.key_id ? this.keys.get(li.rec.key_id) : undefined;
    p = prepareIssuer({
      id,
      name: li.rec.name,
      keyId: li.rec.key_id,
      cert: li.cert,
      certPem: trimPem(li.rec.certificate),
      key: lk?.key,
      urls: this.effectiveUrls(li),
      chainPems: this.chainPems(id),
      chainIds: this.chainIds(id),
      behavior: li.rec.leaf_not_after_behavior,
      usage: li.rec.usage,
      revoked: li.rec.revoked,
      revocationSignatureAlgorithm: li.rec.revocation_signature_algorithm,
    });
    this.prepared.set(id, p);
    return p;
  }

  /**
   * The issuer for an issuing operation, with Vault's failure text (500, as Vault returns these
   * as plain errors): unresolvable reference, missing key, or missing usage.
   */
  issuerFor(ref: string, usage: IssuerUsage): PreparedIssuer {
    let id: string;
    try {
      id = this.resolveIssuer(ref);
    } catch (e) {
      throw new LogicalError(`could not fetch the CA certificate (was one set?): ${(e as Error).message}`, 500);
    }
    const p = this.prepare(id);
    if (!p.usage.has(usage)) {
      throw new LogicalError(
        `error fetching CA certificate: error while attempting to use issuer ${id}: requested usage ${usage} for issuer [id:${id} / name:${p.name}] but only had usage ${usageString(p.usage)}`,
        500,
      );
    }
    if (!p.key) {
      throw new LogicalError(`could not fetch the CA certificate (was one set?): unable to fetch corresponding key for issuer ${id}; unable to use this issuer for signing`, 500);
    }
    return p;
  }
}

const trimPem = (s: string): string => s.replace(/\s+$/, '');

/** Vault's usage string: comma-joined, sorted, always including read-only. */
export function usageString(u: Iterable<IssuerUsage>): string {
  const set = new Set<string>(u);
  set.add('read-only');
  return [...set].sort().join(',');
}
