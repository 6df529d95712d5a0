/**
 * The core: seal state, the mount table and the request pipeline.
 *
 *   token lookup → ACL check → router (mount, path, existence check) → backend handler
 *   → lease registration / token issue → response
 *
 * The HTTP layer (src/api) turns HTTP into a CoreRequest and renders the CoreResponse.
 */
import type { Readable } from 'node:stream';
import type { PhysicalBackend } from '../storage/physical.js';
import { AesGcmBarrier } from '../seal/barrier.js';
import {
  LogicalError,
  permissionDenied,
  type AuthResult,
  type Backend,
  type BackendFactory,
  type ConnectionInfo,
  type LogicalRequest,
  type LogicalResponse,
  type Operation,
  type PathDef,
} from './logical.js';
import { StorageView } from './storage-view.js';
import { ReadCache } from './read-cache.js';
import { MountTable, newMountEntry, routePrefix, storagePrefix, type MountEntry } from './mount-table.js';
import { PolicyStore } from './policy-store.js';
import { TokenStore, tokenHash } from './token-store.js';
import type { TokenEntry } from './token-entry.js';
import { ExpirationManager, type LeaseCountQuota, type LeaseEntry } from './expiration.js';
import { ShamirSeal } from './shamir-seal.js';
import { readStoredSealConfig, type CoreSeal, type InitRequest, type InitResult } from './seal-types.js';
import { ShareCollector } from './share-collector.js';
import { ResponseWrapper, INVALID_WRAPPING_TOKEN, type WrapInfo } from './response-wrapping.js';
import { RootGeneration, Rekey } from './quorum-ops.js';
import { computeTtl, minPositive } from './ttl.js';
import type { Logger } from '../util/logger.js';
import { uuid } from '../util/ids.js';
import type { CompiledAcl } from '../policy/acl.js';

/** The HTTP-level operation before the core refines POST into create/update. */
export type HttpOperation = 'read' | 'write' | 'delete' | 'list' | 'patch';

export interface CoreRequest {
  id?: string;
  operation: HttpOperation;
  path: string;
  data: Record<string, unknown>;
  clientToken: string;
  headers?: Record<string, string>;
  connection?: ConnectionInfo;
  wrapTtl?: number;
  rawBody?: Buffer;
  bodyStream?: Readable;
  contentType?: string;
}

export interface RenderedAuth {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: 'service' | 'batch';
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

export interface CoreResponse extends LogicalResponse {
  requestId: string;
  mountType: string;
  leaseId: string;
  leaseDuration: number;
  renewable: boolean;
  renderedAuth?: RenderedAuth;
  /** Set when the response was wrapped: the client sees only this. */
  wrapInfo?: WrapInfo;
}

export interface CoreOptions {
  physical: PhysicalBackend;
  storageType: string;
  logger: Logger;
  /** System default and max lease TTLs in seconds. */
  defaultLeaseTtl?: number;
  maxLeaseTtl?: number;
  clusterName?: string;
  apiAddr?: string;
  backends?: Record<string, BackendFactory>;
  now?: () => number;
  /** The configured seal; Shamir when absent. */
  seal?: CoreSeal;
  /** The seal being migrated away from (a `disabled` seal stanza), if any. */
  migrateFrom?: CoreSeal;
  /** Integrated storage (raft): HA hooks; absent for a single node on SQLite. */
  cluster?: ClusterHooks;
}

/**
 * What the core needs from replicated storage for HA. Only the leader with current state is
 * *active* (serves requests); other unsealed nodes are standbys that forward to it.
 */
export interface ClusterHooks {
  /** True when this node leads and has applied an entry of its own term. */
  isLeader(): boolean;
  /** Called once the barrier is unsealed, before activation (raft: start the node). */
  afterBarrierUnsealed(): Promise<void>;
  /** sys/init on a fresh cluster: called before the barrier is created (raft: bootstrap). */
  beforeInitialize(): Promise<void>;
  /** sys/init: called once the new barrier is unsealed and active (raft: persist cluster TLS). */
  afterInitialize(): Promise<void>;
  /**
   * Resolves once this node is confirmed leader by a quorum (raft ReadIndex). An active node calls
   * it before serving, so a leader that was paused and deposed cannot answer with stale state.
   */
  readBarrier(): Promise<void>;
}

/** Where a standby sends requests: written by the active node into replicated storage. */
export interface ActiveNodeRecord {
  node_id: string;
  api_addr: string;
  cluster_addr: string;
  active_time: string;
}

/** Thrown by the pipeline on a standby: the HTTP layer forwards the request (or redirects). */
export class StandbyError extends Error {
  constructor(readonly active: ActiveNodeRecord | undefined) {
    super(active ? `forward to the active node at ${active.api_addr}` : 'no active Vault instance found');
    this.name = 'StandbyError';
  }
}

/** A pending seal migration: the stored seal differs from the configured one. */
interface SealMigration {
  from: CoreSeal;
  to: CoreSeal;
  collector?: ShareCollector;
}

interface MountedBackend {
  entry: MountEntry;
  backend: Backend;
  view: StorageView;
  compiled: Array<{ re: RegExp; def: PathDef }>;
}

const SYSTEM_DEFAULT_TTL = 768 * 3600;

export class Core {
  readonly barrier: AesGcmBarrier;
  /** What every storage view reads and writes through: the barrier behind a plaintext LRU. */
  readonly store: ReadCache;
  readonly seal: CoreSeal;
  private migration: SealMigration | undefined;
  /** Unsealed and serving (always true when unsealed without a cluster). */
  private activated = false;
  nodeId = '';
  /** Why the configured seal cannot open this barrier (mismatch with no migration source), if so. */
  sealError: string | undefined;
  readonly log: Logger;
  readonly storageType: string;
  readonly now: () => number;
  readonly defaultLeaseTtl: number;
  readonly maxLeaseTtl: number;
  clusterName: string;
  clusterId = '';
  apiAddr: string;
  clusterAddr = '';
  activeTime = new Date(0);

