// The interaction environment behind the golden tests (cf. etcd's rafttest
// InteractionEnv): a handful of RawNodes, a message queue between them, storage,
// and a trivial state machine, driven by text commands.

import {
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  MemoryStorage,
  type NodeId,
  type RaftLogger,
  RawNode,
  type Ready,
  bootstrapStorage,
  decodeConfChange,
  describeEntry,
  describeHardState,
  describeMessage,
  describeReadState,
  describeSnapshot,
  describeSoftState,
  applyConfChangeToState,
} from '../../../src/raft/index.js';
import type { CmdArg, TestCase } from './datadriven.js';

type Level = 'debug' | 'info' | 'warn' | 'none';
const LEVELS: Record<Level, number> = { debug: 0, info: 1, warn: 2, none: 3 };

interface NodeOptions {
  checkQuorum: boolean;
  preVote: boolean;
  maxInflight: number;
  maxInflightBytes: number;
  maxMsgSize: number;
  snapChunk: number;
  readOnly: 'safe' | 'lease-based';
  electionTick: number;
  heartbeatTick: number;
}

interface EnvNode {
  readonly id: NodeId;
  node: RawNode;
  readonly storage: MemoryStorage;
  readonly options: NodeOptions;
  /** Applied normal-entry payloads, in order (the "state machine"). */
  applied: { index: number; data: string }[];
  /** Configuration after each applied conf change, to snapshot at any applied index. */
  confHistory: { index: number; cs: ConfState }[];
  appliedIndex: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class InteractionEnv {
  private nodes: EnvNode[] = [];
  private queue: Message[] = [];
  private out: string[] = [];
  private indent = '';
  private level: Level = 'info';
  private partition: NodeId[][] | undefined;

  handle(tc: TestCase): string {
    this.out = [];
    switch (tc.cmd) {
      case 'add-nodes':
        this.addNodes(tc);
        break;
      case 'campaign':
        this.node(tc).node.campaign();
        break;
      case 'propose':
        this.withDropped(() => this.node(tc).node.propose(enc.encode(positional(tc, 1))));
        break;
      case 'propose-conf-change':
        this.withDropped(() => this.node(tc).node.proposeConfChange(parseConfChange(positional(tc, 1))));
        break;
      case 'tick-heartbeat':
        this.tick(tc, this.node(tc).options.heartbeatTick);
        break;
      case 'tick-election':
        this.tick(tc, this.node(tc).options.electionTick);
        break;
      case 'process-ready':
        this.forEachId(tc, (n) => this.processReady(n));
        break;
      case 'deliver-msgs':
        this.deliverMsgs(tc);
        break;
      case 'stabilize':
        this.stabilize(ids(tc));
        break;
      case 'status':
        this.status(this.node(tc));
        break;
      case 'raft-log':
        this.raftLog(this.node(tc));
        break;
      case 'raft-state':
        this.raftState();
        break;
      case 'log-level':
        this.level = positional(tc, 0) as Level;
        break;
      case 'compact':
        this.compact(this.node(tc), Number(positional(tc, 1)));
        break;
      case 'transfer-leadership': {
        const from = Number(arg(tc, 'from'));
        const to = Number(arg(tc, 'to'));
        this.byId(from).node.transferLeadership(to);
        break;
      }
      case 'read-index':
        this.node(tc).node.readIndex(enc.encode(positional(tc, 1)));
        break;
      case 'partition':
        this.partition = tc.args.map((a) => a.key.replace(/[()]/g, '').split(',').map(Number));
        break;
      case 'heal':
        this.partition = undefined;
        break;
      case 'restart':
        this.restart(this.node(tc));
        break;
      case 'applied':
        this.forEachId(tc, (n) => this.print(`${n.id}: applied=${n.appliedIndex} [${n.applied.map((a) => a.data).join(' ')}]`, true));
        break;
      default:
        throw new Error(`line ${tc.line}: unknown command ${tc.cmd}`);
    }
    return this.out.join('\n');
  }

  // ------------------------------------------------------------ output

  /** Output of a command; with log-level none only inspection output (`always`) shows. */
  private print(line: string, always = false): void {
    if (this.level === 'none' && !always) return;
    this.out.push(this.indent + line);
  }

  private loggerFor(id: NodeId): RaftLogger {
    const log = (level: Level, prefix: string) => (msg: string) => {
      if (LEVELS[level] >= LEVELS[this.level]) this.print(`${prefix} ${msg}`);
    };
    void id;
    return { debug: log('debug', 'DEBUG'), info: log('info', 'INFO'), warn: log('warn', 'WARN') };
  }

  private withDropped(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.print(`raft: proposal dropped: ${(err as Error).message}`, true);
    }
  }

