// Membership (voters and learners), per-member progress, and majority arithmetic:
// commit index, election tallies, quorum liveness.

import { Inflights, Progress } from './progress.js';
import type { ConfState, NodeId } from './types.js';

export type VoteResult = 'VotePending' | 'VoteLost' | 'VoteWon';

export class ProgressTracker {
  private voterSet = new Set<NodeId>();
  private learnerSet = new Set<NodeId>();
  /** Sorted ids of every member, for deterministic iteration. */
  private ids: NodeId[] = [];
  readonly progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  confState(): ConfState {
    return {
      voters: [...this.voterSet].sort((a, b) => a - b),
      learners: [...this.learnerSet].sort((a, b) => a - b),
    };
  }

  isVoter(id: NodeId): boolean {
    return this.voterSet.has(id);
  }

  isLearner(id: NodeId): boolean {
    return this.learnerSet.has(id);
  }

  voterCount(): number {
    return this.voterSet.size;
  }

  /** Replaces the membership; existing progress is kept for members that remain. */
  setConfig(cs: ConfState, nextIndex: number): void {
    const old = new Map(this.progress);
    this.voterSet = new Set(cs.voters);
    this.learnerSet = new Set(cs.learners);
    this.progress.clear();
    for (const id of [...cs.voters, ...cs.learners]) {
      const isLearner = this.learnerSet.has(id);
      let pr = old.get(id);
      if (pr === undefined) {
        pr = new Progress(nextIndex, new Inflights(this.maxInflight, this.maxInflightBytes), isLearner);
        // A new member may need a snapshot right away, which requires it to count as active.
        pr.recentActive = true;
      }
      pr.isLearner = isLearner;
      this.progress.set(id, pr);
    }
    this.ids = [...this.progress.keys()].sort((a, b) => a - b);
    for (const id of [...this.votes.keys()]) if (!this.voterSet.has(id)) this.votes.delete(id);
  }

  /** Visits every member in ascending id order. */
  visit(fn: (id: NodeId, pr: Progress) => void): void {
    for (const id of this.ids) fn(id, this.progress.get(id)!);
  }

  memberIds(): readonly NodeId[] {
    return this.ids;
  }

  voterIds(): NodeId[] {
    return [...this.voterSet].sort((a, b) => a - b);
  }

  quorum(): number {
    return Math.floor(this.voterSet.size / 2) + 1;
  }

  /** The largest index replicated on a majority of voters (0 with no voters). */
  committed(): number {
    if (this.voterSet.size === 0) return 0;
    const matches: number[] = [];
    for (const id of this.voterSet) matches.push(this.progress.get(id)!.match);
    matches.sort((a, b) => b - a);
    return matches[this.quorum() - 1]!;
  }

  /** The quorum-th largest value of f over voters (used for the leader lease). */
  quorumValue(f: (id: NodeId, pr: Progress) => number): number {
    const values: number[] = [];
    for (const id of this.voterSet) values.push(f(id, this.progress.get(id)!));
    values.sort((a, b) => b - a);
    return values[this.quorum() - 1] ?? -Infinity;
  }

  /** Whether a majority of voters has been heard from recently. */
  quorumActive(selfId: NodeId): boolean {
    let active = 0;
    for (const id of this.voterSet) {
      if (id === selfId || this.progress.get(id)!.recentActive) active++;
    }
    return active >= this.quorum();
  }

  isSingleton(): boolean {
    return this.voterSet.size === 1;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voterSet) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = this.quorum();
    let result: VoteResult = 'VotePending';
    if (granted >= q) result = 'VoteWon';
    else if (this.voterSet.size - rejected < q) result = 'VoteLost';
    return { granted, rejected, result };
  }

  /** Whether the acks in `acks` (voter ids) form a majority. */
  hasQuorum(acks: ReadonlySet<NodeId>): boolean {
    let n = 0;
    for (const id of this.voterSet) if (acks.has(id)) n++;
    return n >= this.quorum();
  }

  describe(): string {
    const cs = this.confState();
    let s = `voters=(${cs.voters.join(' ')})`;
    if (cs.learners.length > 0) s += ` learners=(${cs.learners.join(' ')})`;
    return s;
  }
}