  mounts = new MountTable();
  readonly rootGeneration: RootGeneration = new RootGeneration(this);
  readonly rekey: Rekey = new Rekey(this);
  readonly wrapping: ResponseWrapper = new ResponseWrapper(this);
  private mounted = new Map<string, MountedBackend>();
  private factories: Record<string, BackendFactory>;
  policies!: PolicyStore;
  tokens!: TokenStore;
  expiration!: ExpirationManager;
  private sysView!: StorageView;
  /** Serialises seal/unseal transitions against each other. */
  private transition: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: CoreOptions) {
    this.log = opts.logger;
    this.storageType = opts.storageType;
    this.now = opts.now ?? Date.now;
    this.defaultLeaseTtl = opts.defaultLeaseTtl ?? SYSTEM_DEFAULT_TTL;
    this.maxLeaseTtl = opts.maxLeaseTtl ?? SYSTEM_DEFAULT_TTL;
    this.clusterName = opts.clusterName ?? '';
    this.apiAddr = opts.apiAddr ?? '';
    this.barrier = new AesGcmBarrier(opts.physical);
    this.store = new ReadCache(this.barrier);
    this.seal = opts.seal ?? new ShamirSeal(opts.physical);
    this.factories = { ...(opts.backends ?? {}) };
  }

  get sealed(): boolean {
    return this.barrier.sealed;
  }

  /** Unsealed but not serving: a raft follower (requests are forwarded to the active node). */
  get standby(): boolean {
    return !this.sealed && !this.activated;
  }

  get haEnabled(): boolean {
    return this.opts.cluster !== undefined;
  }

  /** The active node's advertisement, read from (replicated) storage; never this node while it is a standby. */
  async activeNode(): Promise<ActiveNodeRecord | undefined> {
    if (this.sealed) return undefined;
    const record = await new StorageView(this.barrier, 'core/').getJson<ActiveNodeRecord>('ha/active');
    if (record && record.node_id === this.nodeId && !this.activated) return undefined; // stale: we lost leadership
    return record;
  }

  /**
   * Leadership changed (raft): become active, or step back to standby. Serialised with seal
   * transitions so a seal and a promotion cannot interleave.
   */
  async onLeadershipChange(isLeader: boolean): Promise<void> {
    await this.serialised(async () => {
      if (this.sealed) return;
      if (isLeader && !this.activated) await this.activate();
      else if (!isLeader && this.activated) {
        await this.preSeal();
        this.activated = false;
        this.log.info('core: lost leadership; now a standby');
      }
    });
  }

  /**
   * After a raft snapshot restore: the keyring in storage is the snapshot's. If our root key opens
   * it, reload everything and keep serving; if not (another cluster's snapshot), seal, so that
   * operators unseal with the snapshot's keys.
   */
  async afterSnapshotRestore(): Promise<'active' | 'sealed'> {
    return this.serialised(async () => {
      try {
        await this.barrier.reload();
      } catch {
        await this.preSeal();
        this.activated = false;
        this.barrier.seal();
        this.seal.resetProgress();
        this.log.warn('core: restored a snapshot sealed with other keys; sealed — unseal with the snapshot cluster\'s keys');
        return 'sealed';
      }
      await this.preSeal();
      await this.activate();
      return 'active';
    });
  }

  /** Loads mounts, tokens, policies and leases and starts serving. */
  private async activate(): Promise<void> {
    if (this.opts.cluster) await this.barrier.reload(); // another node may have rotated meanwhile
    this.store.clear();
    await this.postUnseal();
    this.activated = true;
    if (this.opts.cluster) {
      const record: ActiveNodeRecord = { node_id: this.nodeId, api_addr: this.apiAddr, cluster_addr: this.clusterAddr, active_time: new Date(this.now()).toISOString() };
      await new StorageView(this.store, 'core/').putJson('ha/active', record);
      this.log.info('core: this node is now the active node', { node_id: this.nodeId });
    }
  }

  registerBackend(type: string, factory: BackendFactory): void {
    this.factories[type] = factory;
  }

  isInitialized(): Promise<boolean> {
    return this.barrier.isInitialized();
  }

  // ---------------------------------------------------------------- lifecycle