  // ------------------------------------------------------------ nodes

  private node(tc: TestCase): EnvNode {
    return this.byId(Number(positional(tc, 0)));
  }

  private byId(id: NodeId): EnvNode {
    const n = this.nodes[id - 1];
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private forEachId(tc: TestCase, fn: (n: EnvNode) => void): void {
    const list = ids(tc);
    const targets = list.length > 0 ? list.map((id) => this.byId(id)) : this.nodes;
    for (const n of targets) fn(n);
  }

  private addNodes(tc: TestCase): void {
    const count = Number(positional(tc, 0));
    const voters = argList(tc, 'voters')?.map(Number);
    const learners = argList(tc, 'learners')?.map(Number);
    const index = Number(arg(tc, 'index') ?? '1');
    const options: NodeOptions = {
      checkQuorum: (arg(tc, 'checkquorum') ?? 'false') === 'true',
      preVote: (arg(tc, 'prevote') ?? 'false') === 'true',
      maxInflight: Number(arg(tc, 'inflight') ?? '256'),
      maxInflightBytes: Number(arg(tc, 'inflight-bytes') ?? '0'),
      maxMsgSize: Number(arg(tc, 'max-msg-size') ?? String(1 << 20)),
      snapChunk: Number(arg(tc, 'snap-chunk') ?? String(1 << 20)),
      readOnly: (arg(tc, 'read-only') ?? 'safe') as 'safe' | 'lease-based',
      electionTick: Number(arg(tc, 'election') ?? '10'),
      heartbeatTick: Number(arg(tc, 'heartbeat') ?? '1'),
    };
    for (let i = 0; i < count; i++) {
      const id = this.nodes.length + 1;
      const storage = new MemoryStorage();
      const cs: ConfState = { voters: voters ?? [], learners: learners ?? [] };
      if (voters !== undefined) bootstrapStorage(storage, cs, index);
      const n: EnvNode = {
        id,
        node: undefined as unknown as RawNode,
        storage,
        options,
        applied: [],
        confHistory: [{ index: storage.snapshot().metadata.index, cs }],
        appliedIndex: storage.snapshot().metadata.index,
      };
      this.nodes.push(n);
      n.node = this.newRawNode(n);
    }
  }

  private newRawNode(n: EnvNode): RawNode {
    const o = n.options;
    return new RawNode({
      id: n.id,
      storage: n.storage,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      rand: () => 0, // randomised timeout == electionTick: tick-election always campaigns
      checkQuorum: o.checkQuorum,
      preVote: o.preVote,
      maxInflightMsgs: o.maxInflight,
      maxInflightBytes: o.maxInflightBytes,
      maxSizePerMsg: o.maxMsgSize,
      maxSnapshotChunkSize: o.snapChunk,
      readOnlyOption: o.readOnly,
      logger: this.loggerFor(n.id),
    });
  }

  /** Crash and recover from storage: the state machine is rebuilt from the snapshot. */
  private restart(n: EnvNode): void {
    const snap = n.storage.snapshot();
    n.applied = decodeApplied(snap.data, snap.metadata.index);
    n.appliedIndex = snap.metadata.index;
    n.confHistory = [{ index: snap.metadata.index, cs: snap.metadata.confState }];
    this.queue = this.queue.filter((m) => m.to !== n.id);
    n.node = this.newRawNode(n);
  }

  private tick(tc: TestCase, times: number): void {
    const n = this.node(tc);
    for (let i = 0; i < times; i++) n.node.tick();
  }

  // ------------------------------------------------------------ ready handling

  private processReady(n: EnvNode): void {
    if (!n.node.hasReady()) {
      this.print('<empty Ready>');
      return;
    }
    const rd = n.node.ready();
    this.printReady(rd);
    // persist, then send, then apply, then advance
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.applied = decodeApplied(rd.snapshot.data, rd.snapshot.metadata.index);
      n.appliedIndex = rd.snapshot.metadata.index;
      n.confHistory = [{ index: rd.snapshot.metadata.index, cs: rd.snapshot.metadata.confState }];
    }
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    // Messages sent across a partition are lost (silently: the Ready above lists them).
    for (const m of rd.messages) if (!this.cut(m)) this.queue.push(m);
    for (const e of rd.committedEntries) this.apply(n, e);
    n.node.advance(rd);
    for (const rs of rd.readStates) {
      if (rs.index > n.appliedIndex) this.print(`read ${dec.decode(rs.requestCtx)} must wait for apply of ${rs.index}`);
    }
  }

