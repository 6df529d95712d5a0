/**
 * The Shamir seal: the root key is wrapped under a key-encryption key (KEK) that exists only as
 * Shamir shares held by operators. Unsealing collects shares until the threshold, combines them
 * into the KEK, unwraps the root key and hands it to the barrier. Rekey replaces the KEK and its
 * shares without touching the root key or the data.
 */
import { randomBytes } from 'node:crypto';
import type { PhysicalBackend } from '../storage/physical.js';
import { LogicalError } from './logical.js';
import { split, combine } from '../seal/shamir.js';
import { wrapKey, unwrapKey } from '../seal/key-wrap.js';
import { uuid } from '../util/ids.js';
import {
  SEAL_CONFIG_KEY,
  readStoredSealConfig,
  type CoreSeal,
  type InitRequest,
  type InitResult,
  type StoredSealConfig,
  type Unlocked,
  type UnsealProgress,
} from './seal-types.js';

export type { InitRequest, InitResult, UnsealProgress } from './seal-types.js';

export const WRAPPED_ROOT_KEY = 'core/shamir-root-key';

/** Validates share parameters exactly as Vault's sys/init does. */
export function validateShares(shares: number, threshold: number, what = 'secret'): void {
  if (shares < 1) throw new LogicalError(`invalid seal configuration: ${what} shares must be at least one`);
  if (threshold < 1) throw new LogicalError(`invalid seal configuration: ${what} threshold must be at least one`);
  if (shares > 1 && threshold === 1) throw new LogicalError(`invalid seal configuration: ${what} threshold must be greater than one for multiple shares`);
  if (shares > 255) throw new LogicalError(`invalid seal configuration: ${what} shares must be less than 256`);
  if (threshold > shares) throw new LogicalError(`invalid seal configuration: ${what} threshold cannot be larger than ${what} shares`);
}

export function splitKey(secret: Buffer, shares: number, threshold: number): Buffer[] {
  return shares === 1 ? [Buffer.from(secret)] : split(secret, shares, threshold);
}

/** Combines shares back into the secret they were split from. */
export function combineShares(shares: Buffer[], threshold: number): Buffer {
  try {
    return threshold === 1 ? Buffer.from(shares[0]!) : combine(shares);
  } catch (e) {
    throw new LogicalError(`invalid key: ${(e as Error).message}`);
  }
}

export class ShamirSeal implements CoreSeal {
  readonly type = 'shamir' as const;
  readonly recoverySeal = false;
  private shares: Buffer[] = [];
  private nonce = '';
  private cachedConfig: StoredSealConfig | undefined;

  constructor(private readonly physical: PhysicalBackend) {}

  async config(): Promise<StoredSealConfig | undefined> {
    this.cachedConfig ??= await readStoredSealConfig(this.physical);
    return this.cachedConfig;
  }

  async progress(): Promise<UnsealProgress> {
    const c = await this.config();
    return { t: c?.secret_threshold ?? 0, n: c?.secret_shares ?? 0, progress: this.shares.length, nonce: this.nonce };
  }

  resetProgress(): void {
    for (const s of this.shares) s.fill(0);
    this.shares = [];
    this.nonce = '';
  }

  /** Creates the root key and the KEK shares; persists the wrapped root key and the config. */
  async initialize(req: InitRequest): Promise<{ rootKey: Buffer; result: InitResult }> {
    validateShares(req.secretShares, req.secretThreshold);
    if ((await this.config()) !== undefined) throw new LogicalError('Vault is already initialized');
    const rootKey = randomBytes(32);
    const kek = randomBytes(32);
    const keys = splitKey(kek, req.secretShares, req.secretThreshold);
    await this.store(rootKey, kek, req.secretShares, req.secretThreshold);
    kek.fill(0);
    return { rootKey, result: { keys, recoveryKeys: [] } };
  }

  /**
   * Adds one share. Returns the root key once the threshold is reached; throws (and resets
   * progress) when the combined key does not open the wrapped root key.
   */
  async addShare(key: Buffer): Promise<Buffer | undefined> {
    const config = await this.config();
    if (!config) throw new LogicalError('Vault is not initialized');
    if (this.shares.some((s) => s.equals(key))) return undefined; // Vault ignores a repeated share
    if (this.shares.length === 0) this.nonce = uuid();
    this.shares.push(Buffer.from(key));
    if (this.shares.length < config.secret_threshold) return undefined;
    try {
      return await this.rootKeyFromShares(this.shares);
    } finally {
      this.resetProgress();
    }
  }

  async rootKeyFromShares(shares: Buffer[]): Promise<Buffer> {
    const u = await this.unlockWithShares(shares);
    u.shareSecret.fill(0);
    return u.rootKey;
  }

  /**
   * Combines a full set of shares into the KEK and unwraps the root key with it. A wrong set
   * fails authentication (AES-GCM), so this also proves the caller holds a quorum of shares.
   */
  async unlockWithShares(shares: Buffer[]): Promise<Unlocked> {
    const config = await this.config();
    if (!config) throw new LogicalError('Vault is not initialized');
    if (shares.length < config.secret_threshold) throw new LogicalError('not enough key shares');
    const kek = combineShares(shares, config.secret_threshold);
    const blob = await this.physical.get(WRAPPED_ROOT_KEY);
    if (!blob) throw new Error('no Shamir-wrapped root key in storage');
    try {
      const rootKey = unwrapKey(kek, blob, WRAPPED_ROOT_KEY);
      return { rootKey, shareSecret: kek, shares: config.secret_shares, threshold: config.secret_threshold };
    } catch {
      kek.fill(0);
      throw new LogicalError('invalid key: cipher: message authentication failed');
    }
  }

  /** Rekey, step 1: a new KEK and its shares (nothing stored yet). */
  prepareRekey(shares: number, threshold: number): { kek: Buffer; keys: Buffer[] } {
    validateShares(shares, threshold);
    const kek = randomBytes(32);
    return { kek, keys: splitKey(kek, shares, threshold) };
  }

  /** Rekey, step 2: the root key is wrapped under the new KEK; the old shares stop working. */
  async commitRekey(rootKey: Buffer, kek: Buffer, shares: number, threshold: number): Promise<void> {
    await this.store(rootKey, kek, shares, threshold);
  }

  /** Migration from an auto-unseal seal: its recovery key becomes the KEK, its shares unseal shares. */
  async adopt(u: Unlocked): Promise<void> {
    await this.store(u.rootKey, u.shareSecret, u.shares, u.threshold, ['core/hsm/barrier-unseal-keys', 'core/recovery-key']);
  }

  private async store(rootKey: Buffer, kek: Buffer, shares: number, threshold: number, remove: string[] = []): Promise<void> {
    const config: StoredSealConfig = { type: 'shamir', secret_shares: shares, secret_threshold: threshold };
    await this.physical.txn([
      { op: 'put', key: WRAPPED_ROOT_KEY, value: wrapKey(kek, rootKey, WRAPPED_ROOT_KEY) },
      { op: 'put', key: SEAL_CONFIG_KEY, value: Buffer.from(JSON.stringify(config)) },
      ...remove.map((key) => ({ op: 'delete' as const, key })),
    ]);
    this.cachedConfig = config;
  }
}