  async initialize(req: InitRequest): Promise<InitResult & { rootToken: string }> {
    return this.serialised(async () => {
      if (await this.isInitialized()) throw new LogicalError('Vault is already initialized');
      await this.opts.cluster?.beforeInitialize();
      const { rootKey, result } = await this.seal.initialize(req);
      try {
        await this.barrier.initialize(rootKey);
        await this.barrier.unseal(rootKey);
        await this.setupFreshStorage();
        await this.activate();
        await this.opts.cluster?.afterInitialize();
        const token = await this.createRootToken(req.rootTokenId);
        return { ...result, rootToken: token };
      } finally {
        // Shamir stays sealed after init (operators unseal with their new shares); an
        // auto-unseal seal would unseal itself anyway, so it simply stays open.
        if (!this.seal.recoverySeal || this.sealed) {
          await this.preSeal();
          this.activated = false;
          this.barrier.seal();
        }
        rootKey.fill(0);
      }
    });
  }

  /** Compares the stored seal type with the configured one and notes a pending migration. */
  async detectSealMigration(): Promise<void> {
    const stored = await readStoredSealConfig(this.opts.physical);
    this.migration = undefined;
    this.sealError = undefined;
    if (!stored || stored.type === this.seal.type) return;
    // Leaving Shamir needs no old stanza (Vault's behaviour): the unseal shares are the credential.
    const from = this.opts.migrateFrom ?? (stored.type === 'shamir' ? new ShamirSeal(this.opts.physical) : undefined);
    if (from && from.type === stored.type) {
      this.migration = { from, to: this.seal };
      this.log.warn('core: seal migration pending; unseal with migrate=true', { from: stored.type, to: this.seal.type });
      return;
    }
    this.sealError =
      `the barrier is sealed with "${stored.type}" but the configuration has seal "${this.seal.type}"; ` +
      `to migrate, keep the old seal in the configuration marked disabled = "true" and unseal with migrate=true`;
    this.log.error('core: seal mismatch', { stored: stored.type, configured: this.seal.type });
  }

  get migrationPending(): boolean {
    return this.migration !== undefined;
  }

  /** Feeds one unseal key share (or, with `migrate`, a share of the old seal's secret). */
  async submitUnsealKey(key: Buffer, migrate = false): Promise<void> {
    await this.serialised(async () => {
      if (!this.sealed) return;
      if (this.sealError) throw new LogicalError(this.sealError);
      if (this.migration) {
        if (!migrate) throw new LogicalError('unseal with migrate=true: a seal migration is pending (the stored seal differs from the configured one)');
        await this.migrateStep(this.migration, key);
        return;
      }
      if (migrate) throw new LogicalError('seal migration is not in progress');
      const rootKey = await this.seal.addShare(key);
      if (!rootKey) return;
      await this.openBarrier(rootKey);
    });
  }

  /** Auto-unseal seals: unwraps the root key through the HSM, with no human. */
  async autoUnseal(): Promise<boolean> {
    return this.serialised(async () => {
      if (!this.sealed || !this.seal.autoUnseal || this.migration || this.sealError) return false;
      if (!(await this.isInitialized())) return false;
      await this.openBarrier(await this.seal.autoUnseal());
      return true;
    });
  }

  private async openBarrier(rootKey: Buffer): Promise<void> {
    try {
      await this.barrier.unseal(rootKey);
    } catch (e) {
      throw new LogicalError(`unable to unseal: ${(e as Error).message}`);
    } finally {
      rootKey.fill(0);
    }
    if (this.opts.cluster) {
      await this.opts.cluster.afterBarrierUnsealed();
      if (!this.opts.cluster.isLeader()) {
        this.log.info('core: unsealed as a standby');
        return; // activation follows a leadership event
      }
    }
    await this.activate();
  }

  private async migrateStep(m: SealMigration, key: Buffer): Promise<void> {
    const config = await m.from.config();
    if (!config || config.secret_threshold === 0) throw new LogicalError('the old seal has no key shares to migrate with');
    m.collector ??= new ShareCollector(config.secret_threshold);
    const shares = m.collector.add(key);
    if (!shares) return;
    m.collector = undefined;
    const unlocked = await m.from.unlockWithShares(shares);
    const rootKey = Buffer.from(unlocked.rootKey);
    try {
      await m.to.adopt(unlocked);
    } finally {
      unlocked.rootKey.fill(0);
      unlocked.shareSecret.fill(0);
    }
    this.migration = undefined;
    this.log.info('core: seal migration complete', { from: m.from.type, to: m.to.type });
    await this.openBarrier(rootKey);
  }

  async unsealProgress(): Promise<{ t: number; n: number; progress: number; nonce: string }> {
    if (this.migration) {
      const c = await this.migration.from.config();
      const col = this.migration.collector;
      return { t: c?.secret_threshold ?? 0, n: c?.secret_shares ?? 0, progress: col?.progress ?? 0, nonce: col?.nonce ?? '' };
    }
    return this.seal.progress();
  }

  resetUnsealProgress(): void {
    this.seal.resetProgress();
    this.migration?.collector?.reset();
    if (this.migration) this.migration.collector = undefined;
  }

  async sealVault(): Promise<void> {
    await this.serialised(async () => {
      if (this.sealed) return;
      await this.preSeal();
      this.activated = false;
      this.barrier.seal();
      this.log.info('core: vault is sealed');
    });
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.transition.then(fn, fn);
    this.transition = run.catch(() => undefined);
    return run;
  }

