// The Raft consensus state machine: deterministic, no I/O, no clocks, no randomness
// of its own (the election jitter comes from an injected rand()). Inputs are
// messages and ticks; outputs accumulate in `msgs`, the unstable log, `readStates`
// and the hard/soft state, which RawNode packages as a Ready.
//
// Structure and behaviour follow etcd's raft (raft.go); differences:
// - snapshots travel in chunks (MsgSnap offset/data/done, acknowledged by MsgSnapResp),
//   driven entirely by the core (retransmitted on heartbeat responses);
// - membership changes are single-server only (no joint consensus);
// - the optional leader lease is tied to heartbeat send times (see leaseValid()).

import { applyConfChangeToState, confChangeProblem, describeConfState } from './conf-change.js';
import { decodeConfChange } from './codec.js';
import { describeMessage } from './describe.js';
import { invariant, ProposalDroppedError, RaftUsageError, SnapshotTemporarilyUnavailableError } from './errors.js';
import type { Progress } from './progress.js';
import { ProgressTracker } from './progress-tracker.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly, type ReadOnlyOption } from './read-only.js';
import { SnapshotReceiver } from './snapshot-receiver.js';
import type { Storage } from './storage.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type MessageType,
  NONE,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
  type StateType,
  bytesEqual,
  isEmptyHardState,
  isEmptySnapshot,
  makeMessage,
  payloadSize,
  voteResponseType,
} from './types.js';

export interface RaftLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export const SILENT_LOGGER: RaftLogger = { debug() {}, info() {}, warn() {} };

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  /** Ticks without hearing from a leader before a follower campaigns (randomised in [e, 2e)). */
  readonly electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  readonly heartbeatTick: number;
  /** Uniform random number in [0, 1): the only source of randomness (seed it in tests). */
  readonly rand: () => number;
  /** Last index the state machine has applied (on restart). Default: the snapshot index. */
  readonly applied?: number;
  /** Byte limit of the entries in one MsgApp (one entry always fits). Default 1 MiB. */
  readonly maxSizePerMsg?: number;
  /** MsgApps in flight per follower in StateReplicate. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Payload bytes in flight per follower; 0 = unlimited. Default 0. */
  readonly maxInflightBytes?: number;
  /** Byte limit of committed entries handed out per Ready. Default 8 MiB. */
  readonly maxCommittedSizePerReady?: number;
  /** Leader drops proposals beyond this many uncommitted payload bytes; 0 = unlimited. */
  readonly maxUncommittedEntriesSize?: number;
  /** Bytes of snapshot data per MsgSnap chunk. Default 1 MiB. */
  readonly maxSnapshotChunkSize?: number;
  /**
   * Leader steps down if it has not heard from a quorum within an election timeout; also
   * turns on leader stickiness (followers that heard from a leader within the election
   * timeout ignore vote requests). Default true.
   */
  readonly checkQuorum?: boolean;
  /** Run a pre-vote round before bumping the term, so a partitioned node cannot disrupt. Default true. */
  readonly preVote?: boolean;
  /**
   * 'safe' (default): ReadIndex confirms leadership with a heartbeat round.
   * 'lease-based': opt-in optimisation; answers from a leader lease without a round
   * trip. Assumes tick rates on all nodes agree within a small factor (bounded clock
   * drift). Requires checkQuorum.
   */
  readonly readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  readonly disableProposalForwarding?: boolean;
  readonly logger?: RaftLogger;
}

/** Marks a vote request from a leadership transfer: it overrides leader stickiness. */
export const CAMPAIGN_TRANSFER_CONTEXT = new TextEncoder().encode('CampaignTransfer');

type CampaignType = 'pre-election' | 'election' | 'transfer';

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

