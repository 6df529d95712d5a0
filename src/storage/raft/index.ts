// Raft integrated storage: a PhysicalBackend replicated by src/raft. See README.md.

export { RaftBackend } from './raft-backend.js';
export * from './backend-types.js';
export * from './errors.js';
export { createClusterTls, createClusterCa, issueNodeTls, CLUSTER_SERVER_NAME, type ClusterTls, type ClusterCa } from './cluster-tls.js';
export { raftTiming, type RaftTiming } from './timing.js';
export type { JoinRequest, JoinResponse } from './join-protocol.js';
export type { PeerStats } from './transport.js';
