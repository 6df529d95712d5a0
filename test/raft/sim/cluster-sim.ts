// Seeded whole-cluster simulation: N Raft cores with a simulated clock, network and
// disk, clients doing puts and gets on a replicated KV store, and faults chosen by
// the seed (loss, duplication, reordering/delay, partitions, crashes that lose
// whatever a node had not yet persisted). Safety invariants are checked after every
// event; at the end the faults stop, the cluster must converge (liveness), and the
// client history must be linearizable.
//
// A failure throws SimulationFailure naming the seed; runSchedule(seed) replays it
// exactly (RAFT_SEED=<n> in the tests).

import {
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  MemoryStorage,
  type NodeId,
  ProposalDroppedError,
  RawNode,
  type Ready,
  bootstrapStorage,
  decodeMessage,
  describeMessage,
  encodeMessage,
} from '../../../src/raft/index.js';
import { checkOperations, kvModel, type KvInput, type KvOutput, type Operation } from '../../../src/raft/linearizability.js';
import { EventQueue } from './event-queue.js';
import { KvStateMachine, decodeCommand, encodeCommand } from './kv-state-machine.js';
import { Prng } from './prng.js';

export class SimulationFailure extends Error {
  override readonly name = 'SimulationFailure';
  constructor(
    readonly seed: number,
    readonly nodeCount: number,
    message: string,
  ) {
    super(`seed ${seed} (${nodeCount} nodes): ${message}\n  replay with RAFT_SEED=${seed} RAFT_NODES=${nodeCount}`);
  }
}

export interface ScheduleOptions {
  readonly nodeCount: number;
  /** Length of the faulty phase in simulated time units (a tick is 10 units). */
  readonly faultTime: number;
  /** Bound on the healing phase before liveness is declared failed. */
  readonly healTime: number;
  /** Keep a trace of the last events (for debugging a failing seed). */
  readonly trace: boolean;
}

export interface ScheduleStats {
  readonly seed: number;
  readonly events: number;
  readonly leaders: number;
  readonly committed: number;
  readonly acknowledgedPuts: number;
  readonly reads: number;
  readonly timedOut: number;
  readonly crashes: number;
  readonly partitions: number;
  readonly snapshotsInstalled: number;
  readonly confChanges: number;
  readonly params: string;
}

const TICK = 10;

interface Params {
  electionTick: number;
  heartbeatTick: number;
  dropRate: number;
  dupRate: number;
  maxDelay: number;
  partitionRate: number;
  /** Per 100 time units: chance of cutting one direction of a link (asymmetric faults). */
  linkCutRate: number;
  crashRate: number;
  maxDiskDelay: number;
  stepDuringPersist: boolean;
  preVote: boolean;
  checkQuorum: boolean;
  readMode: 'log' | 'safe' | 'lease';
  maxSizePerMsg: number;
  maxInflight: number;
  maxInflightBytes: number;
  snapshotEvery: number;
  keepEntries: number;
  snapChunk: number;
  clients: number;
  keys: string[];
  forwarding: boolean;
  wireCodec: boolean;
  clientTimeout: number;
  /** Add a spare node as learner, promote it, then remove one of the original voters. */
  membership: boolean;
}

function chooseParams(rng: Prng): Params {
  const checkQuorum = rng.chance(0.8);
  const readModes: Params['readMode'][] = checkQuorum ? ['log', 'safe', 'lease'] : ['log', 'safe'];
  const electionTick = rng.int(6, 12);
  // Some schedules are pure chaos: frequent crashes and partitions.
  const chaos = rng.chance(0.3);
  return {
    electionTick,
    heartbeatTick: rng.int(1, 3),
    dropRate: rng.float() * 0.3,
    dupRate: rng.chance(0.5) ? rng.float() * 0.1 : 0,
    maxDelay: rng.int(2, 30),
    partitionRate: chaos ? 0.2 + rng.float() * 0.4 : rng.chance(0.7) ? rng.float() * 0.3 : 0,
    linkCutRate: rng.chance(0.5) ? rng.float() * 0.4 : 0,
    crashRate: chaos ? 0.2 + rng.float() * 0.5 : rng.chance(0.7) ? rng.float() * 0.15 : 0,
    maxDiskDelay: rng.int(0, 6),
    stepDuringPersist: rng.chance(0.5),
    preVote: rng.chance(0.8),
    checkQuorum,
    readMode: rng.pick(readModes),
    maxSizePerMsg: rng.pick([40, 200, 1 << 20]),
    maxInflight: rng.int(1, 8),
    maxInflightBytes: rng.chance(0.3) ? rng.int(40, 200) : 0,
    snapshotEvery: rng.int(3, 30),
    keepEntries: rng.int(0, 5),
    snapChunk: rng.pick([16, 64, 1 << 20]),
    clients: rng.int(2, 4),
    keys: rng.chance(0.5) ? ['x', 'y'] : ['x', 'y', 'z'],
    forwarding: rng.chance(0.5),
    wireCodec: rng.chance(0.25),
    clientTimeout: electionTick * TICK * rng.int(1, 4),
    membership: rng.chance(0.4),
  };
}

