/**
 * Integrated storage (raft) as the core sees it: bootstrapping at init, starting the raft node
 * once the barrier is unsealed (its cluster TLS lives behind the barrier), leadership → active /
 * standby, and the join handshake by which a new node proves it holds the unseal keys before the
 * cluster gives it TLS material and adds it.
 *
 * Join, in Vault's shape (sys/storage/raft/join → bootstrap/challenge → unseal → bootstrap/answer):
 *  1. The joiner asks the active node for a challenge. The active node stores 32 random bytes
 *     behind the barrier and returns their ciphertext together with what the joiner needs to
 *     unseal: the seal config, the wrapped root key and the encrypted keyring (all useless
 *     without the unseal keys or the HSM).
 *  2. An operator unseals the joiner with the cluster's keys; the joiner can now decrypt the
 *     challenge and answers it. The active node compares in constant time, issues the joiner a
 *     node certificate from the cluster CA, and the joiner joins raft over mutual TLS.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Core, ClusterHooks } from './core.js';
import { LogicalError } from './logical.js';
import { StorageView } from './storage-view.js';
import type { PhysicalBackend, TxnOp } from '../storage/physical.js';
import type { RaftBackend, ClusterTls, ClusterCa } from '../storage/raft/index.js';
import { createClusterCa, issueNodeTls } from '../storage/raft/index.js';
import type { Logger } from '../util/logger.js';

/** Physical entries a joiner needs in order to unseal before it has replicated anything. */
const JOIN_KEYS = ['core/seal-config', 'core/shamir-root-key', 'core/hsm/barrier-unseal-keys', 'core/recovery-key', 'core/keyring'];

/**
 * Reads fall through an in-memory overlay first: a joining node is unsealed from entries the
 * active node handed it, before raft has replicated anything. Writes always go to raft.
 */
export class JoinOverlayPhysical implements PhysicalBackend {
  private overlay = new Map<string, Buffer>();

  constructor(readonly inner: RaftBackend) {}

  install(entries: Record<string, Buffer>): void {
    this.overlay = new Map(Object.entries(entries));
  }

