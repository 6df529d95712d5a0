/**
 * Revocation state of a mount: an in-memory index of revoked certificates (loaded once from
 * `revoked/`, then kept current by every revoke and tidy) and the CRLs built from it.
 *
 * A revoke never builds a CRL itself: it records the entry and marks the CRLs stale; a rebuild is
 * scheduled in the background (coalescing bursts of revokes), and a CRL fetch that finds its CRL
 * stale builds it on the spot. Each entry's DER is encoded once, so a rebuild is a concatenation
 * plus one signature. Entries whose certificate has expired fall off the next CRL.
 */
import { parseDuration } from '../config/duration.js';
import type { StorageView } from '../core/storage-view.js';
import { buildCrl, encodeCrlEntry } from './crl-builder.js';
import type { IssuerSet } from './issuer-set.js';
import { PATH, type RevokedRecord } from './records.js';
import { serialToHyphen } from './serial.js';
import { parseCertificate } from './cert-parse.js';

export interface RevokedEntry {
  hyphen: string;
  serial: Buffer;
  /** Unix seconds. */
  revocationTime: number;
  issuerId: string;
  notAfterMs: number;
  crlEntry: Buffer;
}

export interface CrlConfig {
  expiry: string;
  disable: boolean;
  ocsp_disable: boolean;
  ocsp_expiry: string;
  auto_rebuild: boolean;
  auto_rebuild_grace_period: string;
  enable_delta: boolean;
  delta_rebuild_interval: string;
  cross_cluster_revocation: boolean;
  unified_crl: boolean;
  unified_crl_on_existing_paths: boolean;
}

export const DEFAULT_CRL_CONFIG: CrlConfig = {
  expiry: '72h',
  disable: false,
  ocsp_disable: false,
  ocsp_expiry: '12h',
  auto_rebuild: false,
  auto_rebuild_grace_period: '12h',
  enable_delta: false,
  delta_rebuild_interval: '15m',
  cross_cluster_revocation: false,
  unified_crl: false,
  unified_crl_on_existing_paths: false,
};

/**
 * Background rebuilds wait a little so bursts of revokes coalesce, and longer when builds are
 * expensive so they never take more than ~5 % of the event loop (a fetch still builds at once).
 */
const MIN_REBUILD_DELAY_MS = 25;
const MAX_REBUILD_DELAY_MS = 2000;

interface BuiltCrl {
  der: Buffer;
  number: number;
  thisUpdateMs: number;
  nextUpdateMs: number;
  /** Earliest NotAfter among included entries: past it, an entry must fall off. */
  minNotAfterMs: number;
}

interface CrlNumbers {
  /** Last CRL number used, per issuer id (complete and delta CRLs share the sequence). */
  numbers: Record<string, number>;
}

export class RevocationState {
  private readonly entries = new Map<string, RevokedEntry>();
  private loaded: Promise<void> | undefined;
  private readonly complete = new Map<string, BuiltCrl>();
  private readonly delta = new Map<string, BuiltCrl>();
  /** Complete-CRL build time per issuer: delta CRLs carry what was revoked after it. */
  private readonly completeBuiltAt = new Map<string, number>();
  private staleComplete = true;
  private staleDelta = true;
  private numbers: CrlNumbers | undefined;
  private rebuilding: Promise<void> | undefined;
  private scheduled: NodeJS.Timeout | undefined;
  private closed = false;
  config: CrlConfig = { ...DEFAULT_CRL_CONFIG };
  /** Background rebuild failures, surfaced by crl/rotate and tests. */
  lastBackgroundError: Error | undefined;
  /** How many times CRLs were rebuilt (observability; lets tests see that revokes do not build). */
  rebuilds = 0;
  private lastBuildMs = 0;

  constructor(
    private readonly nowMs: () => number,
    private readonly issuers: () => Promise<IssuerSet>,
    private readonly onBackgroundError: (e: Error) => void = () => undefined,
  ) {}

  /** Loads the index and CRL config once (lazily, on first use). */
  ready(storage: StorageView): Promise<void> {
    this.loaded ??= this.load(storage).catch((e: unknown) => {
      this.loaded = undefined;
      throw e;
    });
    return this.loaded;
  }

  private async load(storage: StorageView): Promise<void> {
    this.config = { ...DEFAULT_CRL_CONFIG, ...((await storage.getJson<CrlConfig>(PATH.crlConfig)) ?? {}) };
    this.numbers = (await storage.getJson<CrlNumbers>(PATH.crlState)) ?? { numbers: {} };
    const keys = await storage.list(PATH.revoked);
    for (let i = 0; i < keys.length; i += 256) {
      const batch = keys.slice(i, i + 256);
      const recs = await Promise.all(batch.map((k) => storage.getJson<RevokedRecord>(PATH.revoked + k)));
      recs.forEach((rec, j) => {
        if (rec) this.entries.set(batch[j]!, entryFromRecord(batch[j]!, rec));
      });
    }
  }