interface SimNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly rng: Prng;
  alive: boolean;
  incarnation: number;
  raw: RawNode;
  fsm: KvStateMachine;
  appliedIndex: number;
  /** The Ready being written to disk (lost if the node crashes first). */
  persisting: Ready | undefined;
  /** Inputs deferred while persisting (when the driver does not step concurrently). */
  inbox: (() => void)[];
  /** Read requests issued at this node: ctx → request. */
  readRequests: Map<string, { client: number; op: number; key: string }>;
  /** ReadStates whose index is not yet applied. */
  pendingReads: { index: number; client: number; op: number; key: string }[];
  commitFloor: number;
  checkedCommit: number;
  /** Removed from the cluster and shut down for good (operators stop removed servers). */
  decommissioned: boolean;
}

interface PendingOp {
  readonly op: number;
  readonly input: KvInput;
  readonly node: NodeId;
  readonly incarnation: number;
  readonly call: number;
  readonly viaReadIndex: boolean;
}

interface SimClient {
  readonly id: number;
  nextOp: number;
  leaderHint: NodeId;
  current: PendingOp | undefined;
}

interface CommittedEntry {
  readonly term: number;
  readonly data: string | undefined;
}

const dec = new TextDecoder('latin1');
const enc = new TextEncoder();

export function runSchedule(seed: number, options: Partial<ScheduleOptions> = {}): ScheduleStats {
  return new ClusterSimulation(seed, options).run();
}

class ClusterSimulation {
  private readonly rng: Prng;
  private readonly p: Params;
  private readonly opts: ScheduleOptions;
  private readonly q = new EventQueue();
  private readonly nodes: SimNode[] = [];
  private readonly clients: SimClient[] = [];
  private readonly history: Operation<KvInput, KvOutput>[] = [];
  /** index → the entry every node must have committed there. */
  private readonly committed = new Map<number, CommittedEntry>();
  private readonly snapshotsAt = new Map<number, string>();
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly acked = new Map<number, string>();
  /** The configuration after the highest-index conf change any node applied. */
  private latestConf: { index: number; cs: ConfState } = { index: 0, cs: { voters: [], learners: [] } };
  private readonly confAt = new Map<number, string>();
  private partitionGroups: NodeId[][] | undefined;
  /** Directed links that currently drop everything ("from>to"). */
  private readonly cutLinks = new Set<string>();
  private faulty = true;
  private events = 0;
  private trace: string[] = [];
  private stats = { crashes: 0, partitions: 0, snapshotsInstalled: 0, reads: 0, timedOut: 0, acknowledgedPuts: 0, confChanges: 0 };

  constructor(
    private readonly seed: number,
    options: Partial<ScheduleOptions>,
  ) {
    this.rng = new Prng(seed);
    this.opts = { nodeCount: 3, faultTime: 800, healTime: 4000, trace: false, ...options };
    this.p = chooseParams(this.rng);
  }

  run(): ScheduleStats {
    try {
      return this.runInner();
    } catch (err) {
      if (err instanceof SimulationFailure) throw err;
      const e = err as Error;
      throw new SimulationFailure(this.seed, this.opts.nodeCount, `${e.name}: ${e.message}\n${e.stack ?? ''}${this.traceText()}`);
    }
  }

  private fail(msg: string): never {
    throw new SimulationFailure(this.seed, this.opts.nodeCount, `${msg}\n  params: ${JSON.stringify(this.p)}${this.traceText()}`);
  }

