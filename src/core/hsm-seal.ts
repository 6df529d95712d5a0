/**
 * The auto-unseal seal over a PKCS#11 HSM. The root key is stored encrypted by a key that never
 * leaves the token; a restarted server unwraps it with no human. Operators hold recovery shares of
 * a separate recovery key (also stored HSM-encrypted): a quorum authorises generate-root and rekey
 * but cannot decrypt anything, and recovery keys cannot unseal.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { PhysicalBackend } from '../storage/physical.js';
import { LogicalError } from './logical.js';
import { combineShares, splitKey, validateShares } from './shamir-seal.js';
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
import { Pkcs11SealError, type Pkcs11Seal } from '../seal/pkcs11/index.js';
import { decodeBlob } from '../seal/pkcs11/blob.js';

export const HSM_ROOT_KEY = 'core/hsm/barrier-unseal-keys';
export const RECOVERY_KEY = 'core/recovery-key';

export class HsmSeal implements CoreSeal {
  readonly type = 'pkcs11' as const;
  readonly recoverySeal = true;
  private cachedConfig: StoredSealConfig | undefined;
  private hsm: Pkcs11Seal | undefined;

  /**
   * @param openHsm opens the PKCS#11 session. It is called lazily (and again after a failure) so
   *   a missing HSM at start keeps the server sealed and retrying instead of crashing it.
   *   `allowGenerate` is true only while initialising a new barrier: a key is never generated
   *   over an existing one (that would orphan the wrapped root key).
   */
  constructor(
    private readonly physical: PhysicalBackend,
    private readonly openHsm: (allowGenerate: boolean) => Pkcs11Seal,
    /** The configured key label: when it differs from the one the stored root key names, that is a rotation. */
    private readonly keyLabel: string,
  ) {}

  /** The HSM session; throws Pkcs11SealError with the exact cause when it cannot be opened. */
  private session(allowGenerate = false): Pkcs11Seal {
    this.hsm ??= this.openHsm(allowGenerate);
    return this.hsm;
  }

  /** Drops the session so the next use reopens it (after an HSM error). */
  private reset(): void {
    try {
      this.hsm?.close();
    } catch {
      // already broken
    }
    this.hsm = undefined;
  }

  /** HSM failures are server-side faults (500) whose message names the exact cause. */
  private hsmCall<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.reset();
      throw e instanceof Pkcs11SealError ? new LogicalError(e.message, 500) : e;
    }
  }

  private async encrypt(data: Buffer): Promise<Buffer> {
    try {
      return await this.hsmCall(() => this.session()).encrypt(data);
    } catch (e) {
      this.reset();
      throw e instanceof Pkcs11SealError ? new LogicalError(e.message, 500) : e;
    }
  }

  private async decrypt(blob: Buffer): Promise<Buffer> {
    try {
      return await this.hsmCall(() => this.session()).decrypt(blob);
    } catch (e) {
      this.reset();
      throw e instanceof Pkcs11SealError ? new LogicalError(e.message, 500) : e;
    }
  }

  async config(): Promise<StoredSealConfig | undefined> {
    this.cachedConfig ??= await readStoredSealConfig(this.physical);
    return this.cachedConfig;
  }

  async progress(): Promise<UnsealProgress> {
    const c = await this.config();
    return { t: c?.secret_threshold ?? 0, n: c?.secret_shares ?? 0, progress: 0, nonce: '' };
  }

  resetProgress(): void {}

  async initialize(req: InitRequest): Promise<{ rootKey: Buffer; result: InitResult }> {
    const shares = req.recoveryShares ?? 0;
    const threshold = req.recoveryThreshold ?? 0;
    if (shares > 0 || threshold > 0) validateShares(shares, threshold, 'recovery');
    if ((await this.config()) !== undefined) throw new LogicalError('Vault is already initialized');
    this.reset();
    this.hsmCall(() => this.session(true));
    const rootKey = randomBytes(32);
    const recoveryKey = randomBytes(32);
    const recoveryKeys = shares > 0 ? splitKey(recoveryKey, shares, threshold) : [];
    await this.store(rootKey, recoveryKey, shares, threshold);
    recoveryKey.fill(0);
    return { rootKey, result: { keys: [], recoveryKeys } };
  }

  async addShare(): Promise<Buffer | undefined> {
    throw new LogicalError('recovery keys cannot unseal this server: it unseals itself through its HSM (seal "pkcs11"); check the HSM and the server log');
  }

  /** The root key, unwrapped by the HSM. Re-wraps under the configured key if the blob names an older one. */
  async autoUnseal(): Promise<Buffer> {
    const blob = await this.physical.get(HSM_ROOT_KEY);
    if (!blob) throw new Error(`no HSM-wrapped root key at ${HSM_ROOT_KEY}: this barrier was not initialised with seal "pkcs11"`);
    // Rotating to a new key label may create the new key (if generate_key is set): the old key,
    // named in the blob, still opens the root key, so nothing is orphaned.
    if (!this.hsm && decodeBlob(blob).keyLabel !== this.keyLabel) this.hsmCall(() => this.session(true));
    const rootKey = await this.decrypt(blob);
    await this.rewrapIfRotated(blob, rootKey);
    return rootKey;
  }

  /** Key rotation: data wrapped under an old key label is re-wrapped under the configured one. */
  private async rewrapIfRotated(blob: Buffer, rootKey: Buffer): Promise<void> {
    const current = this.session().keyInfo();
    const used = decodeBlob(blob);
    if (used.keyLabel === current.label && used.keyId.toString('hex') === current.id.toLowerCase()) return;
    const recoveryBlob = await this.physical.get(RECOVERY_KEY);
    const ops = [{ op: 'put' as const, key: HSM_ROOT_KEY, value: await this.encrypt(rootKey) }];
    if (recoveryBlob) {
      const recovery = await this.decrypt(recoveryBlob);
      ops.push({ op: 'put', key: RECOVERY_KEY, value: await this.encrypt(recovery) });
      recovery.fill(0);
    }
    await this.physical.txn(ops);
  }

  async rootKeyFromShares(shares: Buffer[]): Promise<Buffer> {
    const u = await this.unlockWithShares(shares);
    u.shareSecret.fill(0);
    return u.rootKey;
  }

  async unlockWithShares(shares: Buffer[]): Promise<Unlocked> {
    const config = await this.config();
    if (!config) throw new LogicalError('Vault is not initialized');
    if (config.secret_shares === 0) throw new LogicalError('no recovery keys were created at init: this operation needs recovery keys');
    if (shares.length < config.secret_threshold) throw new LogicalError('not enough recovery key shares');
    const candidate = combineShares(shares, config.secret_threshold);
    const storedBlob = await this.physical.get(RECOVERY_KEY);
    if (!storedBlob) throw new Error(`no recovery key at ${RECOVERY_KEY}`);
    const stored = await this.decrypt(storedBlob);
    const ok = stored.length === candidate.length && timingSafeEqual(stored, candidate);
    stored.fill(0);
    if (!ok) {
      candidate.fill(0);
      throw new LogicalError('recovery key verification failed: the provided shares do not combine to the recovery key');
    }
    return { rootKey: await this.autoUnseal(), shareSecret: candidate, shares: config.secret_shares, threshold: config.secret_threshold };
  }

  prepareRekey(shares: number, threshold: number): { kek: Buffer; keys: Buffer[] } {
    validateShares(shares, threshold, 'recovery');
    const kek = randomBytes(32);
    return { kek, keys: splitKey(kek, shares, threshold) };
  }

  /** Rekeys the recovery key (the root key's wrapping is the HSM's and does not change). */
  async commitRekey(rootKey: Buffer, newSecret: Buffer, shares: number, threshold: number): Promise<void> {
    await this.store(rootKey, newSecret, shares, threshold);
  }

  /**
   * Migration from Shamir: the old KEK becomes the recovery key, unseal shares become recovery
   * shares. Like init, this is the moment the HSM starts protecting the barrier, so the key may
   * be generated here.
   */
  async adopt(u: Unlocked): Promise<void> {
    this.reset();
    this.hsmCall(() => this.session(true));
    await this.store(u.rootKey, u.shareSecret, u.shares, u.threshold, ['core/shamir-root-key']);
  }

  private async store(rootKey: Buffer, recoveryKey: Buffer, shares: number, threshold: number, remove: string[] = []): Promise<void> {
    const config: StoredSealConfig = { type: 'pkcs11', secret_shares: shares, secret_threshold: threshold };
    await this.physical.txn([
      { op: 'put', key: HSM_ROOT_KEY, value: await this.encrypt(rootKey) },
      { op: 'put', key: RECOVERY_KEY, value: await this.encrypt(recoveryKey) },
      { op: 'put', key: SEAL_CONFIG_KEY, value: Buffer.from(JSON.stringify(config)) },
      ...remove.map((key) => ({ op: 'delete' as const, key })),
    ]);
    this.cachedConfig = config;
  }

  close(): void {
    this.reset();
  }
}