  private apply(n: EnvNode, e: Entry): void {
    n.appliedIndex = e.index;
    if (e.type === 'EntryConfChange') {
      const prev = n.confHistory[n.confHistory.length - 1]!.cs;
      n.confHistory.push({ index: e.index, cs: applyConfChangeToState(prev, decodeConfChange(e.data)) });
    } else if (e.data.length > 0) {
      n.applied.push({ index: e.index, data: dec.decode(e.data) });
    }
  }

  private printReady(rd: Ready): void {
    this.print(`Ready MustSync=${rd.mustSync}:`);
    if (rd.softState) this.print(describeSoftState(rd.softState));
    if (rd.hardState) this.print(`HardState ${describeHardState(rd.hardState)}`);
    if (rd.entries.length > 0) {
      this.print('Entries:');
      for (const e of rd.entries) this.print(describeEntry(e));
    }
    if (rd.snapshot) this.print(`Snapshot ${describeSnapshot(rd.snapshot)}`);
    if (rd.committedEntries.length > 0) {
      this.print('CommittedEntries:');
      for (const e of rd.committedEntries) this.print(describeEntry(e));
    }
    if (rd.messages.length > 0) {
      this.print('Messages:');
      for (const m of rd.messages) this.print(describeMessage(m));
    }
    if (rd.readStates.length > 0) {
      this.print('ReadStates:');
      for (const rs of rd.readStates) this.print(describeReadState(rs));
    }
  }

  // ------------------------------------------------------------ messages

  private cut(m: Message): boolean {
    if (this.partition === undefined) return false;
    const group = (id: NodeId) => this.partition!.findIndex((g) => g.includes(id));
    return group(m.from) !== group(m.to);
  }

  /** Delivers (or drops) the queued messages addressed to `to`; returns how many were handled. */
  private deliverTo(to: NodeId, drop: boolean): number {
    const mine = this.queue.filter((m) => m.to === to);
    this.queue = this.queue.filter((m) => m.to !== to);
    for (const m of mine) {
      if (drop || this.cut(m)) {
        this.print(`dropped: ${describeMessage(m)}`);
        continue;
      }
      this.print(describeMessage(m));
      this.byId(to).node.step(m);
    }
    return mine.length;
  }

  private deliverMsgs(tc: TestCase): void {
    const drop = argList(tc, 'drop')?.map(Number) ?? [];
    for (const id of drop) this.deliverTo(id, true);
    const list = ids(tc);
    const targets = list.length > 0 ? list : drop.length > 0 ? [] : this.nodes.map((n) => n.id);
    for (const id of targets) this.deliverTo(id, false);
  }