  private traceText(): string {
    return this.trace.length > 0 ? `\n  last events:\n    ${this.trace.join('\n    ')}` : '';
  }

  private note(s: string | (() => string)): void {
    if (!this.opts.trace) return;
    this.trace.push(`[${this.q.now}] ${typeof s === 'string' ? s : s()}`);
    if (this.trace.length > 300) this.trace.shift();
  }

  // ------------------------------------------------------------------ setup

  private runInner(): ScheduleStats {
    const ids = Array.from({ length: this.opts.nodeCount }, (_, i) => i + 1);
    this.latestConf = { index: 1, cs: { voters: ids, learners: [] } };
    const spare = this.p.membership ? [ids.length + 1] : [];
    for (const id of [...ids, ...spare]) {
      const storage = new MemoryStorage();
      // The spare starts empty and unknown to everyone, like a freshly provisioned server.
      if (id <= ids.length) bootstrapStorage(storage, { voters: ids, learners: [] });
      const node: SimNode = {
        id,
        storage,
        rng: this.rng.fork(),
        alive: true,
        incarnation: 0,
        raw: undefined as unknown as RawNode,
        fsm: new KvStateMachine(),
        appliedIndex: 0,
        persisting: undefined,
        inbox: [],
        readRequests: new Map(),
        pendingReads: [],
        commitFloor: 0,
        checkedCommit: storage.snapshot().metadata.index,
        decommissioned: false,
      };
      this.nodes.push(node);
      this.start(node);
    }
    if (this.p.membership) {
      for (let t = 100; t < this.opts.faultTime; t += 150) this.q.schedule(t + this.rng.int(0, 50), () => this.adminStep());
    }
    for (let c = 0; c < this.p.clients; c++) {
      const client: SimClient = { id: c + 1, nextOp: 1, leaderHint: 0, current: undefined };
      this.clients.push(client);
      this.q.schedule(this.rng.int(0, 50), () => this.clientIssue(client));
    }
    this.scheduleFaults();

    // Faulty phase.
    while (this.q.runNext(this.opts.faultTime)) this.events++;
    // Healing phase: no new faults, everything reconnected and restarted.
    this.faulty = false;
    this.partitionGroups = undefined;
    this.cutLinks.clear();
    this.note('heal: faults stop');
    this.decommissionRemoved();
    for (const n of this.nodes) if (!n.alive && !n.decommissioned) this.restart(n);
    const deadline = this.opts.faultTime + this.opts.healTime;
    let nextCheck = this.q.now;
    for (;;) {
      if (this.q.now >= nextCheck) {
        this.decommissionRemoved();
        if (this.converged()) break;
        nextCheck = this.q.now + 50;
      }
      if (!this.q.runNext(deadline)) {
        if (this.converged()) break;
        this.fail(`no convergence within ${this.opts.healTime} time units after healing:\n    ${this.describeNodes()}`);
      }
      this.events++;
    }
    this.finalChecks();
    return {
      seed: this.seed,
      events: this.events,
      leaders: this.leaderOfTerm.size,
      committed: this.committed.size,
      acknowledgedPuts: this.stats.acknowledgedPuts,
      reads: this.stats.reads,
      timedOut: this.stats.timedOut,
      crashes: this.stats.crashes,
      partitions: this.stats.partitions,
      snapshotsInstalled: this.stats.snapshotsInstalled,
      confChanges: this.stats.confChanges,
      params: JSON.stringify(this.p),
    };
  }

  // ------------------------------------------------------------------ membership

  /** One step of the membership plan, proposed at the newest leader if it is due. */
  private adminStep(): void {
    if (!this.faulty) return;
    const leader = this.newestLeader();
    if (leader === undefined) return;
    const r = leader.raw.raft;
    const cs = r.confState();
    const spare = this.opts.nodeCount + 1;
    const empty = new Uint8Array(0);
    let cc: ConfChange | undefined;
    if (!cs.voters.includes(spare) && !cs.learners.includes(spare)) {
      cc = { type: 'AddLearnerNode', nodeId: spare, context: empty };
    } else if (cs.learners.includes(spare)) {
      // Promote only a learner that has caught up.
      const pr = r.trk.progress.get(spare);
      if (pr !== undefined && pr.match + 3 >= r.raftLog.lastIndex()) cc = { type: 'AddNode', nodeId: spare, context: empty };
    } else if (cs.voters.length > this.opts.nodeCount) {
      const others = cs.voters.filter((id) => id !== spare);
      // Half of the time the leader removes itself.
      const victim = this.rng.chance(0.5) && leader.id !== spare ? leader.id : this.rng.pick(others);
      cc = { type: 'RemoveNode', nodeId: victim, context: empty };
    }
    if (cc === undefined) return;
    const change = cc;
    this.note(() => `admin proposes ${change.type} ${change.nodeId} at ${leader.id}`);
    this.input(leader, () => {
      try {
        leader.raw.proposeConfChange(change);
      } catch (err) {
        if (!(err instanceof ProposalDroppedError)) throw err;
      }
    });
  }

