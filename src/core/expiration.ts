/**
 * The expiration (lease) manager: every leased secret and every expiring token has a lease record
 * in storage and a place in one in-memory heap; a single timer wakes for the earliest expiry and
 * revokes what is due in bounded batches. Records survive restarts and are restored at unseal.
 */
import type { StorageView } from './storage-view.js';
import type { TxnOp } from '../storage/physical.js';
import { LeaseHeap } from './lease-heap.js';
import { LogicalError } from './logical.js';
import { randomBase62 } from '../util/ids.js';
import type { Logger } from '../util/logger.js';

export interface LeaseEntry {
  leaseId: string;
  kind: 'secret' | 'token';
  /** Mount route prefix the lease belongs to (e.g. `secret/`, `auth/token/`). */
  mountPoint: string;
  /** Request path that created it, without the mount prefix. */
  path: string;
  data: Record<string, unknown>;
  internalData: Record<string, unknown>;
  /** Hash of the token the secret was issued to (kind secret), or the token itself (kind token). */
  tokenHash: string;
  issueTime: number;
  expireTime: number;
  lastRenewalTime: number;
  renewable: boolean;
  /** Absolute cap for renewals (unix ms); 0 = none. */
  maxExpireTime: number;
}

/** `sys/quotas/lease-count/<name>`: at most `maxLeases` live leases under `path` ('' = all). */
export interface LeaseCountQuota {
  name: string;
  path: string;
  maxLeases: number;
}

export interface LeaseRevoker {
  revokeSecret(lease: LeaseEntry): Promise<void>;
  revokeToken(tokenHash: string): Promise<void>;
}

/** Lease ids are paths; keep them storage-safe. */
function assertLeaseId(id: string): void {
  if (id === '' || id.startsWith('/') || id.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new LogicalError('invalid lease ID');
  }
}

const BATCH = 256;

export class ExpirationManager {
  private heap = new LeaseHeap();
  private readonly quotas = new Map<string, LeaseCountQuota>();
  /** Live lease count per quota name (kept exact through register/forget/restore). */
  private readonly quotaCounts = new Map<string, number>();
  /** Resolves when the restore that started at unseal has loaded every lease. */
  restored: Promise<number> = Promise.resolve(0);
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining: Promise<void> = Promise.resolve();

  constructor(
    private readonly view: StorageView,
    private readonly revoker: LeaseRevoker,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.heap.size;
  }

