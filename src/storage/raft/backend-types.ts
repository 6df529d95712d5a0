// The public shapes of the Raft storage backend: options (and how the `storage "raft"`
// stanza maps to them), events, and what the ops API returns.

import type { RaftStorageConfig } from '../../config/schema.js';
import type { Message } from '../../raft/types.js';
import type { Logger } from '../../util/logger.js';
import type { ClusterTls } from './cluster-tls.js';
import type { RaftTiming } from './timing.js';
import type { PeerStats } from './transport.js';

export interface RaftBackendOptions {
  /** Data directory: raft.db and node-id live here. */
  readonly path: string;
  /** Vault's node_id; default: <path>/node-id, created with a random UUID. */
  readonly nodeId?: string;
  /** This node's cluster address (host:port) as other nodes dial it. */
  readonly clusterAddr: string;
  /** Where to listen, if not the cluster address (e.g. 0.0.0.0:8201). */
  readonly listenAddr?: string;
  /** Cluster mTLS material; may instead be given to start()/bootstrap()/join(). */
  readonly tls?: ClusterTls;
  /** 0/undefined = 5. See timing.ts. */
  readonly performanceMultiplier?: number;
  /** Log entries kept behind a snapshot (default 10000). */
  readonly trailingLogs?: number;
  /** Entries applied between snapshots (default 8192). */
  readonly snapshotThreshold?: number;
  /** Largest single write, encoded (default 1 MiB). */
  readonly maxEntrySize?: number;
  /** A write not applied by then is rejected with ProposalOutcomeUnknownError (default 30 s). */
  readonly proposalTimeoutMs?: number;
  /** A linearizable barrier not answered by then is rejected (default: 10 election timeouts). */
  readonly readTimeoutMs?: number;
  readonly logger?: Logger;
  /** Overrides of the tick length and counts (tests). */
  readonly timing?: Partial<RaftTiming>;
  /** Fault injection for tests: messages for which this returns true are dropped (both directions). */
  readonly dropMessage?: (m: Message) => boolean;
}

/** Options from the `storage "raft"` stanza plus what the server knows (cluster_addr, TLS). */
export function raftBackendOptions(
  cfg: RaftStorageConfig,
  extra: { clusterAddr: string; listenAddr?: string; tls?: ClusterTls; logger?: Logger },
): RaftBackendOptions {
  return {
    path: cfg.path,
    ...(cfg.node_id !== undefined ? { nodeId: cfg.node_id } : {}),
    ...(cfg.performance_multiplier !== undefined ? { performanceMultiplier: cfg.performance_multiplier } : {}),
    ...(cfg.trailing_logs !== undefined ? { trailingLogs: cfg.trailing_logs } : {}),
    ...(cfg.snapshot_threshold ? { snapshotThreshold: cfg.snapshot_threshold } : {}),
    ...(cfg.max_entry_size !== undefined ? { maxEntrySize: cfg.max_entry_size } : {}),
    ...extra,
  };
}

export interface LeaderInfo {
  /** node_id */
  readonly id: string;
  /** cluster address */
  readonly addr: string;
}

export interface LeadershipChange {
  /** True once this node leads AND has applied an entry of its own term (its state is current). */
  readonly isLeader: boolean;
  readonly leader: LeaderInfo | undefined;
  readonly term: number;
}

export interface RaftServer {
  readonly node_id: string;
  readonly address: string;
  readonly leader: boolean;
  readonly voter: boolean;
}

export interface RaftConfiguration {
  /** Log index of the last applied membership change. */
  readonly index: number;
  readonly servers: readonly RaftServer[];
}

export interface RaftStats {
  readonly nodeId: string;
  readonly raftId: number;
  readonly state: string;
  readonly term: number;
  readonly leader: LeaderInfo | undefined;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly voters: number;
  readonly learners: number;
  readonly pendingProposals: number;
  readonly writes: number;
  readonly failedWrites: number;
  readonly proposals: number;
  readonly maxBatch: number;
  readonly transactions: number;
  readonly fsyncs: number;
  readonly snapshotsBuilt: number;
  readonly snapshotsInstalled: number;
  readonly compactions: number;
  readonly timing: RaftTiming;
  readonly peers: Record<string, PeerStats>;
}

export interface RaftBackendEvents {
  leadership: [LeadershipChange];
  /**
   * This node applied its own removal from the configuration. Not guaranteed: the leader
   * stops replicating to a member once the removal is applied, so the removed node may never
   * learn the commit (it then just hears from no leader).
   */
  removed: [];
  /** The node stopped after an unrecoverable error (storage failure, Raft invariant). */
  fatal: [Error];
}

export interface JoinOptions {
  /** Join as a learner that is never promoted. */
  readonly nonVoter?: boolean;
  readonly timeoutMs?: number;
}
