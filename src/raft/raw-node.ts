// The driver-facing wrapper around the Raft state machine: inputs in, Ready out.
//
// Contract for the driver, per Ready (etcd's rules, synchronous storage):
//   1. rd = node.ready()          (only when node.hasReady())
//   2. persist, atomically enough that a crash keeps all or nothing of the step:
//        rd.snapshot → storage (and restore the state machine from it),
//        rd.entries → append to storage, rd.hardState → storage
//   3. send rd.messages            (only after step 2: they promise what was persisted)
//   4. apply rd.committedEntries to the state machine; serve rd.readStates once
//      applied ≥ readState.index
//   5. node.advance(rd)            (conf-change entries among the committed entries
//                                   take effect here, inside the core)
// Calling step/tick/propose between ready() and advance() is allowed; their output
// goes into the next Ready.

import { encodeConfChange } from './codec.js';
import { decodeConfChange } from './codec.js';
import { ProposalDroppedError, RaftUsageError } from './errors.js';
import type { ProgressState } from './progress.js';
import { Raft, type RaftConfig } from './raft.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  LOCAL_MESSAGE_TYPES,
  type Message,
  type NodeId,
  type ReadState,
  RESPONSE_MESSAGE_TYPES,
  type Snapshot,
  type SoftState,
  makeMessage,
  payloadSize,
} from './types.js';

export interface Ready {
  /** Present when leader or role changed. Not persisted. */
  readonly softState?: SoftState;
  /** Present when term, vote or commit changed: persist before sending messages. */
  readonly hardState?: HardState;
  readonly readStates: readonly ReadState[];
  /** Entries to append to stable storage before sending messages. */
  readonly entries: readonly Entry[];
  /** Snapshot to install in stable storage (and the state machine) first. */
  readonly snapshot?: Snapshot;
  /** Entries to apply to the state machine (after persisting this Ready). */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after persisting. */
  readonly messages: readonly Message[];
  /** Whether hard state / entries must be fsync'd (term, vote or log changed). */
  readonly mustSync: boolean;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly paused: boolean;
  readonly pendingSnapshot: number;
  readonly inflight: number;
}

