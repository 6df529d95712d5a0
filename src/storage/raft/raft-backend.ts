// RaftBackend: Coffer's integrated storage. A PhysicalBackend replicated with the Raft core
// (src/raft): this file is the driver that gives the pure core its clock (ticks), its disk
// (raft-db.ts), its network (transport.ts) and its callers (put/get/..., membership ops).
//
// The driver runs on the event loop, synchronously per "turn": queued writes become ONE
// proposal (group commit), queued linearizable reads become ONE ReadIndex request, then
// every pending Ready is handled in the order the core demands —
//   persist (snapshot, entries, hard state) + apply committed entries, in one SQLite
//   transaction (one fsync) → send messages → advance → settle callers.
// Writes that arrive while a turn runs (or while its fsync blocks) wait for the next turn and
// share its proposal, so throughput is many writes per fsync rather than one.

import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ProposalDroppedError } from '../../raft/errors.js';
import type { RaftLogger } from '../../raft/raft.js';
import { RawNode, type Ready } from '../../raft/raw-node.js';
import { type ConfChange, type Message, type MessageType, NONE, type NodeId, bytesKey } from '../../raft/types.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import type { PhysicalBackend, TxnOp } from '../physical.js';
import type { ClusterTls } from './cluster-tls.js';
import { type MemberInfo, type RaftCommand, encodeCommand, encodeMemberInfo, encodedTxnSize } from './commands.js';
import { EntryTooLargeError, NotLeaderError, RaftClosedError, RaftUnavailableError } from './errors.js';
import type { JoinMember, JoinRequest, JoinResponse } from './join-protocol.js';
import type {
  JoinOptions,
  LeaderInfo,
  RaftBackendEvents,
  RaftBackendOptions,
  RaftConfiguration,
  RaftServer,
  RaftStats,
} from './backend-types.js';
import type { ApplyEffects } from './kv-state-machine.js';
import { resolveNodeId } from './node-identity.js';
import { ProposalTracker, type Waiter, settle } from './proposal-tracker.js';
import { RaftDatabase } from './raft-db.js';
import { restoreSnapshotThroughLog } from './snapshot-restore.js';
import { openSnapshotStream } from './snapshot-stream.js';
import { type RaftTiming, maxElectionTimeoutMs, raftTiming } from './timing.js';
import { RaftTransport } from './transport.js';

interface QueuedWrite extends Waiter {
  readonly ops: TxnOp[];
  readonly size: number;
}

interface Condition extends Waiter {
  readonly check: () => boolean;
  readonly deadline: number;
  readonly what: string;
}

const PROMOTION_LAG = 64;
/** Leader-to-follower messages that promise nothing about the leader's own disk. */
const SENT_BEFORE_PERSISTING: ReadonlySet<MessageType> = new Set<MessageType>(['MsgApp', 'MsgHeartbeat', 'MsgSnap']);
const EMPTY = new Uint8Array(0);

function validateOps(ops: TxnOp[]): void {
  for (const op of ops) {
    if (typeof op.key !== 'string' || op.key === '') throw new TypeError('storage key must be a non-empty string');
    if (op.op === 'put') {
      if (!Buffer.isBuffer(op.value)) throw new TypeError(`storage value for ${JSON.stringify(op.key)} must be a Buffer`);
    } else if (op.op !== 'delete') {
      throw new TypeError(`unknown storage operation ${JSON.stringify((op as { op: unknown }).op)}`);
    }
  }
}