  private isMember(id: NodeId): boolean {
    const cs = this.latestConf.cs;
    return cs.voters.includes(id) || cs.learners.includes(id);
  }

  /** Removed servers are shut down once the removal is known to be applied somewhere. */
  private decommissionRemoved(): void {
    for (const n of this.nodes) {
      if (n.decommissioned || this.isMember(n.id)) continue;
      // The spare before it was ever added is not "removed": it just waits.
      if (n.id === this.opts.nodeCount + 1 && !this.spareWasAdded) continue;
      this.note(`decommission ${n.id}`);
      n.decommissioned = true;
      if (n.alive) this.crash(n);
    }
  }

  private spareWasAdded = false;

  private recordConf(n: SimNode, index: number): void {
    const cs = n.raw.raft.confState();
    const key = `${cs.voters.join(',')}|${cs.learners.join(',')}`;
    const prev = this.confAt.get(index);
    if (prev === undefined) this.confAt.set(index, key);
    else if (prev !== key) this.fail(`node ${n.id} has configuration ${key} after index ${index}, others ${prev}`);
    if (index > this.latestConf.index) {
      this.latestConf = { index, cs };
      if (cs.voters.includes(this.opts.nodeCount + 1) || cs.learners.includes(this.opts.nodeCount + 1)) this.spareWasAdded = true;
    }
  }

  private start(n: SimNode): void {
    const snap = n.storage.snapshot();
    n.fsm = KvStateMachine.restore(snap.data);
    n.appliedIndex = snap.metadata.index;
    n.persisting = undefined;
    n.inbox = [];
    n.readRequests = new Map();
    n.pendingReads = [];
    n.raw = new RawNode({
      id: n.id,
      storage: n.storage,
      electionTick: this.p.electionTick,
      heartbeatTick: this.p.heartbeatTick,
      rand: () => n.rng.float(),
      applied: snap.metadata.index,
      checkQuorum: this.p.checkQuorum,
      preVote: this.p.preVote,
      readOnlyOption: this.p.readMode === 'lease' ? 'lease-based' : 'safe',
      maxSizePerMsg: this.p.maxSizePerMsg,
      maxInflightMsgs: this.p.maxInflight,
      maxInflightBytes: this.p.maxInflightBytes,
      maxSnapshotChunkSize: this.p.snapChunk,
      disableProposalForwarding: !this.p.forwarding,
    });
    n.commitFloor = n.raw.raft.raftLog.committed;
    n.checkedCommit = Math.min(n.checkedCommit, n.commitFloor);
    const inc = n.incarnation;
    const tick = (): void => {
      if (!n.alive || n.incarnation !== inc) return;
      this.input(n, () => n.raw.tick());
      this.q.schedule(this.q.now + TICK, tick);
    };
    this.q.schedule(this.q.now + this.rng.int(1, TICK), tick);
  }

  private crash(n: SimNode): void {
    this.note(`crash ${n.id}${n.persisting ? ' (losing an unpersisted Ready)' : ''}`);
    this.stats.crashes++;
    n.alive = false;
    n.incarnation++;
    n.persisting = undefined;
    n.inbox = [];
  }

  private restart(n: SimNode): void {
    this.note(`restart ${n.id}`);
    n.alive = true;
    n.incarnation++;
    this.start(n);
  }

