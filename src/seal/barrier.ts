/**
 * The security barrier: everything the core stores passes through here and reaches physical
 * storage only as AES-256-GCM ciphertext (format in barrier-cipher.ts).
 *
 * The keyring (one 256-bit key per term) lives at `core/keyring`, encrypted under the root key
 * that the seal unlocks. `rotate()` adds a term; old terms stay for decryption. GCM with random
 * 96-bit nonces is safe for about 2^32 encryptions per key, so the barrier counts encryptions
 * per term, rotates on its own before the limit, and persists the count as a *reservation*
 * taken ahead of use: after a crash the count resumes from the reservation, never below what
 * was really used.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { PhysicalBackend, TxnOp } from '../storage/physical.js';
import { BarrierError, BarrierSealedError } from './barrier-errors.js';
import { KEY_SIZE, decryptEntry, encryptEntry, entryTerm } from './barrier-cipher.js';
import { decodeKeyring, encodeKeyring, type Keyring, type TermKey } from './keyring.js';

export { BarrierError, BarrierSealedError, ErrBarrierSealed } from './barrier-errors.js';

/** Where the encrypted keyring lives (Vault's keyringPath). */
export const KEYRING_PATH = 'core/keyring';
/** The term recorded in the keyring blob's header (Vault's initialKeyTerm); the root key seals it. */
const KEYRING_BLOB_TERM = 1;
/** Vault's default rotation point: ~0.9 · 2^32 (NIST SP 800-38D's bound for random nonces). */
export const DEFAULT_MAX_ENCRYPTIONS = 3_865_470_566;
const DEFAULT_RESERVE_BLOCK = 1_000_000;

export interface BarrierOptions {
  /** Encryptions under one term before an automatic rotation; at most 2^32 − 1. */
  maxEncryptionsPerTerm?: number;
  /** Encryption count reserved in storage at a time (a keyring write per block). */
  reserveBlock?: number;
}

export interface KeyStatus {
  term: number;
  installTime: Date;
  encryptions: number;
}

function assertRootKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_SIZE) throw new BarrierError(`root key must be ${KEY_SIZE} bytes`);
}

export class AesGcmBarrier {
  private ring: Keyring | undefined;
  /** Serialises every keyring write (reservation, rotation, root-key change). */
  private keyringLock: Promise<unknown> = Promise.resolve();
  private pendingReserve: Promise<void> | undefined;
  private readonly maxPerTerm: number;
  private readonly reserveBlock: number;

  constructor(
    private readonly physical: PhysicalBackend,
    opts: BarrierOptions = {},
  ) {
    this.maxPerTerm = opts.maxEncryptionsPerTerm ?? DEFAULT_MAX_ENCRYPTIONS;
    this.reserveBlock = opts.reserveBlock ?? DEFAULT_RESERVE_BLOCK;
    if (!Number.isSafeInteger(this.maxPerTerm) || this.maxPerTerm < 1 || this.maxPerTerm >= 2 ** 32) {
      throw new RangeError('maxEncryptionsPerTerm must be in [1, 2^32)');
    }
    if (!Number.isSafeInteger(this.reserveBlock) || this.reserveBlock < 1) throw new RangeError('reserveBlock must be ≥ 1');
  }

  static generateKey(): Buffer {
    return randomBytes(KEY_SIZE);
  }

  get sealed(): boolean {
    return this.ring === undefined;
  }

  async isInitialized(): Promise<boolean> {
    return (await this.physical.get(KEYRING_PATH)) !== undefined;
  }

  /** Creates the keyring with term 1 and stores it under `rootKey`. Leaves the barrier sealed. */
  async initialize(rootKey: Buffer): Promise<void> {
    assertRootKey(rootKey);
    if (await this.isInitialized()) throw new BarrierError('Vault is already initialized');
    const first: TermKey = { term: 1, value: randomBytes(KEY_SIZE), installTime: new Date(), used: 0, reserved: 0 };
    try {
      await this.physical.put(KEYRING_PATH, this.sealKeyring(rootKey, { rootKey, keys: [first] }));
    } finally {
      first.value.fill(0);
    }
  }

