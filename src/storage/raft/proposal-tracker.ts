// Proposals waiting for their log entry to be applied, keyed by the (term, index) the
// leader gave them. When the entry at that index is applied, its term decides: the same
// term means it is our entry (success); another term means a new leader overwrote it and
// our write is definitely gone. Pure bookkeeping; the driver settles the promises.

import { ProposalLostError, ProposalOutcomeUnknownError } from './errors.js';

export interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Pending {
  readonly term: number;
  readonly waiters: readonly Waiter[];
  readonly deadline: number;
}

export interface Settlement {
  readonly waiters: readonly Waiter[];
  /** undefined: success. */
  readonly error?: Error;
}

export class ProposalTracker {
  private readonly byIndex = new Map<number, Pending>();

  get size(): number {
    return this.byIndex.size;
  }

  add(index: number, term: number, waiters: readonly Waiter[], deadline: number): void {
    if (this.byIndex.has(index)) {
      // Only possible if the log was rewritten under us before the older proposal settled:
      // that older one is certainly lost.
      const old = this.byIndex.get(index)!;
      for (const w of old.waiters) w.reject(new ProposalLostError(`raft: entry ${index} was overwritten before it committed (term ${old.term})`));
    }
    this.byIndex.set(index, { term, waiters, deadline });
  }

  /** The entry (index, term) was applied. */
  applied(index: number, term: number): Settlement | undefined {
    const p = this.byIndex.get(index);
    if (p === undefined) return undefined;
    this.byIndex.delete(index);
    if (p.term === term) return { waiters: p.waiters };
    return {
      waiters: p.waiters,
      error: new ProposalLostError(`raft: leadership changed; entry ${index} was committed in term ${term}, not the proposal's term ${p.term}`),
    };
  }

  /** A snapshot jumped the applied state to `index`: proposals up to it cannot be matched any more. */
  skippedTo(index: number): Settlement[] {
    const out: Settlement[] = [];
    for (const [i, p] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      out.push({ waiters: p.waiters, error: new ProposalOutcomeUnknownError(`raft: a snapshot replaced log position ${i} before the proposal could be matched`) });
    }
    return out;
  }

  expired(now: number): Settlement[] {
    const out: Settlement[] = [];
    for (const [i, p] of this.byIndex) {
      if (p.deadline > now) continue;
      this.byIndex.delete(i);
      out.push({ waiters: p.waiters, error: new ProposalOutcomeUnknownError(`raft: proposal at index ${i} (term ${p.term}) not applied in time; it may still commit`) });
    }
    return out;
  }

  drain(reason: string): Settlement[] {
    const out: Settlement[] = [];
    for (const [i, p] of this.byIndex) out.push({ waiters: p.waiters, error: new ProposalOutcomeUnknownError(`raft: ${reason}; proposal at index ${i} may or may not commit`) });
    this.byIndex.clear();
    return out;
  }
}

export function settle(s: Settlement): void {
  for (const w of s.waiters) {
    if (s.error === undefined) w.resolve();
    else w.reject(s.error);
  }
}
