/**
 * The shared mechanics of Vault's quorum operations (unseal-like flows: generate-root, rekey,
 * rekey verification): a nonce per attempt, key shares collected until a threshold, duplicates
 * ignored, and progress reset whenever the combined key turns out wrong.
 */
import { LogicalError } from './logical.js';
import { uuid } from '../util/ids.js';
import { constantTimeEqual } from '../util/ids.js';

export class ShareCollector {
  readonly nonce = uuid();
  private shares: Buffer[] = [];

  constructor(readonly required: number) {}

  get progress(): number {
    return this.shares.length;
  }

  checkNonce(nonce: string): void {
    if (nonce === '') throw new LogicalError('missing nonce');
    if (!constantTimeEqual(nonce, this.nonce)) throw new LogicalError(`provided nonce does not match the current nonce`);
  }

  /** Adds a share; returns all shares once the threshold is reached (and forgets them). */
  add(share: Buffer): Buffer[] | undefined {
    if (this.shares.some((s) => s.equals(share))) throw new LogicalError('given key has already been provided during this generation operation');
    this.shares.push(Buffer.from(share));
    if (this.shares.length < this.required) return undefined;
    const all = this.shares;
    this.shares = [];
    return all;
  }

  reset(): void {
    for (const s of this.shares) s.fill(0);
    this.shares = [];
  }
}