  /** Opens the keyring with `rootKey` (copied: the caller may wipe its buffer). No-op if unsealed. */
  async unseal(rootKey: Buffer): Promise<void> {
    assertRootKey(rootKey);
    if (this.ring) return;
    const blob = await this.physical.get(KEYRING_PATH);
    if (!blob) throw new BarrierError('Vault is not initialized');
    let plain: Buffer;
    try {
      plain = decryptEntry(rootKey, KEYRING_PATH, blob);
    } catch {
      throw new BarrierError('Unseal failed, invalid key');
    }
    let ring: Keyring;
    try {
      ring = decodeKeyring(plain);
    } finally {
      plain.fill(0);
    }
    if (ring.rootKey.length !== KEY_SIZE || !timingSafeEqual(ring.rootKey, rootKey)) {
      wipe(ring);
      throw new BarrierError('keyring root key does not match the key that opened it');
    }
    if (this.ring) {
      wipe(ring); // a concurrent unseal won
      return;
    }
    this.ring = ring;
  }

  /**
   * Re-reads the keyring from storage with the root key already in memory. A standby whose
   * storage was replicated (raft) calls this on becoming active: another node may have rotated
   * terms or reserved encryption counts since this one unsealed.
   */
  async reload(): Promise<void> {
    const current = this.ring;
    if (!current) throw new BarrierSealedError();
    const rootKey = Buffer.from(current.rootKey);
    try {
      const blob = await this.physical.get(KEYRING_PATH);
      if (!blob) throw new BarrierError('keyring missing from storage');
      const plain = decryptEntry(rootKey, KEYRING_PATH, blob);
      let ring: Keyring;
      try {
        ring = decodeKeyring(plain);
      } finally {
        plain.fill(0);
      }
      this.ring = ring;
      wipe(current);
    } finally {
      rootKey.fill(0);
    }
  }

  /** Drops the keyring and zero-fills every key buffer. */
  seal(): void {
    const ring = this.ring;
    this.ring = undefined;
    this.pendingReserve = undefined;
    if (ring) wipe(ring);
  }

  keyStatus(): KeyStatus {
    const { active } = this.unsealed();
    return { term: active.term, installTime: active.installTime, encryptions: active.used };
  }

  /** Adds a new term and makes it active (sys/rotate). */
  rotate(): Promise<{ term: number; installTime: Date }> {
    return this.withKeyringLock(() => this.installNewTerm(this.unsealed()));
  }

  /** Re-encrypts only the keyring under `newRootKey`; data entries are untouched. */
  rotateRootKey(newRootKey: Buffer): Promise<void> {
    assertRootKey(newRootKey);
    const fresh = Buffer.from(newRootKey);
    return this.withKeyringLock(async () => {
      const ring = this.unsealed();
      await this.physical.put(KEYRING_PATH, this.sealKeyring(fresh, { rootKey: fresh, keys: [...ring.keys.values()] }));
      if (this.ring !== ring) {
        fresh.fill(0);
        return;
      }
      ring.rootKey.fill(0);
      ring.rootKey = fresh;
    });
  }

  // ------------------------------------------------------------------ data path

  async get(key: string): Promise<Buffer | undefined> {
    this.unsealed();
    const blob = await this.physical.get(key);
    if (blob === undefined) return undefined;
    const ring = this.unsealed();
    const term = entryTerm(key, blob);
    const k = ring.keys.get(term);
    if (!k) throw new BarrierError(`no decryption key available for term ${term} at "${key}"`);
    return decryptEntry(k.value, key, blob);
  }

  async put(key: string, value: Buffer): Promise<void> {
    assertWritable(key);
    const k = await this.acquire(1);
    await this.physical.put(key, encryptEntry(k.term, this.liveKey(k), key, value));
  }

  async delete(key: string): Promise<void> {
    assertWritable(key);
    this.unsealed();
    await this.physical.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    this.unsealed();
    return this.physical.list(prefix);
  }

  async txn(ops: TxnOp[]): Promise<void> {
    for (const op of ops) assertWritable(op.key);
    const puts = ops.filter((op) => op.op === 'put').length;
    if (puts === 0) {
      this.unsealed();
      await this.physical.txn(ops);
      return;
    }
    const k = await this.acquire(puts);
    const key = this.liveKey(k);
    const sealedOps = ops.map((op): TxnOp =>
      op.op === 'put' ? { op: 'put', key: op.key, value: encryptEntry(k.term, key, op.key, op.value) } : op,
    );
    await this.physical.txn(sealedOps);
  }

  // ------------------------------------------------------------------ internals

  private unsealed(): Keyring {
    if (!this.ring) throw new BarrierSealedError();
    return this.ring;
  }