  private stabilize(only: NodeId[]): void {
    const targets = only.length > 0 ? only.map((id) => this.byId(id)) : this.nodes;
    for (;;) {
      let done = true;
      for (const n of targets) {
        if (!n.node.hasReady()) continue;
        done = false;
        this.print(`> ${n.id} handling Ready`);
        this.indent = '  ';
        this.processReady(n);
        this.indent = '';
      }
      for (const n of targets) {
        if (!this.queue.some((m) => m.to === n.id)) continue;
        done = false;
        this.print(`> ${n.id} receiving messages`);
        this.indent = '  ';
        this.deliverTo(n.id, false);
        this.indent = '';
      }
      if (done) return;
    }
  }

  // ------------------------------------------------------------ inspection

  private status(n: EnvNode): void {
    const st = n.node.status();
    if (st.progress === undefined) {
      this.print(`${n.id} is not the leader (${st.softState.state}, lead ${st.softState.lead})`, true);
      return;
    }
    for (const [id, pr] of st.progress) {
      let s = `${id}: ${pr.state} match=${pr.match} next=${pr.next}`;
      if (pr.isLearner) s += ' learner';
      if (pr.paused) s += ' paused';
      if (pr.pendingSnapshot > 0) s += ` pendingSnap=${pr.pendingSnapshot}`;
      if (pr.inflight > 0) s += ` inflight=${pr.inflight}`;
      this.print(s, true);
    }
  }

  private raftLog(n: EnvNode): void {
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    if (last < first) {
      this.print(`log is empty: first index=${first}, last index=${last}`, true);
      return;
    }
    for (const e of n.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER)) this.print(describeEntry(e), true);
  }

  private raftState(): void {
    for (const n of this.nodes) {
      const st = n.node.status();
      const cs = st.confState;
      const role = cs.voters.includes(n.id) ? 'Voter' : cs.learners.includes(n.id) ? 'Learner' : 'Non-Member';
      this.print(
        `${n.id}: ${st.softState.state} (${role}) Term:${st.hardState.term} Lead:${st.softState.lead} Commit:${st.hardState.commit}`,
        true,
      );
    }
  }

  /** Snapshots the state machine at `index` (≤ applied) and compacts the log up to it. */
  private compact(n: EnvNode, index: number): void {
    if (index > n.appliedIndex) throw new Error(`cannot compact ${n.id} to ${index}: applied only ${n.appliedIndex}`);
    const data = n.applied.filter((a) => a.index <= index).map((a) => a.data);
    let cs = n.confHistory[0]!.cs;
    for (const h of n.confHistory) if (h.index <= index) cs = h.cs;
    n.storage.createSnapshot(index, cs, enc.encode(data.join(',')));
    n.storage.compact(index);
    this.raftLog(n);
  }
}

function decodeApplied(data: Uint8Array, index: number): { index: number; data: string }[] {
  const s = dec.decode(data);
  return s === '' ? [] : s.split(',').map((d) => ({ index, data: d }));
}

function parseConfChange(s: string): ConfChange {
  const id = Number(s.slice(1));
  const context = new Uint8Array(0);
  switch (s[0]) {
    case 'v':
      return { type: 'AddNode', nodeId: id, context };
    case 'l':
      return { type: 'AddLearnerNode', nodeId: id, context };
    case 'r':
      return { type: 'RemoveNode', nodeId: id, context };
    default:
      throw new Error(`bad conf change ${s} (want v<id>, l<id> or r<id>)`);
  }
}

function positional(tc: TestCase, i: number): string {
  const bare = tc.args.filter((a) => !a.hasValue);
  const a = bare[i];
  if (a === undefined) throw new Error(`line ${tc.line}: ${tc.cmd} needs argument ${i + 1}`);
  return a.key;
}

function ids(tc: TestCase): NodeId[] {
  return tc.args.filter((a: CmdArg) => !a.hasValue && /^\d+$/.test(a.key)).map((a) => Number(a.key));
}

function arg(tc: TestCase, key: string): string | undefined {
  return tc.args.find((a) => a.key === key)?.values[0];
}

function argList(tc: TestCase, key: string): string[] | undefined {
  const a = tc.args.find((x) => x.key === key);
  return a === undefined ? undefined : [...a.values];
}