  clear(): void {
    this.overlay.clear();
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.overlay.get(key) ?? this.inner.get(key);
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  put(key: string, value: Buffer): Promise<void> {
    return this.inner.put(key, value);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  txn(ops: TxnOp[]): Promise<void> {
    return this.inner.txn(ops);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface ChallengeResponse {
  challenge: string;
  entries: Record<string, string>;
}

export interface AnswerResponse {
  tls: ClusterTls;
  leader_cluster_addr: string;
}

interface PendingJoin {
  leaderApiAddr: string;
  challengePath: string;
}

export class RaftCluster implements ClusterHooks {
  private core!: Core;
  private pendingJoin: PendingJoin | undefined;
  private started = false;

  constructor(
    readonly raft: RaftBackend,
    readonly physical: JoinOverlayPhysical,
    private readonly opts: { nodeId: string; apiAddr: string; clusterAddr: string; log: Logger },
  ) {}

  /** Wires leadership events into the core (call once the core exists). */
  attach(core: Core): void {
    this.core = core;
    core.nodeId = this.opts.nodeId;
    core.clusterAddr = this.opts.clusterAddr;
    this.raft.on('leadership', (c: { isLeader: boolean }) => {
      void core.onLeadershipChange(c.isLeader).catch((e: unknown) => this.opts.log.error('core: leadership change failed', { error: (e as Error).message }));
    });
  }

  isLeader(): boolean {
    return this.started && this.raft.isLeader();
  }

  async readBarrier(): Promise<void> {
    await this.raft.linearizableBarrier();
    if (!this.raft.isLeader()) throw new Error('not the leader');
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  private barrierView(): StorageView {
    return new StorageView(this.core.barrier, 'core/raft/');
  }

  async beforeInitialize(): Promise<void> {
    if (this.raft.isInitialized()) throw new LogicalError('this node already belongs to a raft cluster');
    if (this.pendingJoin) throw new LogicalError('this node is joining a cluster; unseal it instead of initialising');
    const ca = await createClusterCa();
    const tls = await issueNodeTls(ca, this.opts.nodeId);
    this.initMaterial = { ca, tls };
    await this.raft.bootstrap(tls);
    this.started = true;
  }

  private initMaterial: { ca: ClusterCa; tls: ClusterTls } | undefined;

  async afterInitialize(): Promise<void> {
    const m = this.initMaterial;
    if (!m) return;
    await this.barrierView().putJson('ca', m.ca);
    await this.barrierView().putJson(`tls/${this.opts.nodeId}`, m.tls);
    this.initMaterial = undefined;
  }

  async afterBarrierUnsealed(): Promise<void> {
    if (this.started) return;
    if (this.pendingJoin) {
      await this.completeJoin(this.pendingJoin);
      return;
    }
    const tls = await this.barrierView().getJson<ClusterTls>(`tls/${this.opts.nodeId}`);
    if (!tls) throw new LogicalError(`no cluster TLS material for node "${this.opts.nodeId}" in storage: was this node initialised or joined?`);
    await this.raft.start(tls);
    this.started = true;
  }

  // ------------------------------------------------------------------ join: the joiner's side

  /** sys/storage/raft/join: fetch a challenge and the sealed material from the active node. */
  async join(leaderApiAddr: string, ca?: string): Promise<void> {
    if (this.raft.isInitialized() || this.started) throw new LogicalError('this node already belongs to a raft cluster');
    const res = await postJson<{ data: ChallengeResponse }>(`${leaderApiAddr.replace(/\/+$/, '')}/v1/sys/storage/raft/bootstrap/challenge`, { server_id: this.opts.nodeId }, ca);
    const entries: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(res.data.entries)) entries[k] = Buffer.from(v, 'base64');
    const challengePath = `core/raft/challenge/${this.opts.nodeId}`;
    entries[challengePath] = Buffer.from(res.data.challenge, 'base64');
    this.physical.install(entries);
    this.pendingJoin = { leaderApiAddr: leaderApiAddr.replace(/\/+$/, ''), challengePath };
    this.caForLeader = ca;
    this.opts.log.info('raft: join challenge received; unseal this node to complete the join', { leader: leaderApiAddr });
  }

  private caForLeader: string | undefined;

  get joining(): boolean {
    return this.pendingJoin !== undefined;
  }

  private async completeJoin(p: PendingJoin): Promise<void> {
    const answer = await this.core.barrier.get(p.challengePath);
    if (!answer) throw new LogicalError('join challenge missing');
    const res = await postJson<{ data: AnswerResponse }>(
      `${p.leaderApiAddr}/v1/sys/storage/raft/bootstrap/answer`,
      { server_id: this.opts.nodeId, answer: answer.toString('base64'), cluster_addr: this.opts.clusterAddr },
      this.caForLeader,
    );
    await this.raft.join(res.data.leader_cluster_addr, res.data.tls);
    this.started = true;
    this.pendingJoin = undefined;
    this.physical.clear();
    this.opts.log.info('raft: joined the cluster', { leader: res.data.leader_cluster_addr });
  }

  // ------------------------------------------------------------------ join: the active node's side

  async issueChallenge(serverId: string): Promise<ChallengeResponse> {
    assertServerId(serverId);
    const path = `core/raft/challenge/${serverId}`;
    await this.core.barrier.put(path, randomBytes(32));
    const challenge = await this.raft.get(path); // the ciphertext, exactly as stored
    const entries: Record<string, string> = {};
    for (const key of JOIN_KEYS) {
      const v = await this.raft.get(key);
      if (v) entries[key] = v.toString('base64');
    }
    return { challenge: challenge!.toString('base64'), entries };
  }

  async answerChallenge(serverId: string, answerB64: string): Promise<AnswerResponse> {
    assertServerId(serverId);
    const path = `core/raft/challenge/${serverId}`;
    const expected = await this.core.barrier.get(path);
    const answer = Buffer.from(answerB64, 'base64');
    if (!expected || expected.length !== answer.length || !timingSafeEqual(expected, answer)) {
      throw new LogicalError('invalid join answer: the node could not decrypt the challenge (wrong unseal keys?)', 403);
    }
    const ca = await this.barrierView().getJson<ClusterCa>('ca');
    if (!ca) throw new LogicalError('cluster CA missing from storage', 500);
    const tls = await issueNodeTls(ca, serverId);
    await this.barrierView().putJson(`tls/${serverId}`, tls);
    await this.core.barrier.delete(path);
    return { tls, leader_cluster_addr: this.opts.clusterAddr };
  }
}

function assertServerId(id: string): void {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id)) throw new LogicalError('invalid server_id');
}

async function postJson<T>(url: string, body: unknown, _ca?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  } catch (e) {
    throw new LogicalError(`could not reach ${url}: ${(e as Error).message}`, 500);
  }
  const text = await res.text();
  if (!res.ok) throw new LogicalError(`${url} answered ${res.status}: ${text}`, res.status >= 500 ? 500 : 400);
  return JSON.parse(text) as T;
}