  /** First unseal of a new barrier: default mounts and cluster identity. */
  private async setupFreshStorage(): Promise<void> {
    const sys = new StorageView(this.store, 'core/');
    const mounts = [
      newMountEntry('mounts', 'cubbyhole/', 'cubbyhole', { description: 'per-token private secret storage', local: true }),
      newMountEntry('mounts', 'sys/', 'system', {
        description: 'system endpoints used for control, policy and debugging',
        config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false, passthrough_request_headers: ['Accept'] },
      }),
      newMountEntry('auth', 'token/', 'token', { description: 'token based credentials' }),
    ];
    await sys.putJson('mounts', mounts.filter((m) => m.table === 'mounts'));
    await sys.putJson('auth', mounts.filter((m) => m.table === 'auth'));
    await sys.putJson('cluster', { id: uuid(), name: this.clusterName || `vault-cluster-${uuid().slice(0, 8)}` });
  }

  private async postUnseal(): Promise<void> {
    const core = new StorageView(this.store, 'core/');
    const cluster = await core.getJson<{ id: string; name: string }>('cluster');
    this.clusterId = cluster?.id ?? '';
    if (!this.clusterName) this.clusterName = cluster?.name ?? '';
    this.sysView = new StorageView(this.store, 'sys/');
    this.policies = new PolicyStore(this.sysView.sub('policy/'));
    await this.policies.load();
    this.tokens = new TokenStore(this.sysView.sub('token/'), this.now);
    await this.tokens.load();
    this.expiration = new ExpirationManager(this.sysView.sub('expire/'), {
      revokeSecret: (lease) => this.revokeSecretLease(lease),
      revokeToken: (hash) => this.revokeTokenTree(hash),
    }, this.log, this.now);

    const entries = [
      ...((await core.getJson<MountEntry[]>('mounts')) ?? []),
      ...((await core.getJson<MountEntry[]>('auth')) ?? []),
    ];
    this.mounts = new MountTable(entries);
    this.mounted.clear();
    for (const e of entries) await this.mountBackend(e);
    for (const name of await this.sysView.list('quotas/lease-count/')) {
      const q = await this.sysView.getJson<LeaseCountQuota>(`quotas/lease-count/${name}`);
      if (q) this.expiration.setQuota(q);
    }
    // Leases load in the background: requests are served while a large lease table restores.
    const started = this.now();
    const expiration = this.expiration;
    void expiration.startRestore().then(
      (n) => this.log.info('core: leases restored', { leases: n, duration_ms: this.now() - started }),
      (e: unknown) => this.log.error('core: lease restore failed', { error: (e as Error).message }),
    );
    this.activeTime = new Date(this.now());
    this.log.info('core: vault is unsealed', { mounts: entries.length });
  }

  async setLeaseCountQuota(q: LeaseCountQuota): Promise<void> {
    await this.sysView.putJson(`quotas/lease-count/${q.name}`, q);
    this.expiration.setQuota(q);
  }

  async getLeaseCountQuota(name: string): Promise<LeaseCountQuota | undefined> {
    return this.sysView.getJson<LeaseCountQuota>(`quotas/lease-count/${name}`);
  }

  async deleteLeaseCountQuota(name: string): Promise<void> {
    await this.sysView.delete(`quotas/lease-count/${name}`);
    this.expiration.deleteQuota(name);
  }

  async listLeaseCountQuotas(): Promise<string[]> {
    return this.sysView.list('quotas/lease-count/');
  }

  private async preSeal(): Promise<void> {
    this.rootGeneration?.cancel();
    this.rekey?.cancel();
    this.expiration?.stop();
    await this.expiration?.restored.catch(() => undefined);
    await this.expiration?.idle();
    this.tokens?.unload();
    this.mounted.clear();
    this.mounts = new MountTable();
    this.store.clear();
  }

  // ---------------------------------------------------------------- mounts

  private async mountBackend(entry: MountEntry): Promise<void> {
    const factory = this.factories[entry.type];
    if (!factory) {
      this.log.error('core: no backend for mount type; mount left unserved', { path: routePrefix(entry), type: entry.type });
      return;
    }
    const backend = factory({
      mountPoint: routePrefix(entry),
      options: entry.options ?? {},
      effectiveTtls: () => this.effectiveTtls(entry),
      now: () => new Date(this.now()),
    });
    const view = new StorageView(this.store, storagePrefix(entry));
    await backend.initialize?.(view);
    const compiled = backend.paths.map((def) => ({ re: new RegExp(`^(?:${def.pattern})$`), def }));
    this.mounted.set(routePrefix(entry), { entry, backend, view, compiled });
  }

  effectiveTtls(entry: MountEntry): { defaultLeaseTtl: number; maxLeaseTtl: number } {
    const max = entry.config.max_lease_ttl || this.maxLeaseTtl;
    const def = Math.min(entry.config.default_lease_ttl || this.defaultLeaseTtl, max);
    return { defaultLeaseTtl: def, maxLeaseTtl: max };
  }

  private async persistMounts(): Promise<void> {
    const core = new StorageView(this.store, 'core/');
    await core.putJson('mounts', this.mounts.toJSON('mounts'));
    await core.putJson('auth', this.mounts.toJSON('auth'));
  }

  async mount(entry: MountEntry): Promise<void> {
    const prefix = routePrefix(entry);
    this.mounts.assertMountable(prefix, entry.table);
    if (!this.factories[entry.type]) {
      throw new LogicalError(`plugin not found in the catalog: ${entry.type}`);
    }
    this.mounts.add(entry);
    try {
      await this.mountBackend(entry);
      await this.persistMounts();
    } catch (e) {
      this.mounts.remove(prefix);
      this.mounted.delete(prefix);
      throw e;
    }
  }

  async unmount(prefix: string): Promise<void> {
    const m = this.mounted.get(prefix);
    const entry = this.mounts.get(prefix);
    if (!entry) return;
    if (['system', 'token', 'cubbyhole'].includes(entry.type)) {
      throw new LogicalError(`cannot unmount "${prefix}"`);
    }
    await this.expiration.revokePrefix(prefix, true);
    if (m) {
      await m.backend.cleanup?.(m.view);
      await m.view.clear();
    }
    this.mounts.remove(prefix);
    this.mounted.delete(prefix);
    await this.persistMounts();
  }

  async remount(from: string, to: string): Promise<void> {
    const entry = this.mounts.get(from);
    if (!entry) throw new LogicalError(`no matching mount at "${from}"`);
    if (['system', 'token', 'cubbyhole'].includes(entry.type)) throw new LogicalError(`cannot remount "${from}"`);
    const toTable = to.startsWith('auth/') ? 'auth' : 'mounts';
    if (toTable !== entry.table) throw new LogicalError('cannot remount between secret engines and auth methods');
    const newPath = toTable === 'auth' ? to.slice('auth/'.length) : to;
    this.mounts.assertMountable(to, toTable);
    await this.expiration.revokePrefix(from, true);
    this.mounts.remove(from);
    this.mounted.delete(from);
    const moved = { ...entry, path: newPath };
    this.mounts.add(moved);
    await this.mountBackend(moved);
    await this.persistMounts();
  }

  async tuneMount(prefix: string, patch: (e: MountEntry) => MountEntry): Promise<void> {
    const entry = this.mounts.get(prefix);
    if (!entry) throw new LogicalError(`no mount entry found at "${prefix}"`);
    const next = patch(entry);
    this.mounts.add(next);
    const m = this.mounted.get(prefix);
    if (m) m.entry = next;
    if (JSON.stringify(next.options) !== JSON.stringify(entry.options)) await this.mountBackend(next);
    await this.persistMounts();
  }

  // ---------------------------------------------------------------- tokens

  /** Token lookup for a request; undefined when absent or invalid. */
  async lookupToken(token: string): Promise<TokenEntry | undefined> {
    if (token === '') return undefined;
    return this.tokens.lookup(token);
  }

  aclFor(token: TokenEntry): CompiledAcl {
    return this.policies.acl(token.policies);
  }

  /** Revokes a token, its descendants, their leases and cubbyholes. */
  async revokeTokenTree(hash: string): Promise<void> {
    // Depth-first, children before parents, iterative so deep trees cannot blow the stack.
    const order: string[] = [];
    const stack = [hash];
    while (stack.length > 0) {
      const h = stack.pop()!;
      order.push(h);
      for (const child of await this.tokens.children(h)) stack.push(child);
    }
    for (const h of order.reverse()) await this.revokeOneToken(h);
  }

  async revokeOneToken(hash: string): Promise<void> {
    for (const leaseId of await this.expiration.leasesOfToken(hash)) {
      const lease = await this.expiration.get(leaseId);
      if (!lease) continue;
      if (lease.kind === 'secret') await this.expiration.revoke(leaseId, true);
      else await this.expiration.forget(lease);
    }
    const cubby = this.mounts.all('mounts').find((m) => m.type === 'cubbyhole');
    if (cubby) await new StorageView(this.store, storagePrefix(cubby)).clear(`${hash}/`);
    await this.tokens.remove(hash);
  }

  /** Creates a token and, if it expires, its lease. Used by token/create and by logins. */
  async issueToken(params: Parameters<TokenStore['create']>[0]): Promise<{ token: string; entry: TokenEntry }> {
    const expiring = params.type === 'service' && params.ttl > 0;
    const leasePath = params.path.replace(/\/+$/, '');
    if (expiring) this.expiration.assertQuota(`${leasePath}/`);
    const issued = await this.tokens.create(params);
    if (expiring && issued.entry.expireTime > 0) {
      const hash = tokenHash(issued.token);
      try {
        await this.expiration.register({
          leaseId: `${leasePath}/${hash}`,
          kind: 'token',
          mountPoint: 'auth/token/',
          path: params.path,
          data: {},
          internalData: {},
          tokenHash: hash,
          issueTime: issued.entry.creationTime,
          expireTime: issued.entry.expireTime,
          lastRenewalTime: 0,
          renewable: issued.entry.renewable,
          maxExpireTime: 0,
        });
      } catch (e) {
        // A token must never outlive a lease that failed to register (e.g. a quota filled meanwhile).
        await this.tokens.remove(hash);
        throw e;
      }
    }
    return issued;
  }

  /**
   * Asks the auth method that issued a login token whether it may be renewed, and within which
   * TTLs (its mount's, narrowed by the role/user). Tokens from auth/token/ have no such check.
   */
  async checkAuthRenewal(entry: TokenEntry, connection: ConnectionInfo): Promise<{ defaultTtl: number; maxTtl: number; roleTtl: number }> {
    const mount = entry.path.startsWith('auth/token/') ? undefined : this.mounts.match(entry.path);
    const m = mount ? this.mounted.get(routePrefix(mount)) : undefined;
    const tokenMount = this.mounts.get('auth/token/');
    const base = m ? this.effectiveTtls(m.entry) : tokenMount ? this.effectiveTtls(tokenMount) : { defaultLeaseTtl: this.defaultLeaseTtl, maxLeaseTtl: this.maxLeaseTtl };
    if (!m && mount) throw new LogicalError('the auth method that issued this token is no longer mounted');
    const res = m?.backend.renewAuth
      ? await m.backend.renewAuth({
          path: entry.path.slice(routePrefix(m.entry).length),
          metadata: entry.meta,
          policies: entry.policies,
          internalData: entry.internalData ?? {},
          issueTime: new Date(entry.creationTime),
          storage: m.view,
          connection,
        })
      : undefined;
    return {
      defaultTtl: base.defaultLeaseTtl,
      maxTtl: minPositive(res?.maxTtl ?? 0, base.maxLeaseTtl),
      // The role's/user's current TTL wins over the one the token was created with (Vault).
      roleTtl: res?.ttl && res.ttl > 0 ? Math.min(res.ttl, base.maxLeaseTtl) : 0,
    };
  }

  /** A root token: no parent, no TTL, not renewable (init and generate-root). */
  async createRootToken(id?: string): Promise<string> {
    const { token } = await this.tokens.create({
      parentHash: '',
      policies: ['root'],
      displayName: 'root',
      ttl: 0,
      renewable: false,
      type: 'service',
      path: 'auth/token/root',
      ...(id ? { id } : {}),
    });
    return token;
  }

  renderAuth(token: string, entry: TokenEntry): RenderedAuth {
    const remaining = entry.expireTime === 0 ? 0 : Math.max(0, Math.round((entry.expireTime - this.now()) / 1000));
    return {
      client_token: token,
      accessor: entry.accessor,
      policies: entry.policies,
      token_policies: entry.policies,
      metadata: Object.keys(entry.meta).length === 0 ? null : entry.meta,
      lease_duration: remaining,
      renewable: entry.renewable,
      entity_id: entry.entityId,
      token_type: entry.type,
      orphan: entry.orphan,
      mfa_requirement: null,
      num_uses: Math.max(0, entry.numUses),
    };
  }

  // ---------------------------------------------------------------- leases

  private async revokeSecretLease(lease: LeaseEntry): Promise<void> {
    const m = this.mounted.get(lease.mountPoint);
    if (!m?.backend.revokeSecret) return;
    await m.backend.revokeSecret({
      leaseId: lease.leaseId,
      path: lease.path,
      data: lease.data,
      internalData: lease.internalData,
      issueTime: new Date(lease.issueTime),
      storage: m.view,
    });
  }

  async renewLease(leaseId: string, increment: number): Promise<{ lease: LeaseEntry; warnings: string[] }> {
    const lease = await this.expiration.get(leaseId);
    if (!lease) throw new LogicalError('lease not found');
    if (lease.kind === 'token') throw new LogicalError('tokens cannot be renewed through this endpoint');
    const now = this.now();
    if (lease.expireTime !== 0 && lease.expireTime <= now) throw new LogicalError('lease expired');
    if (!lease.renewable) throw new LogicalError('lease is not renewable');
    const m = this.mounted.get(lease.mountPoint);
    if (!m?.backend.renewSecret) throw new LogicalError('lease is not renewable');
    const { defaultLeaseTtl, maxLeaseTtl } = this.effectiveTtls(m.entry);
    const res = await m.backend.renewSecret(
      { leaseId, path: lease.path, data: lease.data, internalData: lease.internalData, issueTime: new Date(lease.issueTime), storage: m.view },
      increment,
    );
    const warnings = [...(res.warnings ?? [])];
    let ttl = res.ttl > 0 ? res.ttl : increment > 0 ? increment : defaultLeaseTtl;
    const cap = lease.issueTime + maxLeaseTtl * 1000;
    const maxCap = lease.maxExpireTime > 0 ? Math.min(cap, lease.maxExpireTime) : cap;
    if (now + ttl * 1000 > maxCap) {
      ttl = Math.max(0, Math.floor((maxCap - now) / 1000));
      warnings.push('TTL of the lease was capped by the effective max TTL');
    }
    const next = { ...lease, expireTime: now + ttl * 1000, lastRenewalTime: now };
    await this.expiration.update(next);
    return { lease: next, warnings };
  }

  // ---------------------------------------------------------------- requests

  /** The request pipeline. Throws LogicalError for refusals; anything else is a 500. */
  async handle(input: CoreRequest): Promise<CoreResponse> {
    const requestId = input.id ?? uuid();
    if (this.sealed) throw new LogicalError('Vault is sealed', 503);
    if (!this.activated) throw new StandbyError(await this.activeNode());
    if (this.opts.cluster) {
      try {
        await this.opts.cluster.readBarrier();
      } catch {
        // Deposed or cut off: the stored active record may still name us; never forward to ourselves.
        const active = await this.activeNode();
        if (!active || active.node_id === this.nodeId) throw new LogicalError('no active Vault instance found', 503);
        throw new StandbyError(active);
      }
    }

    const path = input.operation === 'list' && !input.path.endsWith('/') ? input.path + '/' : input.path;
    const entry = this.mounts.match(path);
    const m = entry ? this.mounted.get(routePrefix(entry)) : undefined;
    if (!entry || !m) throw new LogicalError(`no handler for route "${input.path}". route entry not found.`, 404);
    const mountPoint = routePrefix(entry);
    const relativePath = path.length > mountPoint.length ? path.slice(mountPoint.length) : '';

    let matched: { def: PathDef; params: Record<string, string> } | undefined;
    for (const { re, def } of m.compiled) {
      const hit = re.exec(relativePath);
      if (hit) {
        matched = { def, params: { ...(hit.groups ?? {}) } };
        break;
      }
    }

    // Token and ACL first: an unauthenticated caller learns nothing about which paths exist.
    const unauthenticated = matched?.def.unauthenticated === true;
    let token: TokenEntry | undefined;
    if (!unauthenticated || input.clientToken !== '') {
      token = await this.lookupToken(input.clientToken);
      // Vault answers a spent or bogus wrapping token on unwrap with 400, not the usual 403.
      if (!token && path === 'sys/wrapping/unwrap' && input.clientToken !== '') throw new LogicalError(INVALID_WRAPPING_TOKEN);
      if (!token && !unauthenticated) {
        throw new LogicalError(input.clientToken === '' ? 'permission denied' : '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n', 403);
      }
    }

    if (!matched) throw new LogicalError('unsupported path', 404);
    const { def, params } = matched;

    // Built once and filled in place: this object is on every request's path.
    const req: LogicalRequest = {
      id: requestId,
      operation: 'read',
      path,
      mountPoint,
      relativePath,
      data: input.data,
      params,
      clientToken: input.clientToken,
      storage: entry.type === 'cubbyhole' && token ? m.view.sub(`${this.tokens.hashOf(token) || 'batch'}/`) : m.view,
      headers: input.headers ?? {},
      connection: input.connection ?? { remoteAddress: '', remotePort: 0 },
    };
    if (token) req.token = token;
    if (input.wrapTtl !== undefined) req.wrapTtl = input.wrapTtl;
    if (input.rawBody !== undefined) req.rawBody = input.rawBody;
    if (input.bodyStream !== undefined) req.bodyStream = input.bodyStream;
    if (input.contentType !== undefined) req.contentType = input.contentType;
    const op = await this.refineOperation(input.operation, def, req);
    const handler = def.operations[op] ?? (op === 'create' ? def.operations.update : op === 'update' ? def.operations.create : undefined);
    if (!handler) throw new LogicalError('unsupported operation', 405);
    req.operation = op;

    if (token && !unauthenticated) {
      if (entry.type === 'cubbyhole' && token.type === 'batch') throw new LogicalError('cubbyhole operations are not supported with batch tokens');
      const acl = this.aclFor(token);
      const verdict = acl.allowOperation({
        path,
        operation: op,
        data: input.data,
        ...(input.wrapTtl !== undefined ? { wrapTtl: input.wrapTtl } : {}),
        rootProtected: def.rootProtected === true,
      });
      if (!verdict.allowed) throw permissionDenied();
      req.hasSudo = verdict.rootPrivs;
      if (token.numUses !== 0 && token.type === 'service') {
        const hash = this.tokens.hashOf(token);
        const use = await this.tokens.useToken(hash);
        if (!use.ok) throw new LogicalError('2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n', 403);
        if (use.exhausted) this.afterResponse(() => this.revokeTokenTree(hash));
      }
    } else if (token) {
      req.hasSudo = this.aclFor(token).allowOperation({ path, operation: op, rootProtected: true }).rootPrivs;
    }

    const res = (await handler(req)) ?? undefined;
    const out = await this.finishResponse(requestId, req, m, res ?? {}, token);
    if (input.wrapTtl !== undefined && input.wrapTtl > 0 && isWrappable(out)) return this.wrapping.wrapResponse(out, input.wrapTtl, path);
    return out;
  }

  private pendingAfter: Array<() => Promise<void>> = [];
  private afterResponse(fn: () => Promise<void>): void {
    this.pendingAfter.push(fn);
    setImmediate(() => {
      const fns = this.pendingAfter.splice(0);
      for (const f of fns) f().catch((e: unknown) => this.log.error('deferred work failed', { error: (e as Error).message }));
    });
  }

  private async refineOperation(op: HttpOperation, def: PathDef, req: LogicalRequest): Promise<Operation> {
    switch (op) {
      case 'read':
        return 'read';
      case 'list':
        return 'list';
      case 'delete':
        return 'delete';
      case 'patch':
        return 'patch';
      case 'write':
        if (!def.existenceCheck) return def.operations.create && !def.operations.update ? 'create' : 'update';
        return (await def.existenceCheck({ ...req, operation: 'update' })) ? 'update' : 'create';
    }
  }

  private async finishResponse(
    requestId: string,
    req: LogicalRequest,
    m: MountedBackend,
    res: LogicalResponse,
    token: TokenEntry | undefined,
  ): Promise<CoreResponse> {
    // The handler's response object is fresh and ours: extend it in place rather than copy it.
    const out = res as CoreResponse;
    out.requestId = requestId;
    out.mountType = m.entry.type;
    out.leaseId = '';
    out.leaseDuration = 0;
    out.renewable = false;
    if (!res.secret && !res.auth && !res.renewedLease && !res.issuedToken) return out;
    const warnings = res.warnings ? [...res.warnings] : [];
    const { defaultLeaseTtl, maxLeaseTtl } = this.effectiveTtls(m.entry);

    if (res.secret) {
      if (res.secret.internalData?.['kvPassthrough'] === true) {
        out.leaseDuration = res.secret.ttl > 0 ? res.secret.ttl : defaultLeaseTtl;
      } else if (token) {
        const max = minPositive(res.secret.maxTtl ?? 0, maxLeaseTtl);
        const { ttl, warnings: w } = computeTtl({ requested: res.secret.ttl, defaultTtl: defaultLeaseTtl, maxTtl: max });
        warnings.push(...w);
        const now = this.now();
        const leaseId = this.expiration.newLeaseId(m.entry.table === 'auth' ? `auth/${m.entry.path}` : m.entry.path, req.relativePath);
        await this.expiration.register({
          leaseId,
          kind: 'secret',
          mountPoint: routePrefix(m.entry),
          path: req.relativePath,
          data: res.data ?? {},
          internalData: res.secret.internalData ?? {},
          tokenHash: this.tokens.hashOf(token),
          issueTime: now,
          expireTime: now + ttl * 1000,
          lastRenewalTime: 0,
          renewable: res.secret.renewable,
          maxExpireTime: now + max * 1000,
        });
        out.leaseId = leaseId;
        out.leaseDuration = ttl;
        out.renewable = res.secret.renewable;
      }
    }

    if (res.auth && m.entry.type !== 'token') {
      const issued = await this.loginToken(res.auth, m.entry, warnings);
      out.renderedAuth = this.renderAuth(issued.token, issued.entry);
    }
    if (res.renewedLease) {
      out.leaseId = res.renewedLease.leaseId;
      out.renewable = res.renewedLease.renewable;
      out.leaseDuration = res.renewedLease.leaseDuration;
    }
    if (res.issuedToken) out.renderedAuth = this.renderAuth(res.issuedToken.token, res.issuedToken.entry);
    out.warnings = warnings.length > 0 ? warnings : undefined;
    return out;
  }

  /** Turns an auth method's login result into an orphan token (Vault: login tokens are orphans). */
  private async loginToken(auth: AuthResult, entry: MountEntry, warnings: string[]): Promise<{ token: string; entry: TokenEntry }> {
    const { defaultLeaseTtl, maxLeaseTtl } = this.effectiveTtls(entry);
    const policies = normalisePolicies(auth.policies, auth.noDefaultPolicy === true);
    const { ttl, warnings: w } = computeTtl({
      requested: auth.ttl ?? 0,
      defaultTtl: defaultLeaseTtl,
      maxTtl: minPositive(auth.maxTtl ?? 0, maxLeaseTtl),
      explicitMaxTtl: auth.explicitMaxTtl ?? 0,
      period: auth.period ?? 0,
    });
    warnings.push(...w);
    const mountName = entry.path.replace(/\/$/, '');
    const type = auth.tokenType === 'batch' ? 'batch' : 'service';
    return this.issueToken({
      parentHash: '',
      policies,
      meta: auth.metadata ?? {},
      displayName: auth.displayName ? `${mountName}-${auth.displayName}` : mountName,
      numUses: auth.numUses ?? 0,
      ttl,
      explicitMaxTtl: auth.explicitMaxTtl ?? 0,
      period: auth.period ?? 0,
      renewable: auth.renewable ?? true,
      type,
      path: `auth/${entry.path}login`,
      ...(auth.boundCidrs ? { boundCidrs: auth.boundCidrs } : {}),
      ...(auth.internalData ? { internalData: auth.internalData } : {}),
    });
  }
}

/** Only responses that carry something (not raw bytes, bare JSON or nothing at all) are wrapped. */
function isWrappable(res: CoreResponse): boolean {
  if (res.raw || res.bareJson !== undefined || res.statusCode !== undefined) return false;
  return (res.data !== undefined && res.data !== null) || res.renderedAuth !== undefined;
}

/** Lower-cased, deduplicated, sorted; `default` added unless excluded; `root` stands alone. */
export function normalisePolicies(policies: string[], noDefault: boolean): string[] {
  const set = new Set(policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''));
  if (set.has('root')) return ['root'];
  if (!noDefault) set.add('default');
  return [...set].sort();
}
