/**
 * What the core needs from a seal. Two kinds exist:
 *  - Shamir: the root key is wrapped under a KEK that only exists as operators' unseal shares.
 *  - auto-unseal (pkcs11): the root key is wrapped by an HSM key; operators hold *recovery* shares
 *    that authorise generate-root and rekey but can never decrypt anything.
 * In both, "the operators' secret" is a 32-byte key split into shares: the KEK for Shamir, the
 * recovery key for auto-unseal. That symmetry is what makes seal migration a re-wrap.
 */
export const SEAL_CONFIG_KEY = 'core/seal-config';

/** Stored (plaintext, below the barrier) at `core/seal-config`. */
export interface StoredSealConfig {
  type: 'shamir' | 'pkcs11';
  /** Shares of the operators' secret (unseal shares for Shamir, recovery shares otherwise). */
  secret_shares: number;
  secret_threshold: number;
}

export interface InitRequest {
  secretShares: number;
  secretThreshold: number;
  recoveryShares?: number;
  recoveryThreshold?: number;
  rootTokenId?: string;
}

export interface InitResult {
  keys: Buffer[];
  recoveryKeys: Buffer[];
}

export interface UnsealProgress {
  t: number;
  n: number;
  progress: number;
  nonce: string;
}

/** What a successful quorum proves and yields during migration. */
export interface Unlocked {
  rootKey: Buffer;
  /** The operators' secret the shares combine to (KEK or recovery key). */
  shareSecret: Buffer;
  shares: number;
  threshold: number;
}

export interface CoreSeal {
  readonly type: 'shamir' | 'pkcs11';
  /** True for auto-unseal seals: operators hold recovery keys, not unseal keys. */
  readonly recoverySeal: boolean;
  /** The operators' share parameters, or undefined before init. */
  config(): Promise<StoredSealConfig | undefined>;
  progress(): Promise<UnsealProgress>;
  resetProgress(): void;
  initialize(req: InitRequest): Promise<{ rootKey: Buffer; result: InitResult }>;
  /** Adds an unseal share (Shamir only); returns the root key at the threshold. */
  addShare(key: Buffer): Promise<Buffer | undefined>;
  /** Proves a quorum of operator shares and returns the root key (generate-root, rekey). */
  rootKeyFromShares(shares: Buffer[]): Promise<Buffer>;
  /** Same proof, also yielding the share secret (seal migration). */
  unlockWithShares(shares: Buffer[]): Promise<Unlocked>;
  prepareRekey(shares: number, threshold: number): { kek: Buffer; keys: Buffer[] };
  /** Makes `newSecret` (split into shares/threshold) the operators' secret. */
  commitRekey(rootKey: Buffer, newSecret: Buffer, shares: number, threshold: number): Promise<void>;
  /** Takes over a barrier from another seal (migration): store the root key this seal's way. */
  adopt(unlocked: Unlocked): Promise<void>;
  /** Auto-unseal seals: unwrap the root key with no human. */
  autoUnseal?(): Promise<Buffer>;
  close?(): void;
}

export async function readStoredSealConfig(physical: { get(key: string): Promise<Buffer | undefined> }): Promise<StoredSealConfig | undefined> {
  const raw = await physical.get(SEAL_CONFIG_KEY);
  return raw ? (JSON.parse(raw.toString('utf8')) as StoredSealConfig) : undefined;
}