  /** The key's bytes, provided it still belongs to the live keyring (not wiped by a seal). */
  private liveKey(k: TermKey): Buffer {
    if (this.unsealed().keys.get(k.term) !== k) throw new BarrierSealedError();
    return k.value;
  }

  /**
   * Takes `n` encryptions from the active term's budget: rotates first when the term would
   * pass its limit, and waits for a durable reservation when the reserved count is used up.
   * Tops the reservation up in the background once half a block remains, so writers rarely wait.
   */
  private async acquire(n: number): Promise<TermKey> {
    if (n > this.maxPerTerm) throw new BarrierError(`a transaction of ${n} writes exceeds the per-term encryption limit`);
    for (;;) {
      const ring = this.unsealed();
      const k = ring.active;
      if (k.used + n > this.maxPerTerm) {
        await this.withKeyringLock(async () => {
          if (this.ring === ring && ring.active === k) await this.installNewTerm(ring);
        });
        continue;
      }
      if (k.used + n <= k.reserved) {
        k.used += n;
        if (k.reserved - k.used < this.reserveBlock / 2 && k.reserved < this.maxPerTerm) {
          this.reserve(ring, k, 0).catch(() => undefined); // a foreground writer retries and reports
        }
        return k;
      }
      await this.reserve(ring, k, n);
    }
  }

  /** Persists a larger reservation for `k`; one in flight at a time. */
  private reserve(ring: Keyring, k: TermKey, need: number): Promise<void> {
    if (this.pendingReserve) return this.pendingReserve;
    const p = this.withKeyringLock(async () => {
      if (this.ring !== ring || ring.active !== k) return; // sealed or rotated meanwhile: caller loops
      const target = Math.min(this.maxPerTerm, k.used + need + this.reserveBlock);
      if (target <= k.reserved) return;
      await this.physical.put(KEYRING_PATH, this.sealKeyring(ring.rootKey, keysOf(ring), new Map([[k.term, target]])));
      k.reserved = Math.max(k.reserved, target);
    }).finally(() => {
      if (this.pendingReserve === p) this.pendingReserve = undefined;
    });
    this.pendingReserve = p;
    return p;
  }

  /** Writes a keyring with one more term, then switches to it. Runs under the keyring lock. */
  private async installNewTerm(ring: Keyring): Promise<{ term: number; installTime: Date }> {
    const term = ring.active.term + 1;
    if (term > 0xffffffff) throw new BarrierError('barrier key term space exhausted');
    const reserved = Math.min(this.maxPerTerm, this.reserveBlock);
    const next: TermKey = { term, value: randomBytes(KEY_SIZE), installTime: new Date(), used: 0, reserved };
    await this.physical.put(KEYRING_PATH, this.sealKeyring(ring.rootKey, keysOf(ring), undefined, next));
    if (this.ring !== ring) {
      next.value.fill(0); // sealed while writing: the new term is stored, it loads on next unseal
      throw new BarrierSealedError();
    }
    ring.keys.set(term, next);
    ring.active = next;
    return { term, installTime: next.installTime };
  }

  private sealKeyring(
    rootKey: Buffer,
    ring: { rootKey: Buffer; keys: Iterable<TermKey> },
    reserved?: Map<number, number>,
    extra?: TermKey,
  ): Buffer {
    const plain = encodeKeyring(ring, { maxOperations: this.maxPerTerm, ...(reserved ? { reserved } : {}), ...(extra ? { extra } : {}) });
    try {
      return encryptEntry(KEYRING_BLOB_TERM, rootKey, KEYRING_PATH, plain);
    } finally {
      plain.fill(0);
    }
  }

  private withKeyringLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.keyringLock.then(fn, fn);
    this.keyringLock = run.catch(() => undefined);
    return run;
  }
}

function keysOf(ring: Keyring): { rootKey: Buffer; keys: TermKey[] } {
  return { rootKey: ring.rootKey, keys: [...ring.keys.values()] };
}

function wipe(ring: Keyring): void {
  ring.rootKey.fill(0);
  for (const k of ring.keys.values()) k.value.fill(0);
  ring.keys.clear();
}

/** The keyring is written only by the barrier itself: refuse a data write that would clobber it. */
function assertWritable(key: string): void {
  if (key === KEYRING_PATH) throw new BarrierError(`"${KEYRING_PATH}" is reserved for the barrier keyring`);
}