  /**
   * Restores every lease into the heap and starts the timer. Reads only the `by-time/` index keys
   * (expiry and id are in the key, no values are decrypted) and yields to the event loop every few
   * thousand entries, so requests keep being served while 100k leases load.
   */
  async restore(): Promise<number> {
    this.heap = new LeaseHeap();
    for (const name of this.quotaCounts.keys()) this.quotaCounts.set(name, 0);
    const keys = await this.view.list('by-time/');
    let n = 0;
    for (const key of keys) {
      const parsed = parseTimeKey(key);
      if (!parsed) continue;
      this.heap.set(parsed.leaseId, parsed.expireTime);
      this.countLease(parsed.leaseId, 1);
      if (++n % 5000 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    this.running = true;
    this.schedule();
    return n;
  }

  /** Starts the restore in the background (unseal does not wait for it). */
  startRestore(): Promise<number> {
    this.restored = this.restore();
    return this.restored;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap = new LeaseHeap();
  }

  newLeaseId(mountPoint: string, path: string): string {
    return `${mountPoint}${path}`.replace(/\/+$/, '') + '/' + randomBase62(24);
  }

  async register(lease: LeaseEntry): Promise<void> {
    assertLeaseId(lease.leaseId);
    // Reserve the quota slot before the write so concurrent registrations cannot overshoot.
    this.reserveQuota(lease.leaseId);
    const ops: TxnOp[] = [{ op: 'put', key: `id/${lease.leaseId}`, value: json(lease) }];
    if (lease.tokenHash !== '') ops.push({ op: 'put', key: `token/${lease.tokenHash}/${escape(lease.leaseId)}`, value: Buffer.alloc(0) });
    if (lease.expireTime > 0) ops.push({ op: 'put', key: timeKey(lease.expireTime, lease.leaseId), value: Buffer.alloc(0) });
    try {
      await this.view.txn(ops);
    } catch (e) {
      this.countLease(lease.leaseId, -1);
      throw e;
    }
    if (lease.expireTime > 0) {
      this.heap.set(lease.leaseId, lease.expireTime);
      this.schedule();
    }
  }

  async get(leaseId: string): Promise<LeaseEntry | undefined> {
    try {
      assertLeaseId(leaseId);
    } catch {
      return undefined;
    }
    return this.view.getJson<LeaseEntry>(`id/${leaseId}`);
  }

  async update(lease: LeaseEntry): Promise<void> {
    const old = await this.get(lease.leaseId);
    const ops: TxnOp[] = [{ op: 'put', key: `id/${lease.leaseId}`, value: json(lease) }];
    if (old && old.expireTime > 0 && old.expireTime !== lease.expireTime) ops.push({ op: 'delete', key: timeKey(old.expireTime, lease.leaseId) });
    if (lease.expireTime > 0) ops.push({ op: 'put', key: timeKey(lease.expireTime, lease.leaseId), value: Buffer.alloc(0) });
    await this.view.txn(ops);
    if (lease.expireTime > 0) this.heap.set(lease.leaseId, lease.expireTime);
    else this.heap.delete(lease.leaseId);
    this.schedule();
  }

  /** Revokes one lease: the backend first, then the record (a failed backend revoke keeps the record unless forced). */
  async revoke(leaseId: string, force = false): Promise<void> {
    const lease = await this.get(leaseId);
    if (!lease) return;
    try {
      if (lease.kind === 'secret') await this.revoker.revokeSecret(lease);
      else await this.revoker.revokeToken(lease.tokenHash);
    } catch (e) {
      if (!force) throw e;
      this.log.warn('forced lease revocation ignored a backend error', { lease_id: leaseId, error: (e as Error).message });
    }
    await this.forget(lease);
  }

  /** Deletes the lease records without calling the backend. */
  async forget(lease: LeaseEntry): Promise<void> {
    const ops: TxnOp[] = [{ op: 'delete', key: `id/${lease.leaseId}` }];
    if (lease.tokenHash !== '') ops.push({ op: 'delete', key: `token/${lease.tokenHash}/${escape(lease.leaseId)}` });
    if (lease.expireTime > 0) ops.push({ op: 'delete', key: timeKey(lease.expireTime, lease.leaseId) });
    await this.view.txn(ops);
    if (this.heap.delete(lease.leaseId) || lease.expireTime === 0) this.countLease(lease.leaseId, -1);
  }

  // ---------------------------------------------------------------- lease-count quotas

  setQuota(q: LeaseCountQuota): void {
    this.quotas.set(q.name, q);
    let count = 0;
    for (const id of this.heap.keys()) if (id.startsWith(q.path)) count++;
    this.quotaCounts.set(q.name, count);
  }

  deleteQuota(name: string): void {
    this.quotas.delete(name);
    this.quotaCounts.delete(name);
  }

  quotaUsage(name: string): number {
    return this.quotaCounts.get(name) ?? 0;
  }

  private countLease(leaseId: string, delta: number): void {
    for (const q of this.quotas.values()) {
      if (leaseId.startsWith(q.path)) this.quotaCounts.set(q.name, Math.max(0, (this.quotaCounts.get(q.name) ?? 0) + delta));
    }
  }

  /** Throws 429 when a quota covering `leaseId` is full. */
  assertQuota(leaseId: string): void {
    for (const q of this.quotas.values()) {
      if (leaseId.startsWith(q.path) && (this.quotaCounts.get(q.name) ?? 0) >= q.maxLeases) {
        throw new LogicalError('lease count quota exceeded', 429);
      }
    }
  }

  /** assertQuota, then counts the lease in (synchronously, so concurrent registrations cannot overshoot). */
  private reserveQuota(leaseId: string): void {
    this.assertQuota(leaseId);
    this.countLease(leaseId, 1);
  }

  /** Every lease id under a prefix (lease ids are paths). */
  async idsUnder(prefix: string): Promise<string[]> {
    const clean = prefix.replace(/^\/+/, '');
    const exact = clean.endsWith('/') ? undefined : await this.get(clean);
    if (exact) return [exact.leaseId];
    const folder = clean === '' || clean.endsWith('/') ? clean : clean + '/';
    const out: string[] = [];
    for await (const key of this.view.walk(`id/${folder}`)) out.push(key.slice('id/'.length));
    return out;
  }

  async revokePrefix(prefix: string, force = false): Promise<number> {
    const ids = await this.idsUnder(prefix);
    await runBounded(ids, 16, (id) => this.revoke(id, force));
    return ids.length;
  }

  /** Leases issued to a token (revoked with it). */
  async leasesOfToken(tokenHash: string): Promise<string[]> {
    return (await this.view.list(`token/${tokenHash}/`)).map(unescape);
  }

  async list(prefix: string): Promise<string[]> {
    return this.view.list(`id/${prefix}`);
  }

  /** Drops records whose token no longer exists (sys/leases/tidy). */
  async tidy(tokenExists: (hash: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const hash of await this.view.list('token/')) {
      const h = hash.replace(/\/$/, '');
      if (await tokenExists(h)) continue;
      for (const id of await this.leasesOfToken(h)) {
        const lease = await this.get(id);
        if (lease && lease.kind === 'secret') {
          await this.revoke(id, true);
          removed++;
        }
      }
    }
    return removed;
  }

  private schedule(): void {
    if (!this.running) return;
    const next = this.heap.peek();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!next) return;
    // setTimeout caps at 2^31-1 ms; re-arm at most hourly.
    const delay = Math.min(Math.max(0, next.expireAt - this.now()), 3_600_000);
    this.timer = setTimeout(() => void this.processExpired(), delay);
    this.timer.unref();
  }

  /** Revokes everything due now, in bounded batches (the timer calls this; tests call it directly). */
  processExpired(): Promise<void> {
    this.draining = this.draining.then(async () => {
      for (;;) {
        if (!this.running) return;
        const due = this.heap.popExpired(this.now(), BATCH);
        if (due.length === 0) break;
        await runBounded(due, 16, async (id) => {
          try {
            await this.revoke(id);
          } catch (e) {
            // Keep it and retry later rather than lose track of a credential.
            this.log.error('lease revocation failed; retrying in 10s', { lease_id: id, error: (e as Error).message });
            this.heap.set(id, this.now() + 10_000);
          }
        });
      }
      this.schedule();
    });
    return this.draining;
  }

  /** Resolves when in-flight expiry work is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.draining;
  }
}

async function runBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}

/** Index key carrying the expiry (zero-padded, so keys sort by time) and the lease id. */
function timeKey(expireTime: number, leaseId: string): string {
  return `by-time/${String(expireTime).padStart(15, '0')}.${escape(leaseId)}`;
}

function parseTimeKey(key: string): { expireTime: number; leaseId: string } | undefined {
  const dot = key.indexOf('.');
  if (dot !== 15) return undefined;
  return { expireTime: Number(key.slice(0, 15)), leaseId: unescape(key.slice(16)) };
}

const escape = (leaseId: string): string => Buffer.from(leaseId, 'utf8').toString('base64url');
const unescape = (key: string): string => Buffer.from(key, 'base64url').toString('utf8');

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}
