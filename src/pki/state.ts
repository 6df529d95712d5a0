/**
 * Everything a PKI mount keeps in memory between requests: the issuer snapshot, the role cache,
 * the revocation index and CRLs, the RSA key pool, and the lock that serialises changes to
 * issuers, keys and configuration. Issuance reads the snapshots without locking.
 *
 * The caches assume this process is the only writer of the mount's storage (true for a single
 * node and for the active node of a cluster); a replicated standby would need an invalidation
 * hook that drops them.
 */
import type { BackendContext } from '../core/logical.js';
import type { StorageView } from '../core/storage-view.js';
import { IssuerSet } from './issuer-set.js';
import { PATH } from './records.js';
import { RevocationState } from './revocation.js';
import type { Role } from './roles.js';
import { RsaKeyPool } from './rsa-pool.js';
import { silentLogger, type Logger } from '../util/logger.js';

export interface PkiOptions {
  /** RSA keys kept ready per size for `issue` (0 disables the pool). */
  rsaPoolSize?: number;
  logger?: Logger;
}

export class PkiState {
  private storageView: StorageView | undefined;
  private snapshot: Promise<IssuerSet> | undefined;
  private readonly roles = new Map<string, Role | null>();
  private lockTail: Promise<unknown> = Promise.resolve();
  readonly rsaPool: RsaKeyPool;
  readonly revocation: RevocationState;

  constructor(
    readonly ctx: BackendContext,
    opts: PkiOptions = {},
  ) {
    this.rsaPool = new RsaKeyPool({ perSize: opts.rsaPoolSize ?? 2 });
    const log = opts.logger ?? silentLogger;
    this.revocation = new RevocationState(
      () => this.nowMs(),
      () => this.issuerSet(),
      (e) => log.error('background CRL rebuild failed', { mount: ctx.mountPoint, error: e.message }),
    );
  }

  nowMs(): number {
    return this.ctx.now().getTime();
  }

  bind(storage: StorageView): void {
    this.storageView ??= storage;
  }

  get storage(): StorageView {
    if (!this.storageView) throw new Error('PKI backend used before it was given storage');
    return this.storageView;
  }

  issuerSet(): Promise<IssuerSet> {
    this.snapshot ??= IssuerSet.load(this.storage).catch((e: unknown) => {
      this.snapshot = undefined;
      throw e;
    });
    return this.snapshot;
  }

  /** Drops the issuer snapshot after a change; CRLs are rebuilt against the new one. */
  issuersChanged(): void {
    this.snapshot = undefined;
    if (this.storageView) this.revocation.markAllStale(this.storageView);
  }

  /** Serialises changes to issuers, keys and configuration (Vault's issuersLock). */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.lockTail;
    let release!: () => void;
    this.lockTail = new Promise<void>((r) => (release = r));
    try {
      await prev;
      return await fn();
    } finally {
      release();
    }
  }

  async role(storage: StorageView, name: string): Promise<Role | undefined> {
    const hit = this.roles.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const r = (await storage.getJson<Role>(PATH.role + name)) ?? null;
    if (this.roles.size > 10_000) this.roles.clear();
    this.roles.set(name, r);
    return r ?? undefined;
  }

  roleChanged(name: string, role: Role | null): void {
    this.roles.set(name, role);
  }

  close(): void {
    this.rsaPool.close();
    this.revocation.close();
  }
}