function raftLogger(log: Logger): RaftLogger {
  return { debug: (m) => log.trace(m), info: (m) => log.debug(m), warn: (m) => log.warn(m) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RaftBackend extends EventEmitter<RaftBackendEvents> implements PhysicalBackend {
  readonly nodeId: string;
  readonly raftId: NodeId;
  readonly clusterAddr: string;
  readonly timing: RaftTiming;
  private readonly db: RaftDatabase;
  private node: RawNode;
  private readonly log: Logger;
  private readonly opts: RaftBackendOptions;
  private readonly maxEntrySize: number;
  private readonly trailingLogs: number;
  private readonly snapshotThreshold: number;
  private readonly proposalTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private transport: RaftTransport | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private ticks = 0;
  private running = false;
  private closed = false;
  private fatalError: Error | undefined;
  private turnScheduled = false;
  private queuedWrites: QueuedWrite[] = [];
  private queuedReads: Waiter[] = [];
  private readonly proposals = new ProposalTracker();
  private readonly readRequests = new Map<string, { waiters: Waiter[]; deadline: number }>();
  private readsAwaitingApply: { index: number; waiters: Waiter[] }[] = [];
  private conditions: Condition[] = [];
  /** Learners the leader should promote once caught up (besides those whose member info asks for it). */
  private readonly promote = new Set<NodeId>();
  private lastLead: NodeId = NONE;
  private lastRole = 'StateFollower';
  /** Term in which this node became leader and has not yet announced it (waits for its first applied entry). */
  private leaderAnnouncePending: number | undefined;
  private announcedLeader = false;
  private removedAnnounced = false;
  /** Set once this node has been a member (a joining node's first snapshot may predate its addition). */
  private wasMember = false;
  private readonly counters = { writes: 0, failedWrites: 0, proposals: 0, maxBatch: 0 };

  private constructor(opts: RaftBackendOptions) {
    super();
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger).child({ component: 'raft' });
    this.timing = raftTiming(opts.performanceMultiplier, opts.timing);
    this.maxEntrySize = opts.maxEntrySize ?? 1024 * 1024;
    this.trailingLogs = opts.trailingLogs ?? 10_000;
    this.snapshotThreshold = opts.snapshotThreshold || 8192;
    this.proposalTimeoutMs = opts.proposalTimeoutMs ?? 30_000;
    this.readTimeoutMs = opts.readTimeoutMs ?? 10 * maxElectionTimeoutMs(this.timing);
    this.clusterAddr = opts.clusterAddr;
    this.nodeId = resolveNodeId(opts.path, opts.nodeId);
    this.db = RaftDatabase.open(opts.path);
    this.raftId = this.db.raftId;
    this.node = this.newRawNode();
    this.wasMember = this.isMember(this.raftId);
  }

  /**
   * Opens the node's data directory. Local reads work at once; the node takes part in the
   * cluster only after start() (existing member), bootstrap() (first node) or join().
   */
  static open(opts: RaftBackendOptions): RaftBackend {
    return new RaftBackend(opts);
  }

  /** Whether this directory already belongs to a cluster (bootstrapped or joined). */
  isInitialized(): boolean {
    return !this.db.isEmpty();
  }

  private newRawNode(): RawNode {
    return new RawNode({
      id: this.raftId,
      storage: this.db.log,
      applied: this.db.fsm.appliedIndex,
      electionTick: this.timing.electionTicks,
      heartbeatTick: this.timing.heartbeatTicks,
      rand: Math.random,
      checkQuorum: true,
      preVote: true,
      // Writes go through the leader's API (the server forwards); Raft never forwards them.
      disableProposalForwarding: true,
      maxSizePerMsg: Math.max(1024 * 1024, this.maxEntrySize),
      maxInflightMsgs: 256,
      maxUncommittedEntriesSize: 256 * 1024 * 1024,
      maxSnapshotChunkSize: 1024 * 1024,
      logger: raftLogger(this.log),
    });
  }

  // ================================================================== lifecycle

  /** Joins the cluster this directory belongs to: listens on the cluster port and starts ticking. */
  async start(tls?: ClusterTls): Promise<void> {
    this.assertOpen();
    if (this.running) return;
    const material = tls ?? this.opts.tls;
    if (material === undefined) throw new Error('raft: cluster TLS material (ca, cert, key) is required to start');
    const transport = new RaftTransport({
      self: { raft_id: this.raftId, node_id: this.nodeId, address: this.clusterAddr },
      ...(this.opts.listenAddr !== undefined ? { listenAddr: this.opts.listenAddr } : {}),
      tls: material,
      logger: this.log,
      handlers: {
        onMessage: (m) => this.onMessage(m),
        onUnreachable: (id) => this.guard(() => this.node.reportUnreachable(id)),
        onJoinRequest: (req) => this.handleJoinRequest(req),
      },
    });
    await transport.listen();
    this.transport = transport;
    this.updatePeerAddresses();
    this.running = true;
    this.ticker = setInterval(() => this.onTick(), this.timing.tickMs);
    const voters = this.db.fsm.confState.voters;
    // A single-voter cluster need not sit out an election timeout.
    if (voters.length === 1 && voters[0] === this.raftId) this.node.campaign();
    this.schedule();
    this.log.info('raft node started', { node_id: this.nodeId, raft_id: this.raftId, address: this.clusterAddr, timing: this.timing });
  }

  /** Creates a new single-node cluster with this node as its only voter and starts it. */
  async bootstrap(tls?: ClusterTls): Promise<void> {
    this.assertOpen();
    if (!this.db.isEmpty()) throw new Error(`raft: ${this.opts.path} already holds a cluster's state; cannot bootstrap`);
    this.db.bootstrap(this.raftId, { nodeId: this.nodeId, address: this.clusterAddr, wantsVote: true });
    this.node = this.newRawNode();
    await this.start(tls);
    await this.waitUntil(() => this.announcedLeader, 10 * maxElectionTimeoutMs(this.timing), 'bootstrap: become leader');
  }

  /**
   * Joins an existing cluster through any member's cluster address (followers redirect to
   * the leader). Resolves once the leader added this node and its state arrived here.
   */
  async join(leaderAddr: string, tls?: ClusterTls, opts: JoinOptions = {}): Promise<void> {
    this.assertOpen();
    if (!this.db.isEmpty()) {
      await this.start(tls);
      return;
    }
    await this.start(tls);
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const req: JoinRequest = { node_id: this.nodeId, address: this.clusterAddr, raft_id: this.raftId, non_voter: opts.nonVoter === true };
    let target = leaderAddr;
    let lastError = 'no attempt made';
    let backoff = 50;
    for (;;) {
      this.assertOpen();
      if (Date.now() >= deadline) throw new Error(`raft: joining via ${leaderAddr} failed: ${lastError}`);
      try {
        const resp = await this.transport!.requestJoin(target, req, Math.min(10_000, Math.max(1, deadline - Date.now())));
        if (resp.ok) {
          for (const m of resp.members) this.transport!.learnAddress(m.raft_id, m.address);
          break;
        }
        lastError = `${target}: ${resp.error}`;
        if (resp.leader_addr !== undefined && resp.leader_addr !== target) {
          target = resp.leader_addr;
          continue;
        }
      } catch (e) {
        lastError = (e as Error).message;
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 1000);
      if (target !== leaderAddr && backoff >= 400) target = leaderAddr;
    }
    await this.waitUntil(
      () => this.db.fsm.appliedIndex > 0 && this.isMember(this.raftId),
      Math.max(1, deadline - Date.now()),
      'join: receive the cluster state',
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shutdown(new RaftClosedError('raft: storage closed'));
    await this.transport?.close();
    this.db.close();
  }

  private shutdown(reason: Error): void {
    this.closed = true;
    this.running = false;
    clearInterval(this.ticker);
    for (const w of this.queuedWrites.splice(0)) w.reject(reason);
    for (const w of this.queuedReads.splice(0)) w.reject(reason);
    for (const r of this.readRequests.values()) for (const w of r.waiters) w.reject(reason);
    this.readRequests.clear();
    for (const r of this.readsAwaitingApply.splice(0)) for (const w of r.waiters) w.reject(reason);
    for (const c of this.conditions.splice(0)) c.reject(reason);
    for (const s of this.proposals.drain(reason.message)) settle(s);
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.fatalError = err;
    this.log.error('raft node stopped after a fatal error', { error: err.message, stack: err.stack });
    const reason = new RaftClosedError(`raft: node stopped after a fatal error: ${err.message}`, { cause: err });
    this.shutdown(reason);
    void this.transport?.close();
    try {
      this.db.close();
    } catch {
      // the database may be what failed
    }
    this.emit('fatal', err);
  }

  private assertOpen(): void {
    if (this.fatalError !== undefined) throw new RaftClosedError(`raft: node stopped after a fatal error: ${this.fatalError.message}`, { cause: this.fatalError });
    if (this.closed) throw new RaftClosedError('raft: storage closed');
  }

  /** Runs `fn` on the core, stopping the node if it throws (a Raft invariant broke). */
  private guard(fn: () => void): void {
    if (!this.running) return;
    try {
      fn();
      this.schedule();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  // ================================================================== PhysicalBackend

  async get(key: string): Promise<Buffer | undefined> {
    this.assertOpen();
    return this.db.fsm.get(key);
  }

  async list(prefix: string): Promise<string[]> {
    this.assertOpen();
    return this.db.fsm.list(prefix);
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.write([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.write([{ op: 'delete', key }]);
  }

  txn(ops: TxnOp[]): Promise<void> {
    return this.write(ops);
  }

  private write(ops: TxnOp[]): Promise<void> {
    try {
      this.assertOpen();
      validateOps(ops);
      if (ops.length === 0) return Promise.resolve();
      const size = encodedTxnSize(ops);
      if (size > this.maxEntrySize) throw new EntryTooLargeError(`raft: write of ${size} bytes exceeds max_entry_size ${this.maxEntrySize}`);
      if (!this.isLeader()) throw new NotLeaderError(this.leaderHint());
      return new Promise<void>((resolve, reject) => {
        this.queuedWrites.push({
          ops,
          size,
          resolve: () => {
            this.counters.writes++;
            resolve();
          },
          reject: (e) => {
            this.counters.failedWrites++;
            reject(e);
          },
        });
        this.schedule();
      });
    } catch (e) {
      this.counters.failedWrites++;
      return Promise.reject(e as Error);
    }
  }

  // ================================================================== reads

  /**
   * Resolves once this node's applied state includes every write acknowledged anywhere in
   * the cluster before the call (Raft ReadIndex; on a follower the leader is asked). Reads
   * made with get/list after it resolves are linearizable.
   */
  linearizableBarrier(): Promise<void> {
    try {
      this.assertOpen();
      if (!this.running) throw new RaftUnavailableError('raft: node not started');
      if (this.node.raft.lead === NONE) throw new NotLeaderError({}, 'read linearizably');
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return new Promise<void>((resolve, reject) => {
      this.queuedReads.push({ resolve, reject });
      this.schedule();
    });
  }

  // ================================================================== the driver

  private schedule(): void {
    if (this.turnScheduled || !this.running) return;
    this.turnScheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.turnScheduled = false;
    if (!this.running) return;
    try {
      this.proposeQueuedWrites();
      this.requestQueuedReads();
      this.drainReady();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private onMessage(m: Message): void {
    if (!this.running || this.opts.dropMessage?.(m)) return;
    try {
      this.node.step(m);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.schedule();
  }

  private onTick(): void {
    if (!this.running) return;
    try {
      this.node.tick();
      this.ticks++;
      this.expireWaiters(Date.now());
      if (this.ticks % 5 === 0) this.promoteCaughtUpLearners();
      if (this.ticks % 50 === 0) this.maybeReleaseSnapshot();
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.schedule();
  }

  /** Group commit: every write queued since the last turn goes into as few entries as max_entry_size allows. */
  private proposeQueuedWrites(): void {
    if (this.queuedWrites.length === 0) return;
    const queued = this.queuedWrites;
    this.queuedWrites = [];
    if (!this.isLeader()) {
      const err = new NotLeaderError(this.leaderHint());
      for (const w of queued) w.reject(err);
      return;
    }
    let batch: QueuedWrite[] = [];
    let size = 16;
    const flush = (): void => {
      if (batch.length === 0) return;
      const txns = batch.map((w) => w.ops);
      this.propose({ kind: 'kv', txns }, batch);
      this.counters.maxBatch = Math.max(this.counters.maxBatch, batch.length);
      batch = [];
      size = 16;
    };
    for (const w of queued) {
      if (batch.length > 0 && size + w.size > this.maxEntrySize) flush();
      batch.push(w);
      size += w.size;
    }
    flush();
  }

  /** Proposes one command on the leader and tracks it by (term, index). */
  private propose(c: RaftCommand, waiters: readonly Waiter[]): void {
    this.proposeEntry(() => this.node.propose(encodeCommand(c)), waiters);
  }

  private proposeEntry(proposeFn: () => void, waiters: readonly Waiter[]): void {
    if (!this.isLeader()) {
      const err = new NotLeaderError(this.leaderHint());
      for (const w of waiters) w.reject(err);
      return;
    }
    try {
      proposeFn();
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
      const err = new RaftUnavailableError(`raft: proposal refused by the leader: ${e.message}`);
      for (const w of waiters) w.reject(err);
      return;
    }
    const index = this.node.raft.raftLog.lastIndex();
    const term = this.node.raft.term;
    this.proposals.add(index, term, waiters, Date.now() + this.proposalTimeoutMs);
    this.counters.proposals++;
    this.schedule();
  }

  private requestQueuedReads(): void {
    if (this.queuedReads.length === 0) return;
    const waiters = this.queuedReads;
    this.queuedReads = [];
    if (this.node.raft.lead === NONE) {
      const err = new NotLeaderError({}, 'read linearizably');
      for (const w of waiters) w.reject(err);
      return;
    }
    const ctx = randomBytes(16);
    this.readRequests.set(bytesKey(ctx), { waiters, deadline: Date.now() + this.readTimeoutMs });
    this.node.readIndex(ctx);
  }

  private drainReady(): void {
    while (this.running && this.node.hasReady()) {
      const rd = this.node.ready();
      // The leader replicates while it writes its own disk (Raft thesis §10.2.1): its own
      // acknowledgement only counts after advance(), so followers may hold entries first.
      // Anything that promises our persisted state (responses, votes), or any message of a
      // Ready that changes term or vote, waits for the fsync.
      const early: Message[] = [];
      const late: Message[] = [];
      const mayGoEarly = this.canSendBeforePersisting(rd);
      for (const m of rd.messages) {
        if (this.opts.dropMessage?.(m)) continue;
        (mayGoEarly && SENT_BEFORE_PERSISTING.has(m.type) ? early : late).push(m);
      }
      const unreachable = this.sendAll(early);
      const effects = this.db.persistReady(rd);
      for (const id of this.sendAll(late)) unreachable.add(id);
      this.node.advance(rd);
      for (const id of unreachable) this.node.reportUnreachable(id);
      this.afterReady(rd, effects);
    }
  }

  private sendAll(msgs: readonly Message[]): Set<NodeId> {
    if (this.transport !== undefined) return this.transport.sendAll(msgs);
    return new Set(msgs.map((m) => m.to));
  }

  private canSendBeforePersisting(rd: Ready): boolean {
    if (this.node.raft.state !== 'StateLeader' || rd.snapshot !== undefined) return false;
    const hs = rd.hardState;
    if (hs === undefined) return true;
    const persisted = this.db.log.hardState();
    return hs.term === persisted.term && hs.vote === persisted.vote;
  }

  private afterReady(rd: Ready, effects: ApplyEffects): void {
    if (rd.snapshot) for (const s of this.proposals.skippedTo(rd.snapshot.metadata.index)) settle(s);
    for (const e of rd.committedEntries) {
      const s = this.proposals.applied(e.index, e.term);
      if (s !== undefined) settle(s);
    }
    for (const rs of rd.readStates) {
      const key = bytesKey(rs.requestCtx);
      const req = this.readRequests.get(key);
      if (req === undefined) continue;
      this.readRequests.delete(key);
      this.readsAwaitingApply.push({ index: rs.index, waiters: req.waiters });
    }
    this.serveReads();
    if (effects.confChanged) this.onMembershipApplied();
    if (rd.softState) this.onRoleChange();
    this.maybeAnnounceLeader();
    this.checkConditions();
    if (this.db.maybeCompact(this.snapshotThreshold, this.trailingLogs)) {
      this.log.debug('raft log compacted', { snapshot_index: this.db.snapshotIndex, first_index: this.db.log.firstIndex() });
    }
  }

  private serveReads(): void {
    if (this.readsAwaitingApply.length === 0) return;
    const applied = this.db.fsm.appliedIndex;
    const rest: typeof this.readsAwaitingApply = [];
    for (const r of this.readsAwaitingApply) {
      if (r.index <= applied) for (const w of r.waiters) w.resolve();
      else rest.push(r);
    }
    this.readsAwaitingApply = rest;
  }

  private onMembershipApplied(): void {
    this.updatePeerAddresses();
    const member = this.isMember(this.raftId);
    if (!member && this.wasMember && !this.removedAnnounced) {
      this.removedAnnounced = true;
      this.log.warn('raft: this node was removed from the cluster', { node_id: this.nodeId });
      this.emit('removed');
    }
    if (member) this.wasMember = true;
  }

  private onRoleChange(): void {
    const r = this.node.raft;
    const lead = r.lead;
    const role = r.state;
    if (role === 'StateLeader' && this.lastRole !== 'StateLeader') {
      this.leaderAnnouncePending = r.term;
    }
    if (role !== 'StateLeader' && this.lastRole === 'StateLeader') {
      this.leaderAnnouncePending = undefined;
      this.announcedLeader = false;
      // Writes queued for this turn cannot be proposed any more.
      const err = new NotLeaderError(this.leaderHint());
      for (const w of this.queuedWrites.splice(0)) w.reject(err);
      this.emitLeadership(false);
    } else if (role !== 'StateLeader' && lead !== this.lastLead) {
      this.emitLeadership(false);
    }
    if (lead !== this.lastLead) this.failReadRequests();
    this.lastLead = lead;
    this.lastRole = role;
  }

  /**
   * ReadIndex requests in flight went to a leader that is gone (or to nobody): they will never
   * be answered, so fail them now rather than at their deadline. Reads change nothing; the
   * caller simply retries.
   */
  private failReadRequests(): void {
    if (this.readRequests.size === 0) return;
    const err = new RaftUnavailableError('raft: leadership changed before a linearizable read was confirmed; retry');
    for (const r of this.readRequests.values()) for (const w of r.waiters) w.reject(err);
    this.readRequests.clear();
  }

  private maybeAnnounceLeader(): void {
    const r = this.node.raft;
    if (this.leaderAnnouncePending === undefined) return;
    if (r.state !== 'StateLeader' || r.term !== this.leaderAnnouncePending) {
      this.leaderAnnouncePending = undefined;
      return;
    }
    if (this.db.fsm.appliedTerm !== r.term) return;
    this.leaderAnnouncePending = undefined;
    this.announcedLeader = true;
    this.log.info('raft: this node is the leader', { term: r.term });
    this.emitLeadership(true);
  }

  private emitLeadership(isLeader: boolean): void {
    this.emit('leadership', { isLeader, leader: this.leader(), term: this.node.raft.term });
  }

  private updatePeerAddresses(): void {
    if (this.transport === undefined) return;
    const addrs = new Map<NodeId, string>();
    for (const [id, m] of this.db.fsm.members) if (id !== this.raftId) addrs.set(id, m.address);
    this.transport.setMemberAddresses(addrs);
  }

  private expireWaiters(now: number): void {
    for (const s of this.proposals.expired(now)) settle(s);
    for (const [key, r] of this.readRequests) {
      if (r.deadline > now) continue;
      this.readRequests.delete(key);
      const err = new RaftUnavailableError(`raft: linearizable read not confirmed by a leader within ${this.readTimeoutMs} ms`);
      for (const w of r.waiters) w.reject(err);
    }
    this.checkConditions(now);
  }

  /** Learners that should vote are promoted once their log is close to the leader's. */
  private promoteCaughtUpLearners(): void {
    const r = this.node.raft;
    if (r.state !== 'StateLeader' || r.pendingConfIndex > r.raftLog.applied) return;
    const learners = this.db.fsm.confState.learners;
    if (learners.length === 0) return;
    const progress = this.node.status().progress;
    for (const id of learners) {
      const info = this.db.fsm.members.get(id);
      if (!(info?.wantsVote || this.promote.has(id))) continue;
      const pr = progress?.get(id);
      if (pr === undefined || pr.state !== 'StateReplicate' || pr.match + PROMOTION_LAG < r.raftLog.lastIndex()) continue;
      this.log.info('raft: promoting caught-up learner to voter', { raft_id: id, node_id: info?.nodeId });
      this.proposeEntry(
        () => this.node.proposeConfChange({ type: 'AddNode', nodeId: id, context: info ? encodeMemberInfo(info) : EMPTY }),
        [{ resolve: () => this.promote.delete(id), reject: () => {} }],
      );
      return; // one membership change at a time
    }
  }

  /** Drops the in-memory snapshot once no follower is being sent one. */
  private maybeReleaseSnapshot(): void {
    if (!this.db.hasCachedSnapshot()) return;
    const progress = this.node.status().progress;
    if (progress !== undefined) for (const pr of progress.values()) if (pr.state === 'StateSnapshot') return;
    this.db.releaseSnapshot();
  }

  private waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.conditions.push({ check, resolve, reject, deadline: Date.now() + timeoutMs, what });
    });
  }

  private checkConditions(now = Date.now()): void {
    if (this.conditions.length === 0) return;
    const rest: Condition[] = [];
    for (const c of this.conditions) {
      if (c.check()) c.resolve();
      else if (c.deadline <= now) c.reject(new RaftUnavailableError(`raft: timed out waiting to ${c.what}`));
      else rest.push(c);
    }
    this.conditions = rest;
  }

  // ================================================================== membership and operations

  isLeader(): boolean {
    return this.running && this.node.raft.state === 'StateLeader';
  }

  leader(): LeaderInfo | undefined {
    const lead = this.node.raft.lead;
    if (lead === NONE) return undefined;
    const m = this.db.fsm.members.get(lead);
    return m === undefined ? undefined : { id: m.nodeId, addr: m.address };
  }

  private leaderHint(): { leaderId?: string; leaderAddr?: string } {
    const l = this.leader();
    return l === undefined ? {} : { leaderId: l.id, leaderAddr: l.addr };
  }

  private assertLeader(what: string): void {
    this.assertOpen();
    if (!this.isLeader()) throw new NotLeaderError(this.leaderHint(), what);
  }

  private isMember(id: NodeId): boolean {
    const cs = this.db.fsm.confState;
    return cs.voters.includes(id) || cs.learners.includes(id);
  }

  configuration(): RaftConfiguration {
    const cs = this.db.fsm.confState;
    const lead = this.node.raft.lead;
    const server = (id: NodeId, voter: boolean): RaftServer => {
      const m = this.db.fsm.members.get(id);
      return { node_id: m?.nodeId ?? String(id), address: m?.address ?? '', leader: id === lead, voter };
    };
    return { index: this.db.fsm.confIndex, servers: [...cs.voters.map((id) => server(id, true)), ...cs.learners.map((id) => server(id, false))] };
  }

  /** Proposes a membership change, retrying while another one is pending, and waits until it is applied. */
  private async changeMembership(cc: ConfChange): Promise<void> {
    const deadline = Date.now() + this.proposalTimeoutMs;
    for (;;) {
      this.assertLeader('change membership');
      try {
        await new Promise<void>((resolve, reject) => this.proposeEntry(() => this.node.proposeConfChange(cc), [{ resolve, reject }]));
        return;
      } catch (e) {
        if (!(e instanceof RaftUnavailableError) || Date.now() >= deadline) throw e;
        await sleep(this.timing.tickMs);
      }
    }
  }

  /** Adds a non-voting member (raftId comes from the joining node's JoinRequest). */
  async addLearner(nodeId: string, address: string, raftId: NodeId): Promise<void> {
    this.assertLeader('add a learner');
    if (this.isMember(raftId)) return;
    await this.changeMembership({ type: 'AddLearnerNode', nodeId: raftId, context: encodeMemberInfo({ nodeId, address, wantsVote: false }) });
  }

  /** Adds a voter: first as a learner that catches up, then promoted (resolves once it votes). */
  async addVoter(nodeId: string, address: string, raftId: NodeId): Promise<void> {
    this.assertLeader('add a voter');
    const cs = this.db.fsm.confState;
    if (cs.voters.includes(raftId)) return;
    if (cs.learners.includes(raftId)) this.promote.add(raftId);
    else await this.changeMembership({ type: 'AddLearnerNode', nodeId: raftId, context: encodeMemberInfo({ nodeId, address, wantsVote: true }) });
    await this.waitUntil(() => this.db.fsm.confState.voters.includes(raftId), Math.max(60_000, this.proposalTimeoutMs), `promote ${nodeId} to voter`);
  }

  /** Removes the member with this node_id (sys/storage/raft/remove-peer). */
  async removePeer(nodeId: string): Promise<void> {
    this.assertLeader('remove a peer');
    const id = this.raftIdOf(nodeId);
    if (id === undefined || !this.isMember(id)) throw new Error(`raft: no peer with node_id ${JSON.stringify(nodeId)}`);
    await this.changeMembership({ type: 'RemoveNode', nodeId: id, context: EMPTY });
    if (this.isMember(id)) throw new Error(`raft: could not remove ${nodeId} (the last voter cannot be removed)`);
    this.promote.delete(id);
  }

  private raftIdOf(nodeId: string): NodeId | undefined {
    for (const [id, m] of this.db.fsm.members) if (m.nodeId === nodeId && this.isMember(id)) return id;
    return undefined;
  }

  /**
   * Hands leadership to `to` (a node_id) or, if omitted, to the most up-to-date voter
   * (sys/step-down). Resolves once this node is no longer the leader.
   */
  async transferLeadership(to?: string): Promise<void> {
    this.assertLeader('transfer leadership');
    let target: NodeId | undefined;
    if (to !== undefined) {
      target = this.raftIdOf(to);
      if (target === undefined || !this.db.fsm.confState.voters.includes(target)) throw new Error(`raft: ${JSON.stringify(to)} is not a voter`);
    } else {
      let best = -1;
      for (const [id, pr] of this.node.status().progress ?? []) {
        if (id === this.raftId || pr.isLearner || pr.match <= best) continue;
        best = pr.match;
        target = id;
      }
      if (target === undefined) throw new RaftUnavailableError('raft: no other voter to transfer leadership to');
    }
    if (target === this.raftId) return;
    this.node.transferLeadership(target);
    this.schedule();
    await this.waitUntil(() => !this.isLeader(), 2 * maxElectionTimeoutMs(this.timing), 'hand over leadership');
  }

  /** The join RPC, leader side (see join-protocol.ts). */
  private async handleJoinRequest(req: JoinRequest): Promise<JoinResponse> {
    if (!this.isLeader()) {
      const l = this.leader();
      return { ok: false, error: 'not the leader', ...(l ? { leader_addr: l.addr } : {}) };
    }
    if (req.raft_id === this.raftId || req.node_id === this.nodeId) return { ok: false, error: `node_id ${req.node_id} is the leader's own` };
    this.log.info('raft: join request', { node_id: req.node_id, address: req.address, raft_id: req.raft_id, non_voter: req.non_voter });
    if (!this.isMember(req.raft_id)) {
      // A wiped node rejoining under its old node_id (from the same address) is a new member:
      // retire the old one first. The same node_id from elsewhere is a configuration mistake.
      for (const [id, m] of [...this.db.fsm.members]) {
        if (m.nodeId !== req.node_id || id === req.raft_id || !this.isMember(id)) continue;
        if (m.address !== req.address) {
          return { ok: false, error: `node_id ${req.node_id} is already used by the member at ${m.address}; remove that peer first` };
        }
        await this.changeMembership({ type: 'RemoveNode', nodeId: id, context: EMPTY });
      }
      const info: MemberInfo = { nodeId: req.node_id, address: req.address, wantsVote: !req.non_voter };
      await this.changeMembership({ type: 'AddLearnerNode', nodeId: req.raft_id, context: encodeMemberInfo(info) });
    }
    const members: JoinMember[] = [...this.db.fsm.members].map(([id, m]) => ({ raft_id: id, node_id: m.nodeId, address: m.address }));
    return { ok: true, members };
  }

  // ================================================================== snapshots

  /**
   * Streams the applied KV state (with a SHA-256 trailer). Call linearizableBarrier() first
   * for a snapshot that includes every acknowledged write.
   */
  snapshotSave(): Readable {
    this.assertOpen();
    return openSnapshotStream(this.db.file);
  }

  /**
   * Replaces the cluster's KV state with a snapshot stream (leader only). The records are
   * replicated through the log in chunks into a staging area; only a complete stream whose
   * checksum verifies is committed, atomically, on every node. Membership is kept.
   */
  async snapshotRestore(input: Readable): Promise<void> {
    this.assertLeader('restore a snapshot');
    await restoreSnapshotThroughLog(input, (c) => this.proposeAndWait(c), this.maxEntrySize);
  }

  private proposeAndWait(c: RaftCommand): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        this.assertLeader('write');
        this.propose(c, [{ resolve, reject }]);
      } catch (e) {
        reject(e as Error);
      }
    });
  }

  // ================================================================== observability

  /** Breaks all cluster connections (they are redialled). For tests and operators. */
  dropConnections(): void {
    this.transport?.dropConnections();
  }

  stats(): RaftStats {
    const r = this.node.raft;
    const c = this.db.counters;
    return {
      nodeId: this.nodeId,
      raftId: this.raftId,
      state: r.state,
      term: r.term,
      leader: this.leader(),
      commitIndex: r.raftLog.committed,
      appliedIndex: this.db.fsm.appliedIndex,
      firstIndex: this.db.log.firstIndex(),
      lastIndex: r.raftLog.lastIndex(),
      snapshotIndex: this.db.snapshotIndex,
      voters: this.db.fsm.confState.voters.length,
      learners: this.db.fsm.confState.learners.length,
      pendingProposals: this.proposals.size,
      ...this.counters,
      transactions: c.transactions,
      fsyncs: c.fsyncs,
      snapshotsBuilt: c.snapshotsBuilt,
      snapshotsInstalled: c.snapshotsInstalled,
      compactions: c.compactions,
      timing: this.timing,
      peers: this.transport?.peerStats() ?? {},
    };
  }
}
