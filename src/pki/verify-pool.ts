/**
 * Signature checks on worker threads, for the CSRs of `sign/:role`. Checking a CSR costs a public
 * key import (OpenSSL 3: ~100 µs for P-256, as much as the verify itself) plus the verify, and only
 * the verify could go to the libuv threadpool: the import of a key Node parses on the calling
 * thread. A worker does both, so the event loop keeps only HTTP and certificate assembly.
 *
 * The pool is process-wide and lazy (no thread until the first job). Workers are unreferenced
 * while idle so they never keep a process alive. Jobs queued in one macrotask go to a worker as
 * one message. If a worker dies, its in-flight jobs are checked on the calling thread and the
 * slot is refilled on the next job; if workers cannot be started at all, every job runs inline.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PublicKeyImport } from './keys.js';
import { verifySignature, type VerifyParams } from './signing.js';

export interface VerifyJob {
  key: PublicKeyImport;
  params: VerifyParams;
  data: Buffer;
  signature: Buffer;
}

/** The job on the calling thread; the worker runs the same steps. Any failure is false. */
export function verifyJobSync(j: VerifyJob): boolean {
  try {
    return verifySignature(j.params, createPublicKey(j.key), j.data, j.signature);
  } catch {
    return false;
  }
}

/** On the wire: [id, JWK or SPKI DER, hash, pssSaltLength (-1 = not PSS), data ‖ signature, data length]. */
type WireJob = [number, JsonWebKey | Uint8Array, string | null, number, Uint8Array, number];

// Plain CommonJS so the same text runs from dist/ and under a TypeScript loader. It mirrors
// verifyJobSync (signing.ts's verifySignature); a test holds the two to the same answers.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify, constants } = require('node:crypto');
parentPort.on('message', (jobs) => {
  const out = new Array(jobs.length * 2);
  for (let i = 0; i < jobs.length; i++) {
    const [id, key, hash, salt, packed, dataLen] = jobs[i];
    let ok = false;
    try {
      const pub = createPublicKey(key instanceof Uint8Array ? { key: Buffer.from(key), format: 'der', type: 'spki' } : { key, format: 'jwk' });
      const data = packed.subarray(0, dataLen);
      const sig = packed.subarray(dataLen);
      ok = salt >= 0
        ? verify(hash, data, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: salt }, sig)
        : verify(hash, data, pub, sig);
    } catch {
      ok = false;
    }
    out[2 * i] = id;
    out[2 * i + 1] = ok;
  }
  parentPort.postMessage(out);
});
`;

interface Pending {
  job: VerifyJob;
  resolve: (ok: boolean) => void;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Pending>;
  outbox: WireJob[];
  dead: boolean;
}

export interface VerifyPoolOptions {
  /** Worker threads; default: one per core beyond the event loop's, 1 to 4. */
  size?: number;
}

export const defaultVerifyWorkers = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

export class VerifyPool {
  readonly size: number;
  private readonly slots: Array<Slot | undefined>;
  private nextId = 0;
  private flushQueued = false;
  private broken = false;
  private closed = false;
  /** Jobs checked inline because no worker could take them (for tests and metrics). */
  inlineJobs = 0;

  constructor(opts: VerifyPoolOptions = {}) {
    this.size = opts.size ?? defaultVerifyWorkers();
    if (!Number.isInteger(this.size) || this.size < 1) throw new Error(`verify pool size must be a positive integer, got ${this.size}`);
    this.slots = new Array<Slot | undefined>(this.size).fill(undefined);
  }

  verify(job: VerifyJob): Promise<boolean> {
    const slot = this.pick();
    if (!slot) {
      this.inlineJobs++;
      return Promise.resolve(verifyJobSync(job));
    }
    const id = this.nextId++;
    // One exact-size copy: cloning a Buffer that views a larger ArrayBuffer would copy all of it.
    const packed = new Uint8Array(job.data.length + job.signature.length);
    packed.set(job.data, 0);
    packed.set(job.signature, job.data.length);
    const key = job.key.format === 'der' ? new Uint8Array(job.key.key) : job.key.key;
    return new Promise<boolean>((resolve) => {
      if (slot.inflight.size === 0) slot.worker.ref();
      slot.inflight.set(id, { job, resolve });
      slot.outbox.push([id, key, job.params.hash, job.params.pssSaltLength ?? -1, packed, job.data.length]);
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  /** Stops the workers; jobs still in flight are answered inline. */
  async close(): Promise<void> {
    this.closed = true;
    const live = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.fill(undefined);
    for (const s of live) this.retire(s);
    await Promise.all(live.map((s) => s.worker.terminate()));
  }

  private flush(): void {
    this.flushQueued = false;
    for (const s of this.slots) {
      if (!s || s.outbox.length === 0) continue;
      const batch = s.outbox;
      s.outbox = [];
      s.worker.postMessage(batch, batch.map((j) => j[4].buffer as ArrayBuffer));
    }
  }

  /** The live slot with the fewest jobs in flight, starting workers as needed; none when broken/closed. */
  private pick(): Slot | undefined {
    if (this.broken || this.closed) return undefined;
    let best: Slot | undefined;
    for (let i = 0; i < this.slots.length; i++) {
      let s = this.slots[i];
      if (!s) {
        s = this.spawn(i);
        if (!s) return best;
      }
      if (!best || s.inflight.size < best.inflight.size) best = s;
      if (best.inflight.size === 0) break;
    }
    return best;
  }

  private spawn(i: number): Slot | undefined {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, name: 'coffer-pki-verify' });
    } catch {
      this.broken = true;
      return undefined;
    }
    worker.unref();
    const slot: Slot = { worker, inflight: new Map(), outbox: [], dead: false };
    worker.on('message', (out: Array<number | boolean>) => {
      for (let k = 0; k < out.length; k += 2) {
        const p = slot.inflight.get(out[k] as number);
        if (!p) continue;
        slot.inflight.delete(out[k] as number);
        p.resolve(out[k + 1] === true);
      }
      if (slot.inflight.size === 0) worker.unref();
    });
    const onDeath = (): void => {
      if (this.slots[i] === slot) this.slots[i] = undefined;
      this.retire(slot);
    };
    worker.once('error', onDeath);
    worker.once('exit', onDeath);
    this.slots[i] = slot;
    return slot;
  }

  /** Answers a dead or closing slot's jobs on this thread. */
  private retire(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    const pending = [...slot.inflight.values()];
    slot.inflight.clear();
    slot.outbox = [];
    for (const p of pending) {
      this.inlineJobs++;
      p.resolve(verifyJobSync(p.job));
    }
  }
}

let shared: VerifyPool | undefined;

/** The process-wide pool the PKI engine uses (created on first use). */
export function sharedVerifyPool(): VerifyPool {
  shared ??= new VerifyPool();
  return shared;
}
