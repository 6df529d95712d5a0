// Errors raised by the Raft core and its storage.

/** A Raft safety invariant was about to be broken: the node must stop, not limp on. */
export class RaftInvariantError extends Error {
  override readonly name = 'RaftInvariantError';
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(message());
}

/**
 * A proposal was not appended (no leader, transfer in progress, conf change pending, ...).
 * An expected outcome, like etcd's ErrProposalDropped sentinel: no stack trace is
 * captured, because busy clients hit it often during elections.
 */
export class ProposalDroppedError extends Error {
  override readonly name = 'ProposalDroppedError';
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** The requested index is older than the storage's first index (it was compacted away). */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
}

/** The requested index is newer than the storage's last index. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}

/** The storage cannot produce a snapshot right now; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends Error {
  override readonly name = 'SnapshotTemporarilyUnavailableError';
}

/** The caller used the API wrongly (e.g. stepped a local message, forgot advance()). */
export class RaftUsageError extends Error {
  override readonly name = 'RaftUsageError';
}
