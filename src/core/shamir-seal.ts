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

const CONFIG_KEY = 'core/seal-config';
const WRAPPED_ROOT_KEY = 'core/shamir-root-key';

export interface SealConfig {
  type: 'shamir';
  secret_shares: number;
  secret_threshold: number;
}

export interface InitRequest {
  secretShares: number;
  secretThreshold: number;
  rootTokenId?: string;
}

export interface InitResult {
  keys: Buffer[];
}

export interface UnsealProgress {
  t: number;
  n: number;
  progress: number;
  nonce: string;
}

/** Validates share parameters exactly as Vault's sys/init does. */
export function validateShares(shares: number, threshold: number): void {
  if (shares < 1) throw new LogicalError('invalid seal configuration: secret shares must be at least one');
  if (threshold < 1) throw new LogicalError('invalid seal configuration: secret threshold must be at least one');
  if (shares > 1 && threshold === 1) throw new LogicalError('invalid seal configuration: secret threshold must be greater than one for multiple shares');
  if (shares > 255) throw new LogicalError('invalid seal configuration: secret shares must be less than 256');
  if (threshold > shares) throw new LogicalError('invalid seal configuration: secret threshold cannot be larger than secret shares');
}

export function splitKey(kek: Buffer, shares: number, threshold: number): Buffer[] {
  return shares === 1 ? [Buffer.from(kek)] : split(kek, shares, threshold);
}

export class ShamirSeal {
  readonly type = 'shamir';
  private shares: Buffer[] = [];
  private nonce = '';
  private cachedConfig: SealConfig | undefined;

  constructor(private readonly physical: PhysicalBackend) {}

  async config(): Promise<SealConfig | undefined> {
    if (this.cachedConfig) return this.cachedConfig;
    const raw = await this.physical.get(CONFIG_KEY);
    if (!raw) return undefined;
    this.cachedConfig = JSON.parse(raw.toString('utf8')) as SealConfig;
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
    const rootKey = randomBytes(32);
    const kek = randomBytes(32);
    const keys = splitKey(kek, req.secretShares, req.secretThreshold);
    const config: SealConfig = { type: 'shamir', secret_shares: req.secretShares, secret_threshold: req.secretThreshold };
    await this.physical.txn([
      { op: 'put', key: WRAPPED_ROOT_KEY, value: wrapKey(kek, rootKey, WRAPPED_ROOT_KEY) },
      { op: 'put', key: CONFIG_KEY, value: Buffer.from(JSON.stringify(config)) },
    ]);
    kek.fill(0);
    this.cachedConfig = config;
    return { rootKey, result: { keys } };
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

  /**
   * Combines a full set of shares into the KEK and unwraps the root key with it. A wrong set
   * fails authentication (AES-GCM), so this also proves the caller holds a quorum of shares.
   */
  async rootKeyFromShares(shares: Buffer[]): Promise<Buffer> {
    const config = await this.config();
    if (!config) throw new LogicalError('Vault is not initialized');
    if (shares.length < config.secret_threshold) throw new LogicalError('not enough key shares');
    let kek: Buffer;
    try {
      kek = config.secret_threshold === 1 ? Buffer.from(shares[0]!) : combine(shares);
    } catch (e) {
      throw new LogicalError(`invalid key: ${(e as Error).message}`);
    }
    try {
      return await this.unwrapRootKey(kek);
    } catch {
      throw new LogicalError('invalid key: cipher: message authentication failed');
    } finally {
      kek.fill(0);
    }
  }

  async unwrapRootKey(kek: Buffer): Promise<Buffer> {
    const blob = await this.physical.get(WRAPPED_ROOT_KEY);
    if (!blob) throw new Error('no wrapped root key in storage');
    return unwrapKey(kek, blob, WRAPPED_ROOT_KEY);
  }

  /** Rekey, step 1: a new KEK and its shares (nothing stored yet). */
  prepareRekey(shares: number, threshold: number): { kek: Buffer; keys: Buffer[] } {
    validateShares(shares, threshold);
    const kek = randomBytes(32);
    return { kek, keys: splitKey(kek, shares, threshold) };
  }

  /** Rekey, step 2: the root key is wrapped under the new KEK; the old shares stop working. */
  async commitRekey(rootKey: Buffer, kek: Buffer, shares: number, threshold: number): Promise<void> {
    const config: SealConfig = { type: 'shamir', secret_shares: shares, secret_threshold: threshold };
    await this.physical.txn([
      { op: 'put', key: WRAPPED_ROOT_KEY, value: wrapKey(kek, rootKey, WRAPPED_ROOT_KEY) },
      { op: 'put', key: CONFIG_KEY, value: Buffer.from(JSON.stringify(config)) },
    ]);
    this.cachedConfig = config;
  }

  /** Combines shares (of any split) back into the key they came from. */
  static combineShares(shares: Buffer[], threshold: number): Buffer {
    return threshold === 1 ? Buffer.from(shares[0]!) : combine(shares);
  }
}
