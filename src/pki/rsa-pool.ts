/**
 * A bounded in-memory pool of pre-generated RSA key pairs, one queue per modulus size. RSA
 * generation costs ≈275 ms (2048) to seconds (4096) and runs only on the libuv threadpool; the
 * pool hides that latency from `issue` with RSA roles. Keys are never persisted, and a size is
 * only pooled once someone has asked for it (no background burn for unused sizes). At most one
 * generation per size runs in the background so the threadpool stays available to others.
 */
import { generateRsaAsync, type KeyPair } from './keys.js';

export interface RsaKeyPoolOptions {
  /** Keys kept ready per size; 0 disables pooling (every take generates). */
  perSize?: number;
  generate?: (bits: number) => Promise<KeyPair>;
}

interface SizeQueue {
  ready: KeyPair[];
  refilling: boolean;
}

export class RsaKeyPool {
  private readonly perSize: number;
  private readonly generate: (bits: number) => Promise<KeyPair>;
  private readonly queues = new Map<number, SizeQueue>();
  private closed = false;

  constructor(opts: RsaKeyPoolOptions = {}) {
    this.perSize = opts.perSize ?? 4;
    this.generate = opts.generate ?? generateRsaAsync;
  }

  /** A fresh key pair: from the pool when one is ready, else generated now (off the event loop). */
  async take(bits: number): Promise<KeyPair> {
    const q = this.queue(bits);
    const hit = q.ready.shift();
    this.refill(bits);
    if (hit) return hit;
    return this.generate(bits);
  }

  /** How many keys of this size are ready (for tests and metrics). */
  available(bits: number): number {
    return this.queues.get(bits)?.ready.length ?? 0;
  }

  /** Stops background refills and drops pooled keys. */
  close(): void {
    this.closed = true;
    this.queues.clear();
  }

  private queue(bits: number): SizeQueue {
    let q = this.queues.get(bits);
    if (!q) {
      q = { ready: [], refilling: false };
      this.queues.set(bits, q);
    }
    return q;
  }

  private refill(bits: number): void {
    const q = this.queue(bits);
    if (this.closed || q.refilling || this.perSize === 0 || q.ready.length >= this.perSize) return;
    q.refilling = true;
    const step = (): void => {
      if (this.closed || q.ready.length >= this.perSize) {
        q.refilling = false;
        return;
      }
      this.generate(bits).then(
        (kp) => {
          if (!this.closed && q.ready.length < this.perSize) q.ready.push(kp);
          step();
        },
        () => {
          // A failed background generation is not fatal: the next take generates directly.
          q.refilling = false;
        },
      );
    };
    step();
  }
}