/** Ticks of safety margin subtracted from the lease for tick phase and clock-rate skew. */
const LEASE_SAFETY_TICKS = 2;

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  state: StateType = 'StateFollower';
  lead: NodeId = NONE;
  isLearner = false;
  /** Messages to send once the current unstable state is persisted. */
  msgs: Message[] = [];
  /** Responses to ourselves (self-vote, self-append-ack): stepped after persistence, in advance(). */
  msgsAfterAppend: Message[] = [];
  trk: ProgressTracker;
  leadTransferee: NodeId = NONE;
  /** Index of the latest conf change the leader appended; only one may be pending. */
  pendingConfIndex = 0;
  uncommittedSize = 0;
  readOnly: ReadOnly;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private readonly maxSnapshotChunkSize: number;
  private readonly disableProposalForwarding: boolean;
  private readonly rand: () => number;
  readonly logger: RaftLogger;
  private pendingReadIndexMessages: Message[] = [];
  private readonly snapshotReceiver = new SnapshotReceiver();
  /** Leader: ticks since becoming leader (heartbeats carry it so acks date the lease). */
  private leaderTicks = 0;
  /** Leader: set once a MsgTimeoutNow went out; no lease reads for the rest of the term. */
  private leaseRevoked = false;
  /** Lease mode: a freshly started node ignores votes for one election timeout, as if it had a leader. */
  private startupVoteLockout = false;

  constructor(c: RaftConfig) {
    validateConfig(c);
    this.id = c.id;
    this.logger = c.logger ?? SILENT_LOGGER;
    this.rand = c.rand;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady ?? 8 * 1024 * 1024);
    this.maxMsgSize = c.maxSizePerMsg ?? 1024 * 1024;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? 0;
    this.maxSnapshotChunkSize = c.maxSnapshotChunkSize ?? 1024 * 1024;
    this.trk = new ProgressTracker(c.maxInflightMsgs ?? 256, c.maxInflightBytes ?? 0);
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum ?? true;
    this.preVote = c.preVote ?? true;
    this.readOnly = new ReadOnly(c.readOnlyOption ?? 'safe');
    this.disableProposalForwarding = c.disableProposalForwarding ?? false;

    const { hardState, confState } = c.storage.initialState();
    this.switchToConfig(confState);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
    this.startupVoteLockout = this.readOnly.option === 'lease-based';
    this.logger.info(
      `newRaft ${this.id} [peers: [${this.trk.voterIds().join(',')}], term: ${this.term}, commit: ${this.raftLog.committed}, ` +
        `applied: ${this.raftLog.applied}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}]`,
    );
  }

  // ---------------------------------------------------------------- state

  hasLeader(): boolean {
    return this.lead !== NONE;
  }

  softState(): SoftState {
    return { lead: this.lead, state: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  confState(): ConfState {
    return this.trk.confState();
  }

  private loadState(hs: HardState): void {
    invariant(
      hs.commit >= this.raftLog.committed && hs.commit <= this.raftLog.lastIndex(),
      () => `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
    );
    this.raftLog.committed = hs.commit;
    this.setTerm(hs.term);
    this.vote = hs.vote;
  }

  /** Terms only move forward: a node that went back in time could vote twice. */
  private setTerm(term: number): void {
    invariant(term >= this.term, () => `${this.id} term would go back from ${this.term} to ${term}`);
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
  }

  private setVote(id: NodeId): void {
    invariant(
      this.vote === NONE || this.vote === id,
      () => `${this.id} would vote twice in term ${this.term} (${this.vote}, then ${id})`,
    );
    this.vote = id;
  }

  private promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  // ---------------------------------------------------------------- sending

  private send(fields: Partial<Message> & Pick<Message, 'type' | 'to'>): void {
    const t = fields.type;
    let term = fields.term ?? 0;
    if (t === 'MsgVote' || t === 'MsgVoteResp' || t === 'MsgPreVote' || t === 'MsgPreVoteResp') {
      invariant(term !== 0, () => `term should be set when sending ${t}`);
    } else {
      invariant(term === 0, () => `term should not be set when sending ${t} (was ${term})`);
      // Proposals and read requests are forwarded like local messages, without a term.
      if (t !== 'MsgProp' && t !== 'MsgReadIndex') term = this.term;
    }
    const m: Message = {
      type: t,
      to: fields.to,
      from: this.id,
      term,
      logTerm: fields.logTerm ?? 0,
      index: fields.index ?? 0,
      entries: fields.entries ?? NO_ENTRIES,
      commit: fields.commit ?? 0,
      reject: fields.reject ?? false,
      rejectHint: fields.rejectHint ?? 0,
      snapshot: fields.snapshot,
      context: fields.context,
    };
    if (m.to === this.id) {
      invariant(
        t === 'MsgAppResp' || t === 'MsgVoteResp' || t === 'MsgPreVoteResp',
        () => `message should not be self-addressed: ${describeMessage(m)}`,
      );
      this.msgsAfterAppend.push(m);
    } else {
      this.msgs.push(m);
    }
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends a MsgApp with new entries (if any) and the commit index. Returns whether a
   * message went out; with sendIfEmpty=false, empty appends are suppressed.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to)!;
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    invariant(
      prevIndex <= this.raftLog.lastIndex(),
      () => `${this.id} progress of ${to} next=${pr.next} beyond last index ${this.raftLog.lastIndex()}`,
    );
    const prevTerm = this.raftLog.termOrUndefined(prevIndex);
    if (prevTerm === undefined) {
      // The entries the follower needs were compacted away: it needs a snapshot.
      return this.maybeSendSnapshot(to, pr);
    }
    let ents: Entry[] = [];
    // A throttled replicate stream sends only empty appends, which still get acked or
    // rejected and so recover the window if all in-flight messages were lost.
    if (pr.state !== 'StateReplicate' || !pr.inflights.isFull()) {
      ents = this.raftLog.entries(pr.next, this.maxMsgSize);
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ to, type: 'MsgApp', index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed });
    pr.sentEntries(ents.length, payloadSize(ents));
    pr.sentCommit(this.raftLog.committed);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug(`${this.id} ignore sending snapshot to ${to} since it is not recently active`);
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (err) {
      if (err instanceof SnapshotTemporarilyUnavailableError) {
        this.logger.debug(`${this.id} failed to send snapshot to ${to} because snapshot is temporarily unavailable`);
        return false;
      }
      throw err;
    }
    invariant(!isEmptySnapshot(snapshot), () => `${this.id} needs a non-empty snapshot to send to ${to}`);
    this.logger.debug(
      `${this.id} [firstindex: ${this.raftLog.firstIndex()}, commit: ${this.raftLog.committed}] sent snapshot` +
        `[index: ${snapshot.metadata.index}, term: ${snapshot.metadata.term}] to ${to} [${pr.describe()}]`,
    );
    pr.becomeSnapshot(snapshot);
    this.sendSnapshotChunk(to, pr);
    return true;
  }

  /** Sends the chunk starting where the follower's acknowledgements left off. */
  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const tr = pr.snapshotTransfer!;
    const data = tr.snapshot.data;
    const end = Math.min(data.length, tr.ackedOffset + this.maxSnapshotChunkSize);
    this.send({
      to,
      type: 'MsgSnap',
      snapshot: {
        metadata: tr.snapshot.metadata,
        offset: tr.ackedOffset,
        data: data.subarray(tr.ackedOffset, end),
        done: end === data.length,
      },
    });
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array | undefined): void {
    const pr = this.trk.progress.get(to)!;
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr.match, this.raftLog.committed);
    // `index` carries the leader's tick count; acknowledgements echo it (lease dating).
    this.send({ to, type: 'MsgHeartbeat', commit, index: this.leaderTicks, ...(ctx ? { context: ctx } : {}) });
    pr.sentCommit(commit);
  }

  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  private bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx());
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array | undefined): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  private sendTimeoutNow(to: NodeId): void {
    // The transferee will campaign with a forced vote that overrides leader stickiness,
    // so this leader's lease can no longer be trusted for the rest of its term.
    this.leaseRevoked = true;
    this.send({ to, type: 'MsgTimeoutNow' });
  }

  // ---------------------------------------------------------------- applying and committing

  appliedTo(index: number, appliedPayload: number): void {
    this.raftLog.appliedTo(Math.max(index, this.raftLog.applied));
    if (this.state === 'StateLeader') this.uncommittedSize = Math.max(0, this.uncommittedSize - appliedPayload);
  }

  appliedSnapshot(index: number): void {
    this.raftLog.stableSnapTo(index);
    if (index > this.raftLog.applied) this.raftLog.appliedTo(index);
  }

  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.zeroTermOnOutOfBounds(this.raftLog.committed) === this.term;
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.setTerm(term);
      this.snapshotReceiver.reset();
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    this.trk.visit((id, pr) => {
      pr.becomeProbe();
      pr.match = id === this.id ? last : 0;
      pr.next = last + 1;
      pr.recentActive = false;
      pr.leaseAckTick = -1;
      pr.pendingCommit = 0;
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndexMessages = [];
    this.leaderTicks = 0;
    this.leaseRevoked = false;
  }

  private appendEntry(es: Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    const ents = es.map((e, i) => ({ ...e, term: this.term, index: li + 1 + i }));
    if (!this.increaseUncommittedSize(ents)) {
      this.logger.warn(`${this.id} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`);
      return false;
    }
    const last = this.raftLog.append(ents);
    // Acknowledge our own entries only once they are persisted (stepped in advance()).
    this.send({ to: this.id, type: 'MsgAppResp', index: last });
    return true;
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadSize(ents);
    if (this.maxUncommittedSize > 0 && this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  // ---------------------------------------------------------------- ticks and transitions

  tick(): void {
    if (this.state === 'StateLeader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) this.startupVoteLockout = false;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(makeMessage({ type: 'MsgHup', from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.leaderTicks++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(makeMessage({ type: 'MsgCheckQuorum', from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === 'StateLeader' && this.leadTransferee !== NONE) {
        this.logger.info(`${this.id} [term ${this.term}] abandons leadership transfer to ${this.leadTransferee}: it did not finish in time`);
        this.abortLeaderTransfer();
      }
    }
    if (this.state !== 'StateLeader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(makeMessage({ type: 'MsgBeat', from: this.id }));
    }
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.rand();
    invariant(r >= 0 && r < 1, () => `rand() must return a number in [0, 1), got ${r}`);
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(r * this.electionTimeout);
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'StateFollower';
    this.logger.info(`${this.id} became follower at term ${this.term}`);
  }

  private becomeCandidate(): void {
    invariant(this.state !== 'StateLeader', () => `${this.id} invalid transition [leader -> candidate]`);
    this.reset(this.term + 1);
    this.setVote(this.id);
    this.state = 'StateCandidate';
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  private becomePreCandidate(): void {
    invariant(this.state !== 'StateLeader', () => `${this.id} invalid transition [leader -> pre-candidate]`);
    // No term bump and no vote: a pre-candidate disturbs nobody until it could win.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = 'StatePreCandidate';
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    invariant(this.state !== 'StateFollower', () => `${this.id} invalid transition [follower -> leader]`);
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'StateLeader';
    const self = this.trk.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // There may be an unapplied conf change in the log; refuse new ones until all
    // pending entries are applied (this also closes the single-server change bug
    // in Ongaro's thesis: the new leader first commits an entry of its own term).
    this.pendingConfIndex = this.raftLog.lastIndex();
    const ok = this.appendEntry([{ term: 0, index: 0, type: 'EntryNormal', data: new Uint8Array(0) }]);
    invariant(ok, () => 'empty leader entry was dropped');
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  private hup(t: CampaignType): void {
    if (this.state === 'StateLeader') {
      this.logger.debug(`${this.id} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warn(`${this.id} is unpromotable and can not campaign`);
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn(`${this.id} cannot campaign at term ${this.term} since there are still pending configuration changes to apply`);
      return;
    }
    this.logger.info(`${this.id} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    const ents = this.raftLog.slice(this.raftLog.applied + 1, this.raftLog.committed + 1, Number.MAX_SAFE_INTEGER);
    return ents.some((e) => e.type === 'EntryConfChange');
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = 'MsgPreVote';
      // Pre-votes ask about the next term without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = 'MsgVote';
      term = this.term;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.trk.voterIds()) {
      if (id === this.id) {
        // Our own vote counts once it is persisted (stepped in advance()).
        this.send({ to: id, term, type: voteResponseType(voteMsg) });
        continue;
      }
      this.logger.info(
        `${this.id} [logterm: ${lastTerm}, index: ${lastIndex}] sent ${voteMsg} request to ${id} at term ${this.term}`,
      );
      this.send({
        to: id,
        term,
        type: voteMsg,
        index: lastIndex,
        logTerm: lastTerm,
        ...(t === 'transfer' ? { context: CAMPAIGN_TRANSFER_CONTEXT } : {}),
      });
    }
  }

  private poll(id: NodeId, t: MessageType, granted: boolean): ReturnType<ProgressTracker['tallyVotes']> {
    this.logger.info(`${this.id} received ${t}${granted ? '' : ' rejection'} from ${id} at term ${this.term}`);
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes();
  }

  // ---------------------------------------------------------------- step

  /** Feeds one message into the state machine. Throws ProposalDroppedError for refused proposals. */
  step(m: Message): void {
    if (m.term === 0) {
      // local message (or a forwarded proposal / read request)
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const force = m.context !== undefined && bytesEqual(m.context, CAMPAIGN_TRANSFER_CONTEXT);
        const inLease =
          this.checkQuorum &&
          (this.lead !== NONE || this.startupVoteLockout) &&
          this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Leader stickiness: while we hear from a live leader, do not help depose it.
          this.logger.info(
            `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote}] ` +
              `ignored ${m.type} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: ` +
              `lease is not expired (remaining ticks: ${this.electionTimeout - this.electionElapsed})`,
          );
          return;
        }
      }
      if (m.type === 'MsgPreVote') {
        // Never change our term in response to a pre-vote.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // A granted pre-vote carries the term we would campaign at; we bump it only if we win.
      } else {
        this.logger.info(
          `${this.id} [term: ${this.term}] received a ${m.type} message with higher term from ${m.from} [term: ${m.term}]`,
        );
        if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') this.becomeFollower(m.term, m.from);
        else this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (or a delayed message): tell it our term so that it steps down.
        // Without this, a node that bumped its term while partitioned could never rejoin
        // when check-quorum/pre-vote stop the old leader's term from rising.
        this.send({ to: m.from, type: 'MsgAppResp' });
      } else if (m.type === 'MsgPreVote') {
        this.logger.info(
          `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote}] ` +
            `rejected ${m.type} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
        );
        this.send({ to: m.from, term: this.term, type: 'MsgPreVoteResp', reject: true });
      } else {
        this.logger.info(
          `${this.id} [term: ${this.term}] ignored a ${m.type} message with lower term from ${m.from} [term: ${m.term}]`,
        );
      }
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(this.preVote ? 'pre-election' : 'election');
        return;
      case 'MsgVote':
      case 'MsgPreVote':
        this.handleVoteRequest(m);
        return;
      default:
        switch (this.state) {
          case 'StateLeader':
            this.stepLeader(m);
            return;
          case 'StateCandidate':
          case 'StatePreCandidate':
            this.stepCandidate(m);
            return;
          case 'StateFollower':
            this.stepFollower(m);
            return;
        }
    }
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      // a repeat of a vote we already cast,
      this.vote === m.from ||
      // or we have not voted and know of no leader in this term,
      (this.vote === NONE && this.lead === NONE) ||
      // or a pre-vote for a future term;
      (m.type === 'MsgPreVote' && m.term > this.term);
    // and the candidate's log is at least as up to date as ours.
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // Learners vote too: a learner may have been promoted without knowing it yet.
      this.logger.info(
        `${this.id} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${this.vote}] cast ${m.type} for ${m.from} ` +
          `[logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
      );
      // Reply with the request's term (for pre-votes that is a term we are not at yet).
      this.send({ to: m.from, term: m.term, type: voteResponseType(m.type) });
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0;
        this.setVote(m.from);
      }
    } else {
      this.logger.info(
        `${this.id} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${this.vote}] rejected ${m.type} from ${m.from} ` +
          `[logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
      );
      this.send({ to: m.from, term: this.term, type: voteResponseType(m.type), reject: true });
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'MsgBeat':
        this.bcastHeartbeat();
        return;
      case 'MsgCheckQuorum':
        if (!this.trk.quorumActive(this.id)) {
          this.logger.warn(`${this.id} stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, NONE);
        }
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case 'MsgProp':
        this.leaderPropose(m);
        return;
      case 'MsgReadIndex':
        if (m.context === undefined || m.context.length === 0) return;
        if (this.trk.isSingleton()) {
          this.answerReadIndex(m, this.raftLog.committed);
          return;
        }
        // A new leader does not know the commit index until it commits in its own term.
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.handleReadIndex(m);
        return;
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) {
      this.logger.debug(`${this.id} no progress available for ${m.from}`);
      return;
    }
    switch (m.type) {
      case 'MsgAppResp':
        this.handleAppendResponse(m, pr);
        return;
      case 'MsgHeartbeatResp':
        this.handleHeartbeatResponse(m, pr);
        return;
      case 'MsgSnapResp':
        this.handleSnapshotResponse(m, pr);
        return;
      case 'MsgUnreachable':
        // In optimistic replication a lost MsgApp is likely: fall back to probing.
        if (pr.state === 'StateReplicate') pr.becomeProbe();
        this.logger.debug(`${this.id} failed to send message to ${m.from} because it is unreachable [${pr.describe()}]`);
        return;
      case 'MsgTransferLeader':
        this.handleTransferLeader(m, pr);
        return;
      default:
        return;
    }
  }

  private leaderPropose(m: Message): void {
    invariant(m.entries.length > 0, () => `${this.id} stepped empty MsgProp`);
    if (!this.trk.progress.has(this.id)) {
      // Removed from the configuration while leading: stop taking writes.
      throw new ProposalDroppedError(`${this.id} is not a member of the configuration`);
    }
    if (this.leadTransferee !== NONE) {
      this.logger.debug(`${this.id} [term ${this.term}] transfer leadership to ${this.leadTransferee} is in progress; dropping proposal`);
      throw new ProposalDroppedError(`leadership transfer to ${this.leadTransferee} in progress`);
    }
    const ents = m.entries.slice();
    let confIndex = 0;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (e.type !== 'EntryConfChange') continue;
      const cc = decodeConfChange(e.data);
      let problem: string | undefined;
      if (this.pendingConfIndex > this.raftLog.applied || confIndex > 0) {
        problem = `possible unapplied conf change at index ${Math.max(confIndex, this.pendingConfIndex)} (applied to ${this.raftLog.applied})`;
      } else {
        problem = confChangeProblem(this.trk.confState(), cc);
      }
      if (problem !== undefined) {
        this.logger.info(`${this.id} ignoring conf change ${cc.type} ${cc.nodeId} at config ${this.trk.describe()}: ${problem}`);
        throw new ProposalDroppedError(`conf change refused: ${problem}`);
      }
      confIndex = this.raftLog.lastIndex() + i + 1;
    }
    if (!this.appendEntry(ents)) throw new ProposalDroppedError('uncommitted entry size limit exceeded');
    if (confIndex > 0) this.pendingConfIndex = confIndex;
    this.bcastAppend();
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // rejectHint is where the follower's log may match; logTerm is its term there.
      this.logger.debug(
        `${this.id} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from} for index ${m.index}`,
      );
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) {
        // Skip every index where our term is above the follower's term at the hint:
        // none of them can match (terms only grow along a log). One probe per term.
        nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      }
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        this.logger.debug(`${this.id} decreased progress of ${m.from} to [${pr.describe()}]`);
        if (pr.state === 'StateReplicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'StateProbe')) {
      if (pr.state === 'StateProbe') {
        pr.becomeReplicate();
      } else if (pr.state === 'StateSnapshot') {
        if (pr.match + 1 >= this.raftLog.firstIndex()) {
          this.logger.debug(`${this.id} recovered from needing snapshot, resumed sending replication messages to ${m.from} [${pr.describe()}]`);
          pr.becomeProbe();
          pr.becomeReplicate();
        } else if (pr.match >= pr.pendingSnapshot) {
          // The snapshot landed but the log was compacted past it meanwhile: probe,
          // which sends a newer snapshot.
          pr.becomeProbe();
        }
      } else {
        pr.inflights.freeLE(m.index);
      }
      if (this.maybeCommit()) {
        // Committing in our term makes the postponed read requests answerable.
        this.releasePendingReadIndexMessages();
        this.bcastAppend();
      } else if (m.from !== this.id && pr.canBumpCommit(this.raftLog.committed)) {
        // The follower may lack the latest commit index: send it now rather than at the
        // next heartbeat.
        this.sendAppend(m.from);
      }
      if (m.from !== this.id) {
        // The window may have room for several messages now.
        while (this.maybeSendAppend(m.from, false)) {
          /* keep filling */
        }
      }
      if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
        this.logger.info(`${this.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
        this.sendTimeoutNow(m.from);
      }
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    if (m.index > pr.leaseAckTick) pr.leaseAckTick = m.index;
    if (pr.state === 'StateSnapshot') {
      // Retransmit the chunk the follower is waiting for (it may have been lost).
      if (pr.snapshotTransfer) this.sendSnapshotChunk(m.from, pr);
    } else if (pr.match < this.raftLog.lastIndex() || pr.state === 'StateProbe') {
      // Also unsticks a full window whose messages were all lost (sends an empty append).
      this.sendAppend(m.from);
    }
    if (m.context === undefined || m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined || !this.trk.hasQuorum(acks)) return;
    for (const rs of this.readOnly.advance(m.context)) this.answerReadIndex(rs.req, rs.index);
  }

  private handleSnapshotResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    const tr = pr.snapshotTransfer;
    const ack = m.snapshot;
    if (pr.state !== 'StateSnapshot' || tr === undefined || ack === undefined) return;
    if (ack.metadata.index !== tr.snapshot.metadata.index || ack.metadata.term !== tr.snapshot.metadata.term) return;
    if (ack.offset > tr.snapshot.data.length) {
      this.logger.warn(`${this.id} ignoring snapshot ack from ${m.from} past the end (${ack.offset} > ${tr.snapshot.data.length})`);
      return;
    }
    // Only a changed position triggers a send, so duplicated acks do not multiply chunks.
    // (A smaller offset means the follower lost its partial copy, e.g. by restarting.)
    if (ack.offset === tr.ackedOffset) return;
    tr.ackedOffset = ack.offset;
    this.sendSnapshotChunk(m.from, pr);
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    if (pr.isLearner) {
      this.logger.debug(`${this.id} is learner. Ignored transferring leadership`);
      return;
    }
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) {
        this.logger.info(
          `${this.id} [term ${this.term}] transfer leadership to ${transferee} is in progress, ignores request to same node ${transferee}`,
        );
        return;
      }
      this.logger.info(`${this.id} [term ${this.term}] abort previous transferring leadership to ${this.leadTransferee}`);
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) {
      this.logger.debug(`${this.id} is already leader. Ignored transferring leadership to self`);
      return;
    }
    this.logger.info(`${this.id} [term ${this.term}] starts to transfer leadership to ${transferee}`);
    // The transfer must finish within an election timeout.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(transferee);
      this.logger.info(`${this.id} sends MsgTimeoutNow to ${transferee} immediately as ${transferee} already has up-to-date log`);
    } else {
      this.sendAppend(transferee);
    }
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private stepCandidate(m: Message): void {
    // Only count responses to our own kind of candidacy (stale pre-vote responses may arrive).
    const myVoteRespType: MessageType = this.state === 'StatePreCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgProp':
        this.logger.info(`${this.id} no leader at term ${this.term}; dropping proposal`);
        throw new ProposalDroppedError(`${this.id} has no leader at term ${this.term}`);
      case 'MsgApp':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgTimeoutNow':
        this.logger.debug(`${this.id} [term ${this.term} state ${this.state}] ignored MsgTimeoutNow from ${m.from}`);
        return;
      default:
        if (m.type !== myVoteRespType) return;
        {
          const { granted, rejected, result } = this.poll(m.from, m.type, !m.reject);
          this.logger.info(`${this.id} has received ${granted} ${m.type} votes and ${rejected} vote rejections`);
          if (result === 'VoteWon') {
            if (this.state === 'StatePreCandidate') {
              this.campaign('election');
            } else {
              this.becomeLeader();
              this.bcastAppend();
            }
          } else if (result === 'VoteLost') {
            // A pre-vote response carries a future term: stay at ours.
            this.becomeFollower(this.term, NONE);
          }
        }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NONE) {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping proposal`);
          throw new ProposalDroppedError(`${this.id} has no leader at term ${this.term}`);
        }
        if (this.disableProposalForwarding) {
          this.logger.info(`${this.id} not forwarding to leader ${this.lead} at term ${this.term}; dropping proposal`);
          throw new ProposalDroppedError(`${this.id} is not the leader (leader is ${this.lead})`);
        }
        this.msgs.push({ ...m, to: this.lead });
        return;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead === NONE) {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping leader transfer msg`);
          return;
        }
        this.msgs.push({ ...m, to: this.lead, term: this.term });
        return;
      case 'MsgTimeoutNow':
        this.logger.info(
          `${this.id} [term ${this.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership`,
        );
        // No pre-vote: the old leader asked for this, there is no partition to guard against.
        this.hup('transfer');
        return;
      case 'MsgReadIndex':
        if (this.lead === NONE) {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping index reading msg`);
          return;
        }
        this.msgs.push({ ...m, to: this.lead });
        return;
      case 'MsgReadIndexResp':
        if (m.context === undefined) {
          this.logger.warn(`${this.id} invalid format of MsgReadIndexResp from ${m.from}: no context`);
          return;
        }
        this.readStates.push({ index: m.index, requestCtx: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send({ to: m.from, type: 'MsgAppResp', index: this.raftLog.committed });
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ to: m.from, type: 'MsgAppResp', index: lastNew });
      return;
    }
    this.logger.debug(
      `${this.id} [logterm: ${this.raftLog.zeroTermOnOutOfBounds(m.index)}, index: ${m.index}] rejected MsgApp ` +
        `[logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`,
    );
    // Hint: the largest (index, term) in our log with index ≤ m.index and term ≤ m.logTerm,
    // which skips our whole uncommitted tail of higher terms in one round trip.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    const hint = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.send({ to: m.from, type: 'MsgAppResp', index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send({ to: m.from, type: 'MsgHeartbeatResp', index: m.index, ...(m.context ? { context: m.context } : {}) });
  }

  /** Chunked InstallSnapshot, follower side: collect chunks in order, restore on the last one. */
  private handleSnapshot(m: Message): void {
    const c = m.snapshot;
    if (c === undefined) {
      this.logger.warn(`${this.id} ignoring MsgSnap without snapshot from ${m.from}`);
      return;
    }
    const meta = c.metadata;
    if (meta.index <= this.raftLog.committed) {
      this.snapshotReceiver.reset();
      this.logger.info(
        `${this.id} [commit: ${this.raftLog.committed}] ignored snapshot [index: ${meta.index}, term: ${meta.term}]`,
      );
      this.send({ to: m.from, type: 'MsgAppResp', index: this.raftLog.committed });
      return;
    }
    const res = this.snapshotReceiver.receive(m.from, c);
    if (res.kind === 'ack') {
      this.send({ to: m.from, type: 'MsgSnapResp', snapshot: { metadata: meta, offset: res.offset, data: new Uint8Array(0), done: false } });
      return;
    }
    if (this.restore(res.snapshot)) {
      this.send({ to: m.from, type: 'MsgAppResp', index: this.raftLog.lastIndex() });
    } else {
      this.logger.info(`${this.id} [commit: ${this.raftLog.committed}] ignored snapshot [index: ${meta.index}, term: ${meta.term}]`);
      this.send({ to: m.from, type: 'MsgAppResp', index: this.raftLog.committed });
    }
  }

  /**
   * Installs a snapshot as our log. Returns false if it was ignored (stale, or our log
   * already contains it, in which case commit is fast-forwarded).
   */
  private restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.raftLog.committed) return false;
    if (this.state !== 'StateFollower') {
      // Defence in depth: a leader must never install a snapshot.
      this.logger.warn(`${this.id} attempted to restore snapshot as ${this.state}; should never happen`);
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    if (this.raftLog.matchTerm(index, term)) {
      this.logger.info(
        `${this.id} [commit: ${this.raftLog.committed}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}] ` +
          `fast-forwarded commit to snapshot [index: ${index}, term: ${term}]`,
      );
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(s);
    // A snapshot taken before our own addition does not list us; the conf change that
    // adds us follows in the log, so that is fine (we are not promotable meanwhile).
    this.trk = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    this.switchToConfig(confState);
    this.logger.info(
      `${this.id} [commit: ${this.raftLog.committed}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}] ` +
        `restored snapshot [index: ${index}, term: ${term}]`,
    );
    return true;
  }

  /** Applies a committed conf change (called by RawNode.advance()). Invalid changes are no-ops. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.switchToConfig(applyConfChangeToState(this.trk.confState(), cc));
  }

  private switchToConfig(cs: ConfState): ConfState {
    this.trk.setConfig(cs, Math.max(1, this.raftLog.lastIndex()));
    this.logger.info(`${this.id} switched to configuration ${describeConfState(cs)}`);
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if ((pr === undefined || this.isLearner) && this.state === 'StateLeader') {
      // Removed or demoted while leading: step down so that a member can take over.
      this.logger.info(`${this.id} stepping down: no longer a voter`);
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.state !== 'StateLeader' || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      // A smaller quorum may commit more right away.
      this.bcastAppend();
    } else {
      // Probe new members now rather than at the next heartbeat.
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }

  // ---------------------------------------------------------------- reads

  private handleReadIndex(m: Message): void {
    if (this.readOnly.option === 'lease-based' && this.leaseValid()) {
      this.answerReadIndex(m, this.raftLog.committed);
      return;
    }
    const ctx = m.context!;
    this.readOnly.addRequest(this.raftLog.committed, m);
    // The leader acknowledges itself; a quorum of heartbeat acks confirms leadership.
    this.readOnly.recvAck(this.id, ctx);
    this.bcastHeartbeatWithCtx(ctx);
  }

  private answerReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.context! });
      return;
    }
    this.send({ to: req.from, type: 'MsgReadIndexResp', index, ...(req.context ? { context: req.context } : {}) });
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.handleReadIndex(m);
  }

  /**
   * Leader lease: a quorum acknowledged heartbeats sent at leader tick L or later, and
   * each of them ignores votes for an election timeout after hearing from us (leader
   * stickiness), so no other leader can exist before roughly L + electionTimeout.
   */
  leaseValid(): boolean {
    if (this.state !== 'StateLeader' || this.leaseRevoked || this.leadTransferee !== NONE) return false;
    const l = this.trk.quorumValue((id, pr) => (id === this.id ? this.leaderTicks : pr.leaseAckTick));
    return l >= 0 && this.leaderTicks - l < this.electionTimeout - LEASE_SAFETY_TICKS;
  }

  readIndex(ctx: Uint8Array): void {
    if (ctx.length === 0) throw new RaftUsageError('readIndex needs a non-empty, unique request context');
    this.step(makeMessage({ type: 'MsgReadIndex', from: this.id, context: ctx }));
  }
}

function validateConfig(c: RaftConfig): void {
  const fail = (msg: string): never => {
    throw new RaftUsageError(`invalid raft config: ${msg}`);
  };
  if (!Number.isSafeInteger(c.id) || c.id <= 0) fail(`id must be a positive integer, got ${c.id}`);
  if (!Number.isInteger(c.heartbeatTick) || c.heartbeatTick <= 0) fail('heartbeatTick must be > 0');
  if (!Number.isInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) fail('electionTick must be > heartbeatTick');
  if (typeof c.rand !== 'function') fail('rand must be a function returning numbers in [0, 1)');
  if (c.maxInflightMsgs !== undefined && c.maxInflightMsgs <= 0) fail('maxInflightMsgs must be > 0');
  if (c.maxSnapshotChunkSize !== undefined && c.maxSnapshotChunkSize <= 0) fail('maxSnapshotChunkSize must be > 0');
  if (c.readOnlyOption === 'lease-based' && c.checkQuorum === false) {
    fail('readOnlyOption lease-based requires checkQuorum');
  }
}