  private scheduleFaults(): void {
    const step = 100;
    for (let t = step; t < this.opts.faultTime; t += step) {
      if (this.rng.chance(this.p.linkCutRate)) {
        const at = t + this.rng.int(0, step - 1);
        const heal = at + this.rng.int(step / 2, 4 * step);
        const pickFromLeader = this.rng.chance(0.5);
        const a = this.rng.int(1, this.opts.nodeCount);
        const b = this.rng.int(1, this.opts.nodeCount);
        this.q.schedule(at, () => {
          // Often the leader's outgoing link: a follower stops hearing it while others still do.
          const from = pickFromLeader ? (this.newestLeader()?.id ?? a) : a;
          const to = b === from ? (b % this.opts.nodeCount) + 1 : b;
          const key = `${from}>${to}`;
          if (this.cutLinks.has(key)) return;
          this.cutLinks.add(key);
          this.note(`cut link ${key}`);
          this.q.schedule(heal, () => this.cutLinks.delete(key));
        });
      }
      if (this.rng.chance(this.p.partitionRate)) {
        const heal = t + this.rng.int(step, 6 * step);
        this.q.schedule(t, () => this.makePartition(heal));
      }
      if (this.rng.chance(this.p.crashRate)) {
        const randomVictim = this.nodes[this.rng.int(0, this.nodes.length - 1)]!;
        const targetLeader = this.rng.chance(0.5);
        const down = this.rng.int(step / 4, 5 * step);
        this.q.schedule(t + this.rng.int(0, step - 1), () => {
          // Leaders are the interesting victims: crash the newest one half of the time.
          const victim = targetLeader ? (this.newestLeader() ?? randomVictim) : randomVictim;
          if (!victim.alive) return;
          this.crash(victim);
          // Lease reads assume a restarted node does not vote for an election timeout;
          // the core enforces that itself (startup vote lockout), so any downtime is fine.
          this.q.schedule(this.q.now + down, () => {
            if (this.faulty && !victim.alive && !victim.decommissioned) this.restart(victim);
          });
        });
      }
    }
  }

