// Coffer's Raft consensus core: a deterministic state machine without I/O (see raw-node.ts
// for the driver contract) plus its storage interface, codec and test tooling.

export * from './types.js';
export * from './errors.js';
export { RawNode, type Ready, type Status, type ProgressStatus } from './raw-node.js';
export { Raft, type RaftConfig, type RaftLogger, SILENT_LOGGER, CAMPAIGN_TRANSFER_CONTEXT } from './raft.js';
export { type Storage, type InitialState, MemoryStorage, bootstrapStorage } from './storage.js';
export type { ReadOnlyOption } from './read-only.js';
export type { ProgressState } from './progress.js';
export { applyConfChangeToState, confChangeProblem } from './conf-change.js';
export * from './codec.js';
export * from './describe.js';
export {
  checkOperations,
  kvModel,
  type Operation,
  type Model,
  type CheckResult,
  type CheckOptions,
  type KvInput,
  type KvOutput,
} from './linearizability.js';