export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly lastIndex: number;
  readonly leadTransferee: NodeId;
  readonly confState: ConfState;
  /** Only on the leader. */
  readonly progress?: ReadonlyMap<NodeId, ProgressStatus>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface AcceptedReady {
  readonly ready: Ready;
  readonly stepsOnAdvance: readonly Message[];
}

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private accepted: AcceptedReady | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first if enabled). */
  campaign(): void {
    this.raft.step(makeMessage({ type: 'MsgHup', from: this.raft.id }));
  }

  /** Proposes data to be appended to the log. Throws ProposalDroppedError if refused. */
  propose(data: Uint8Array): void {
    this.raft.step(
      makeMessage({
        type: 'MsgProp',
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: 'EntryNormal', data }],
      }),
    );
  }

  /**
   * Proposes a single-server membership change. Only one may be pending at a time;
   * it takes effect on each node when the committed entry is applied (advance()).
   */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step(
      makeMessage({
        type: 'MsgProp',
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: 'EntryConfChange', data: encodeConfChange(cc) }],
      }),
    );
  }

  /** Feeds a message received from a peer. Proposals the leader refuses are dropped silently. */
  step(m: Message): void {
    if (LOCAL_MESSAGE_TYPES.has(m.type)) throw new RaftUsageError(`cannot step raft local message ${m.type}`);
    if (RESPONSE_MESSAGE_TYPES.has(m.type) && !this.raft.trk.progress.has(m.from)) {
      return; // a response from a node that is not (or no longer) a member
    }
    try {
      this.raft.step(m);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
  }

  /**
   * Requests a linearizable read: a ReadState with `ctx` appears in a later Ready; the
   * read may be served once the state machine has applied its index. `ctx` must be
   * unique per request. Dropped silently if no leader is known (the caller times out).
   */
  readIndex(ctx: Uint8Array): void {
    this.raft.readIndex(ctx);
  }

  /** Asks the leader to hand leadership to `to` (forwarded if this node is a follower). */
  transferLeadership(to: NodeId): void {
    this.raft.step(makeMessage({ type: 'MsgTransferLeader', from: to }));
  }

  /** The transport could not deliver to `id`: replication to it falls back to probing. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: 'MsgUnreachable', from: id }));
  }

  hasReady(): boolean {
    if (this.accepted !== undefined) return false;
    const r = this.raft;
    if (r.lead !== this.prevSoftState.lead || r.state !== this.prevSoftState.state) return true;
    if (this.hardStateChanged()) return true;
    return (
      r.raftLog.hasPendingSnapshot() ||
      r.raftLog.unstable.entries.length > 0 ||
      r.raftLog.hasNextCommittedEntries() ||
      r.msgs.length > 0 ||
      r.msgsAfterAppend.length > 0 ||
      r.readStates.length > 0
    );
  }

  private hardStateChanged(): boolean {
    const r = this.raft;
    const p = this.prevHardState;
    const changed = r.term !== p.term || r.vote !== p.vote || r.raftLog.committed !== p.commit;
    return changed && !(r.term === 0 && r.vote === 0 && r.raftLog.committed === 0);
  }

  /** Collects pending output. Must be followed by advance(rd) before the next ready(). */
  ready(): Ready {
    if (this.accepted !== undefined) throw new RaftUsageError('ready() called again before advance() of the previous Ready');
    const r = this.raft;
    const softChanged = r.lead !== this.prevSoftState.lead || r.state !== this.prevSoftState.state;
    const hardChanged = this.hardStateChanged();
    const entries = r.raftLog.unstableEntries();
    const snapshot = r.raftLog.unstable.snapshot;
    const messages = r.msgs;
    const stepsOnAdvance: Message[] = [];
    for (const m of r.msgsAfterAppend) {
      if (m.to === r.id) stepsOnAdvance.push(m);
      else messages.push(m);
    }
    const mustSync = entries.length > 0 || snapshot !== undefined || r.term !== this.prevHardState.term || r.vote !== this.prevHardState.vote;
    const rd: Mutable<Ready> = {
      readStates: r.readStates,
      entries,
      committedEntries: r.raftLog.nextCommittedEntries(),
      messages,
      mustSync,
    };
    if (softChanged) this.prevSoftState = rd.softState = r.softState();
    if (hardChanged) this.prevHardState = rd.hardState = r.hardState();
    if (snapshot) rd.snapshot = snapshot;
    r.msgs = [];
    r.msgsAfterAppend = [];
    r.readStates = [];
    this.accepted = { ready: rd, stepsOnAdvance };
    return rd;
  }

  /** The driver has persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    const acc = this.accepted;
    if (acc === undefined || acc.ready !== rd) throw new RaftUsageError('advance() must be called with the Ready returned by ready()');
    this.accepted = undefined;
    const r = this.raft;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) r.raftLog.stableTo(lastEntry.index, lastEntry.term);
    if (rd.snapshot) r.appliedSnapshot(rd.snapshot.metadata.index);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) {
      for (const e of rd.committedEntries) {
        if (e.type === 'EntryConfChange') r.applyConfChange(decodeConfChange(e.data));
      }
      r.appliedTo(lastCommitted.index, payloadSize(rd.committedEntries));
    }
    for (const m of acc.stepsOnAdvance) r.step(m);
  }

  status(): Status {
    const r = this.raft;
    let progress: Map<NodeId, ProgressStatus> | undefined;
    if (r.state === 'StateLeader') {
      progress = new Map();
      r.trk.visit((id, pr) => {
        progress!.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          pendingSnapshot: pr.pendingSnapshot,
          inflight: pr.inflights.size(),
        });
      });
    }
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      lastIndex: r.raftLog.lastIndex(),
      leadTransferee: r.leadTransferee,
      confState: r.confState(),
      ...(progress ? { progress } : {}),
    };
  }
}