  private newestLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes) {
      if (n.alive && n.raw.raft.state === 'StateLeader' && (best === undefined || n.raw.raft.term > best.raw.raft.term)) best = n;
    }
    return best;
  }

  private makePartition(healAt: number): void {
    if (this.partitionGroups !== undefined) return;
    const ids = this.nodes.map((n) => n.id);
    const leader = this.newestLeader();
    if (leader !== undefined && this.rng.chance(0.4)) {
      // Isolate the leader (alone, or with a minority).
      const others = ids.filter((id) => id !== leader.id).sort(() => this.rng.float() - 0.5);
      const withIt = others.slice(0, this.rng.int(0, Math.floor((ids.length - 1) / 2)));
      this.partitionGroups = [[leader.id, ...withIt], others.slice(withIt.length)];
    } else {
      const shuffled = ids.slice().sort(() => this.rng.float() - 0.5);
      const cut = this.rng.int(1, ids.length - 1);
      this.partitionGroups = [shuffled.slice(0, cut), shuffled.slice(cut)];
    }
    this.stats.partitions++;
    this.note(`partition ${JSON.stringify(this.partitionGroups)}`);
    this.q.schedule(healAt, () => {
      this.partitionGroups = undefined;
      this.note('partition healed');
    });
  }

  // ------------------------------------------------------------------ node driver

  /** Feeds an input to a node (deferred while it persists, unless stepping concurrently). */
  private input(n: SimNode, fn: () => void): void {
    if (!n.alive) return;
    if (n.persisting !== undefined && !this.p.stepDuringPersist) {
      n.inbox.push(fn);
      return;
    }
    fn();
    this.checkNode(n);
    this.pump(n);
  }

  private pump(n: SimNode): void {
    if (!n.alive || n.persisting !== undefined || !n.raw.hasReady()) return;
    const rd = n.raw.ready();
    n.persisting = rd;
    const inc = n.incarnation;
    // Only a Ready with something to write waits for the disk.
    const writes = rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined;
    const delay = writes ? this.rng.int(0, this.p.maxDiskDelay) : 0;
    const done = (): void => {
      if (!n.alive || n.incarnation !== inc || n.persisting !== rd) return;
      this.handleReady(n, rd);
    };
    if (delay === 0) done();
    else this.q.schedule(this.q.now + delay, done);
  }

  private handleReady(n: SimNode, rd: Ready): void {
    // 1. persist
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      const cs = rd.snapshot.metadata.confState;
      this.checkSnapshotData(rd.snapshot.metadata.index, `${dec.decode(rd.snapshot.data)}|${cs.voters.join(',')}|${cs.learners.join(',')}`);
      n.fsm = KvStateMachine.restore(rd.snapshot.data);
      n.appliedIndex = rd.snapshot.metadata.index;
      this.stats.snapshotsInstalled++;
      this.note(`${n.id} installed snapshot at ${rd.snapshot.metadata.index}`);
    }
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    // 2. send
    for (const m of rd.messages) this.send(m);
    // 3. apply
    for (const e of rd.committedEntries) this.apply(n, e);
    for (const rs of rd.readStates) {
      const req = n.readRequests.get(dec.decode(rs.requestCtx));
      if (req === undefined) continue;
      n.readRequests.delete(dec.decode(rs.requestCtx));
      n.pendingReads.push({ index: rs.index, ...req });
    }
    this.serveReads(n);
    // 4. advance (conf changes take effect here)
    n.persisting = undefined;
    n.raw.advance(rd);
    let lastConf = 0;
    for (const e of rd.committedEntries) if (e.type === 'EntryConfChange') lastConf = e.index;
    if (lastConf > 0) {
      this.stats.confChanges++;
      this.recordConf(n, lastConf);
    }
    this.maybeSnapshot(n);
    this.checkNode(n);
    const inbox = n.inbox;
    n.inbox = [];
    for (const fn of inbox) {
      fn();
      this.checkNode(n);
    }
    this.pump(n);
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.appliedIndex + 1) this.fail(`node ${n.id} applied index ${e.index} after ${n.appliedIndex}`);
    const data = dec.decode(e.data);
    const c = this.committed.get(e.index);
    if (c === undefined) this.committed.set(e.index, { term: e.term, data });
    else if (c.term !== e.term || (c.data !== undefined && c.data !== data)) {
      this.fail(`node ${n.id} applied ${e.term}/${e.index} "${data}" but ${c.term}/${e.index} "${c.data}" was committed`);
    }
    n.appliedIndex = e.index;
    if (e.type !== 'EntryNormal' || e.data.length === 0) return;
    const cmd = decodeCommand(e.data);
    const res = n.fsm.apply(cmd);
    if (res === undefined) return;
    const client = this.clients[cmd.client - 1]!;
    const cur = client.current;
    if (cur === undefined || cur.op !== cmd.op || cur.node !== n.id || cur.incarnation !== n.incarnation) return;
    if (cmd.kind === 'put') {
      this.acked.set(e.index, data);
      this.stats.acknowledgedPuts++;
      this.complete(client, null);
    } else {
      this.stats.reads++;
      this.complete(client, res.value);
    }
  }

  private serveReads(n: SimNode): void {
    if (n.pendingReads.length === 0) return;
    const rest: SimNode['pendingReads'] = [];
    for (const r of n.pendingReads) {
      if (r.index > n.appliedIndex) {
        rest.push(r);
        continue;
      }
      const client = this.clients[r.client - 1]!;
      const cur = client.current;
      if (cur === undefined || cur.op !== r.op || cur.node !== n.id || cur.incarnation !== n.incarnation) continue;
      this.stats.reads++;
      this.complete(client, n.fsm.read(r.key));
    }
    n.pendingReads = rest;
  }

  private maybeSnapshot(n: SimNode): void {
    const snapIndex = n.storage.snapshot().metadata.index;
    if (n.appliedIndex - snapIndex < this.p.snapshotEvery) return;
    const data = n.fsm.serialize();
    const cs = n.raw.raft.confState();
    this.checkSnapshotData(n.appliedIndex, `${dec.decode(data)}|${cs.voters.join(',')}|${cs.learners.join(',')}`);
    n.storage.createSnapshot(n.appliedIndex, cs, data);
    const compactTo = n.appliedIndex - this.p.keepEntries;
    if (compactTo > n.storage.firstIndex() - 1) n.storage.compact(compactTo);
  }

  private checkSnapshotData(index: number, data: string): void {
    const prev = this.snapshotsAt.get(index);
    if (prev === undefined) this.snapshotsAt.set(index, data);
    else if (prev !== data) this.fail(`state machines differ at index ${index}:\n    ${prev}\n    ${data}`);
  }

  // ------------------------------------------------------------------ network

  private cut(from: NodeId, to: NodeId): boolean {
    if (this.cutLinks.size > 0 && this.cutLinks.has(`${from}>${to}`)) return true;
    const g = this.partitionGroups;
    if (g === undefined) return false;
    return g[0]!.includes(from) !== g[0]!.includes(to);
  }

  private send(m: Message): void {
    if (this.cut(m.from, m.to)) return;
    if (this.faulty && this.rng.chance(this.p.dropRate)) return;
    const wire = this.p.wireCodec ? encodeMessage(m) : undefined;
    const copies = this.faulty && this.rng.chance(this.p.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = this.q.now + this.rng.int(1, this.p.maxDelay);
      this.q.schedule(at, () => this.deliver(wire ? decodeMessage(wire) : m));
    }
  }

  private deliver(m: Message): void {
    const n = this.nodes[m.to - 1];
    if (n === undefined || !n.alive || this.cut(m.from, m.to)) return;
    this.note(() => describeMessage(m));
    this.input(n, () => n.raw.step(m));
  }

  // ------------------------------------------------------------------ clients

  private clientIssue(client: SimClient): void {
    if (!this.faulty) return;
    const alive = this.nodes.filter((n) => n.alive);
    if (alive.length === 0) {
      this.q.schedule(this.q.now + 20, () => this.clientIssue(client));
      return;
    }
    const hinted = this.nodes[client.leaderHint - 1];
    const key = this.rng.pick(this.p.keys);
    const op = client.nextOp++;
    const isPut = this.rng.chance(0.55);
    // Writes mostly follow the leader hint; reads often go anywhere (a stale leader or a
    // follower of one is exactly where a linearizability bug would show).
    const followHint = hinted !== undefined && hinted.alive && this.rng.chance(isPut ? 0.9 : 0.5);
    const target = followHint ? hinted : this.rng.pick(alive);
    const input: KvInput = isPut ? { op: 'put', key, value: `${client.id}.${op}` } : { op: 'get', key };
    const viaReadIndex = !isPut && this.p.readMode !== 'log';
    const pending: PendingOp = { op, input, node: target.id, incarnation: target.incarnation, call: this.q.now, viaReadIndex };
    if (!viaReadIndex && !this.p.forwarding && target.raw.raft.state !== 'StateLeader') {
      // Refused before anything happened: not part of the history.
      client.leaderHint = target.raw.raft.lead;
      this.q.schedule(this.q.now + this.rng.int(5, 30), () => this.clientIssue(client));
      return;
    }
    client.current = pending;
    this.note(() => `client ${client.id} op ${op} ${JSON.stringify(input)} at node ${target.id}`);
    let refused = false;
    if (viaReadIndex) {
      const ctx = `r${client.id}.${op}`;
      target.readRequests.set(ctx, { client: client.id, op, key });
      this.input(target, () => target.raw.readIndex(enc.encode(ctx)));
    } else {
      const cmd =
        input.op === 'put'
          ? encodeCommand({ kind: 'put', client: client.id, op, key, value: input.value })
          : encodeCommand({ kind: 'get', client: client.id, op, key });
      this.input(target, () => {
        try {
          target.raw.propose(cmd);
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
          refused = true;
        }
      });
    }
    if (refused) {
      client.current = undefined;
      client.leaderHint = target.raw.raft.lead;
      this.q.schedule(this.q.now + this.rng.int(5, 30), () => this.clientIssue(client));
      return;
    }
    this.q.schedule(this.q.now + this.p.clientTimeout, () => {
      if (client.current !== pending) return;
      // Unknown outcome: a put may still take effect later; a get constrains nothing.
      if (input.op === 'put') this.history.push({ clientId: client.id, input, output: undefined, call: pending.call, return: Infinity });
      this.stats.timedOut++;
      client.current = undefined;
      client.leaderHint = 0;
      this.q.schedule(this.q.now + this.rng.int(0, 20), () => this.clientIssue(client));
    });
  }

  private complete(client: SimClient, value: KvOutput): void {
    const cur = client.current!;
    this.history.push({ clientId: client.id, input: cur.input, output: value, call: cur.call, return: this.q.now });
    client.current = undefined;
    client.leaderHint = cur.node;
    this.q.schedule(this.q.now + this.rng.int(0, 20), () => this.clientIssue(client));
  }

  // ------------------------------------------------------------------ invariants

  /** Safety checks after every event on a node. */
  private checkNode(n: SimNode): void {
    if (!n.alive) return;
    const r = n.raw.raft;
    if (r.state === 'StateLeader') {
      const l = this.leaderOfTerm.get(r.term);
      if (l === undefined) {
        this.leaderOfTerm.set(r.term, n.id);
        this.note(`${n.id} leads term ${r.term}`);
      } else if (l !== n.id) this.fail(`two leaders in term ${r.term}: ${l} and ${n.id}`);
    }
    const log = r.raftLog;
    if (log.committed < n.commitFloor) this.fail(`node ${n.id} commit went back from ${n.commitFloor} to ${log.committed}`);
    n.commitFloor = log.committed;
    if (log.applied > log.committed) this.fail(`node ${n.id} applied ${log.applied} beyond commit ${log.committed}`);
    for (let i = n.checkedCommit + 1; i <= log.committed; i++) {
      const term = log.termOrUndefined(i);
      if (term === undefined) continue; // covered by a snapshot
      let data: string | undefined;
      if (i >= log.firstIndex()) data = dec.decode(log.slice(i, i + 1, Number.MAX_SAFE_INTEGER)[0]!.data);
      const c = this.committed.get(i);
      if (c === undefined) this.committed.set(i, { term, data });
      else if (c.term !== term || (c.data !== undefined && data !== undefined && c.data !== data)) {
        this.fail(`node ${n.id} committed ${term}/${i} "${data}" but ${c.term}/${i} "${c.data}" is committed elsewhere`);
      } else if (c.data === undefined && data !== undefined) this.committed.set(i, { term, data });
    }
    if (log.committed > n.checkedCommit) n.checkedCommit = log.committed;
  }

  private converged(): boolean {
    const members = this.nodes.filter((n) => this.isMember(n.id));
    const leaders = members.filter((n) => n.alive && n.raw.raft.state === 'StateLeader');
    if (leaders.length !== 1) return false;
    const leader = leaders[0]!.raw.raft;
    if (!this.latestConf.cs.voters.includes(leader.id)) return false;
    const last = leader.raftLog.lastIndex();
    if (leader.raftLog.committed !== last) return false;
    if (this.clients.some((c) => c.current !== undefined)) return false;
    return members.every(
      (n) =>
        n.alive &&
        n.persisting === undefined &&
        n.raw.raft.term === leader.term &&
        n.raw.raft.raftLog.committed === last &&
        n.appliedIndex === last,
    );
  }

  private finalChecks(): void {
    const members = this.nodes.filter((n) => this.isMember(n.id));
    const first = members[0]!;
    const state = dec.decode(first.fsm.serialize());
    for (const n of members) {
      const s = dec.decode(n.fsm.serialize());
      if (s !== state) this.fail(`final state machines differ:\n    node ${first.id}: ${state}\n    node ${n.id}: ${s}`);
    }
    for (const [index, data] of this.acked) {
      const c = this.committed.get(index);
      if (c?.data !== data) this.fail(`acknowledged put "${data}" at ${index} lost (committed there: ${c?.data})`);
      if (first.appliedIndex < index) this.fail(`acknowledged put at ${index} beyond final applied ${first.appliedIndex}`);
    }
    const result = checkOperations(kvModel, this.history, { maxSteps: 5_000_000 });
    if (result.outcome === 'illegal') {
      this.fail(`client history is not linearizable:\n    ${result.partition.join('\n    ')}`);
    }
    if (result.outcome === 'unknown') this.fail(`linearizability check inconclusive: ${result.reason}`);
  }

  private describeNodes(): string {
    return this.nodes
      .map((n) => {
        if (!n.alive) return `${n.id}: ${n.decommissioned ? 'decommissioned' : 'down'}`;
        const r = n.raw.raft;
        const cs = r.confState();
        return `${n.id}: ${r.state} term=${r.term} lead=${r.lead} commit=${r.raftLog.committed} last=${r.raftLog.lastIndex()} applied=${n.appliedIndex} persisting=${n.persisting !== undefined} conf=${cs.voters.join(',')}|${cs.learners.join(',')}`;
      })
      .concat(`latest conf at ${this.latestConf.index}: ${this.latestConf.cs.voters.join(',')}|${this.latestConf.cs.learners.join(',')}`)
      .join('\n    ');
  }
}
