// The leader's view of one follower: how far its log matches, what to send next,
// and the flow-control state (probe / replicate / snapshot) with its in-flight window.

import { invariant } from './errors.js';
import type { Snapshot } from './types.js';

export type ProgressState = 'StateProbe' | 'StateReplicate' | 'StateSnapshot';

/**
 * The MsgApps sent but not yet acknowledged in StateReplicate, bounded both in
 * count and in payload bytes. A ring buffer of (last index, bytes) per message.
 */
export class Inflights {
  private start = 0;
  private count = 0;
  private bytes = 0;
  private readonly indexes: number[];
  private readonly sizes: number[];

  constructor(
    readonly maxCount: number,
    /** 0 means no byte limit. */
    readonly maxBytes: number,
  ) {
    invariant(maxCount > 0, () => `inflight window must hold at least one message, got ${maxCount}`);
    this.indexes = new Array<number>(maxCount).fill(0);
    this.sizes = new Array<number>(maxCount).fill(0);
  }

  add(index: number, bytes: number): void {
    invariant(!this.isFull(), () => 'cannot add into a full inflights window');
    const slot = (this.start + this.count) % this.maxCount;
    if (this.count > 0) {
      const prev = this.indexes[(slot + this.maxCount - 1) % this.maxCount]!;
      invariant(index > prev, () => `inflight index ${index} not above previous ${prev}`);
    }
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is ≤ to (they are acknowledged). */
  freeLE(to: number): void {
    while (this.count > 0 && this.indexes[this.start]! <= to) {
      this.bytes -= this.sizes[this.start]!;
      this.start = (this.start + 1) % this.maxCount;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  isFull(): boolean {
    return this.count === this.maxCount || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  size(): number {
    return this.count;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}

/** A snapshot being streamed to a follower, chunk by chunk (stop-and-wait). */
export interface SnapshotTransfer {
  readonly snapshot: Snapshot;
  /** Bytes the follower has confirmed; the next chunk starts here. */
  ackedOffset: number;
}

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'StateProbe';
  /** In StateSnapshot: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  snapshotTransfer: SnapshotTransfer | undefined;
  /** Heard from since the last check-quorum round (always true for the leader itself). */
  recentActive = false;
  /** Probe: one message in flight; replicate: window full. Cleared by a heartbeat response. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;
  /**
   * Highest commit index sent that may reach the follower, capped at next-1
   * (it cannot commit beyond what it holds). Avoids sending redundant commit updates.
   */
  pendingCommit = 0;
  /** Leader-lease bookkeeping: the leader tick at which the latest acknowledged heartbeat was sent. */
  leaseAckTick = -1;

  constructor(next: number, inflights: Inflights, isLearner: boolean) {
    this.next = next;
    this.inflights = inflights;
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.snapshotTransfer = undefined;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'StateSnapshot') {
      // The snapshot may or may not have been applied; probing from past it is safe
      // because a rejection moves next back down.
      const pending = this.pendingSnapshot;
      this.resetState('StateProbe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('StateProbe');
      this.next = this.match + 1;
      this.pendingCommit = Math.min(this.pendingCommit, this.match);
    }
  }

  becomeReplicate(): void {
    this.resetState('StateReplicate');
    this.next = this.match + 1;
    this.pendingCommit = Math.min(this.pendingCommit, this.match);
  }

  /** Whether sending commit index `index` could advance the follower's commit. */
  canBumpCommit(index: number): boolean {
    return this.pendingCommit < Math.min(index, this.next - 1);
  }

  sentCommit(commit: number): void {
    this.pendingCommit = Math.min(Math.max(this.pendingCommit, commit), this.next - 1);
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.resetState('StateSnapshot');
    this.pendingSnapshot = snapshot.metadata.index;
    this.snapshotTransfer = { snapshot, ackedOffset: 0 };
    this.next = snapshot.metadata.index + 1;
  }

  /** Records that a MsgApp with `entries` entries of `bytes` payload was sent. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case 'StateReplicate':
        if (entries > 0) {
          this.next += entries;
          this.inflights.add(this.next - 1, bytes);
        }
        this.msgAppFlowPaused = this.inflights.isFull();
        break;
      case 'StateProbe':
        // One probe at a time: wait for its answer (or a heartbeat response).
        this.msgAppFlowPaused = true;
        break;
      default:
        invariant(false, () => `sending append in state ${this.state}`);
    }
  }

  /** An acknowledgement up to n arrived. Returns whether match moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * An append anchored at `rejected` was refused; `matchHint` is where the logs may
   * match. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'StateReplicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.pendingCommit = Math.min(this.pendingCommit, this.match);
      return true;
    }
    // Outside replicate we probe one index at a time: other rejections are stale.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.pendingCommit = Math.min(this.pendingCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'StateProbe':
      case 'StateReplicate':
        return this.msgAppFlowPaused;
      case 'StateSnapshot':
        return true;
    }
  }

  describe(): string {
    let s = `${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    const n = this.inflights.size();
    if (n > 0) s += ` inflight=${n}${this.inflights.isFull() ? '[full]' : ''}`;
    return s;
  }
}