  get(hyphen: string): RevokedEntry | undefined {
    return this.entries.get(hyphen);
  }

  list(): RevokedEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** Records a revocation (the caller has persisted it) and schedules CRL work. */
  add(e: RevokedEntry, storage: StorageView): void {
    this.entries.set(e.hyphen, e);
    this.markStale(storage);
  }

  remove(hyphen: string, storage: StorageView): void {
    if (this.entries.delete(hyphen)) this.markStale(storage);
  }

  /** CRLs must be rebuilt (issuers changed, config changed, revocations happened). */
  markStale(storage: StorageView): void {
    // With auto_rebuild, complete CRLs are rebuilt on their own schedule; revocations go into deltas.
    if (!(this.config.auto_rebuild && this.config.enable_delta)) this.staleComplete = true;
    this.staleDelta = true;
    this.scheduleRebuild(storage);
  }

  markAllStale(storage: StorageView): void {
    this.staleComplete = true;
    this.staleDelta = true;
    this.scheduleRebuild(storage);
  }

  /** Coalesces a burst of revocations into one background rebuild shortly after it. */
  private scheduleRebuild(storage: StorageView): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      if (this.closed) return;
      this.rebuildIfStale(storage).then(
        () => {
          this.lastBackgroundError = undefined;
        },
        (e: unknown) => {
          // The CRLs stay stale, so the next fetch retries the build (and reports its error).
          this.lastBackgroundError = e as Error;
          this.onBackgroundError(e as Error);
        },
      );
    }, Math.min(MAX_REBUILD_DELAY_MS, Math.max(MIN_REBUILD_DELAY_MS, this.lastBuildMs * 20)));
    this.scheduled.unref();
  }

  /** Stops background work (unmount): nothing may write into a mount being removed. */
  close(): void {
    this.closed = true;
    if (this.scheduled) clearTimeout(this.scheduled);
    this.scheduled = undefined;
  }

  private expiryMs(): number {
    return Math.max(1, parseDuration(this.config.expiry)) * 1000;
  }

  /** True when some CRL must be rebuilt before it is served. */
  private needsRebuild(): boolean {
    if (this.staleComplete || this.staleDelta) return true;
    const now = this.nowMs();
    const grace = this.config.auto_rebuild ? parseDuration(this.config.auto_rebuild_grace_period) * 1000 : 0;
    for (const b of this.complete.values()) if (now >= b.minNotAfterMs || now >= b.nextUpdateMs - grace) return true;
    return false;
  }

  async rebuildIfStale(storage: StorageView): Promise<void> {
    if (this.rebuilding) await this.rebuilding;
    if (!this.needsRebuild()) return;
    await this.rebuild(storage, false);
  }

  /** Rebuilds every CRL now (crl/rotate), one build at a time. */
  async rebuild(storage: StorageView, force: boolean): Promise<string[]> {
    while (this.rebuilding) await this.rebuilding;
    const warnings: string[] = [];
    const started = performance.now();
    const run = this.doRebuild(storage, force, warnings);
    this.rebuilding = run;
    try {
      await run;
    } finally {
      this.rebuilding = undefined;
      this.lastBuildMs = performance.now() - started;
    }
    return warnings;
  }

  private async doRebuild(storage: StorageView, force: boolean, warnings: string[]): Promise<void> {
    await this.ready(storage);
    const set = await this.issuers();
    const now = this.nowMs();
    this.rebuilds++;
    const rebuildComplete = force || this.staleComplete || [...this.complete.values()].some((b) => now >= b.minNotAfterMs || now >= b.nextUpdateMs);
    this.staleComplete = false;
    this.staleDelta = false;
    const nums = this.numbers ?? { numbers: {} };
    const groups = this.groupEntries(set, now);
    const thisUpdate = new Date(Math.floor(now / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + this.expiryMs());
    const liveIds = new Set<string>();
    for (const li of set.orderedIssuers()) {
      const id = li.rec.id;
      const prepared = set.prepare(id);
      if (!prepared.key || !prepared.usage.has('crl-signing')) continue;
      liveIds.add(id);
      const mine = this.config.disable ? [] : (groups.get(id) ?? []);
      if (rebuildComplete || !this.complete.has(id)) {
        const number = (nums.numbers[id] ?? 0) + 1;
        nums.numbers[id] = number;
        this.complete.set(id, {
          der: buildCrl({ signer: prepared.revocationSigner(), akiExt: prepared.akiExt, number, thisUpdate, nextUpdate, entries: mine.map((e) => e.crlEntry) }),
          number,
          thisUpdateMs: thisUpdate.getTime(),
          nextUpdateMs: nextUpdate.getTime(),
          minNotAfterMs: mine.reduce((m, e) => Math.min(m, e.notAfterMs), Number.POSITIVE_INFINITY),
        });
        this.completeBuiltAt.set(id, Math.floor(now / 1000));
      }
      if (this.config.enable_delta) {
        const since = this.completeBuiltAt.get(id) ?? 0;
        const fresh = mine.filter((e) => e.revocationTime >= since);
        const number = (nums.numbers[id] ?? 0) + 1;
        nums.numbers[id] = number;
        const base = this.complete.get(id)!.number;
        this.delta.set(id, {
          der: buildCrl({ signer: prepared.revocationSigner(), akiExt: prepared.akiExt, number, thisUpdate, nextUpdate, entries: fresh.map((e) => e.crlEntry), deltaBase: base }),
          number,
          thisUpdateMs: thisUpdate.getTime(),
          nextUpdateMs: nextUpdate.getTime(),
          minNotAfterMs: Number.POSITIVE_INFINITY,
        });
      } else this.delta.delete(id);
    }
    for (const id of [...this.complete.keys()]) if (!liveIds.has(id)) this.complete.delete(id);
    if (set.issuers.size > 0 && liveIds.size === 0) warnings.push('no issuer with a key and the crl-signing usage: no CRL was built');
    this.numbers = nums;
    await storage.putJson(PATH.crlState, nums);
  }

  /**
   * Revoked, unexpired entries per CRL. Issuers sharing a key share revocations (Vault builds one
   * CRL per key); entries of unknown or deleted issuers go on the default issuer's CRL.
   */
  private groupEntries(set: IssuerSet, now: number): Map<string, RevokedEntry[]> {
    const groupOf = (id: string): string => {
      const li = set.issuers.get(id);
      return li ? li.rec.key_id || `issuer:${id}` : '';
    };
    const perGroup = new Map<string, RevokedEntry[]>();
    const fallback = set.issuers.has(set.issuersConfig.default) ? groupOf(set.issuersConfig.default) : '';
    for (const e of this.entries.values()) {
      if (e.notAfterMs < now) continue;
      const g = groupOf(e.issuerId) || fallback;
      if (!g) continue;
      let list = perGroup.get(g);
      if (!list) perGroup.set(g, (list = []));
      list.push(e);
    }
    const out = new Map<string, RevokedEntry[]>();
    for (const id of set.issuers.keys()) {
      const list = perGroup.get(groupOf(id));
      if (list) out.set(id, list);
    }
    return out;
  }

  /** The current CRL (DER) for an issuer, rebuilding first if stale. */
  async crl(storage: StorageView, issuerId: string, delta: boolean): Promise<Buffer | undefined> {
    await this.ready(storage);
    await this.rebuildIfStale(storage);
    return (delta ? this.delta : this.complete).get(issuerId)?.der;
  }

  async saveConfig(storage: StorageView, c: CrlConfig): Promise<void> {
    await storage.putJson(PATH.crlConfig, c);
    this.config = c;
    this.markAllStale(storage);
  }

  /** Forget everything (mount cleared / `DELETE root`). */
  reset(): void {
    this.complete.clear();
    this.delta.clear();
    this.staleComplete = true;
    this.staleDelta = true;
  }
}

export function entryFromRecord(hyphen: string, rec: RevokedRecord): RevokedEntry {
  const der = Buffer.from(rec.certificate_bytes, 'base64');
  const cert = parseCertificate(der);
  return {
    hyphen,
    serial: cert.serial,
    revocationTime: rec.revocation_time,
    issuerId: rec.issuer_id,
    notAfterMs: cert.notAfter.getTime(),
    crlEntry: encodeCrlEntry(cert.serial, new Date(rec.revocation_time * 1000)),
  };
}

export function newRevokedEntry(der: Buffer, serial: Buffer, notAfter: Date, issuerId: string, revocationTime: number): { entry: RevokedEntry; record: RevokedRecord } {
  const hyphen = serialToHyphen(serial);
  const record: RevokedRecord = {
    certificate_bytes: der.toString('base64'),
    revocation_time: revocationTime,
    revocation_time_utc: new Date(revocationTime * 1000).toISOString(),
    issuer_id: issuerId,
  };
  return {
    record,
    entry: { hyphen, serial, revocationTime, issuerId, notAfterMs: notAfter.getTime(), crlEntry: encodeCrlEntry(serial, new Date(revocationTime * 1000)) },
  };
}
