// Errors the Raft storage backend hands to its callers. Each says whether the write may
// have happened, because that decides whether the server may retry or must report an
// unknown outcome.

export interface LeaderHint {
  /** The leader's node_id (string, as in sys/storage/raft/configuration), if one is known. */
  readonly leaderId?: string;
  /** The leader's cluster address (host:port), if one is known. */
  readonly leaderAddr?: string;
}

/** This node is not the leader: nothing was proposed. Forward the request to `leaderAddr`. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  readonly leaderId: string | undefined;
  readonly leaderAddr: string | undefined;

  constructor(hint: LeaderHint, what = 'write') {
    const leader = hint.leaderId !== undefined ? `leader is ${hint.leaderId} at ${hint.leaderAddr ?? 'unknown address'}` : 'no leader is known';
    super(`raft: cannot ${what} on a node that is not the leader (${leader})`);
    this.leaderId = hint.leaderId;
    this.leaderAddr = hint.leaderAddr;
  }
}

/**
 * The leader refused the proposal (leadership transfer in progress, too many uncommitted
 * bytes, a membership change already pending): nothing was written; retry shortly.
 */
export class RaftUnavailableError extends Error {
  override readonly name = 'RaftUnavailableError';
}

/**
 * Leadership changed before the proposal committed and a different entry was committed at
 * its log position: the write was definitely not applied.
 */
export class ProposalLostError extends Error {
  override readonly name = 'ProposalLostError';
}

/**
 * The write may or may not have been applied (timed out, node closed or removed, or a
 * snapshot replaced the log position before it could be matched).
 */
export class ProposalOutcomeUnknownError extends Error {
  override readonly name = 'ProposalOutcomeUnknownError';
}

/** A single write is larger than `max_entry_size`. */
export class EntryTooLargeError extends Error {
  override readonly name = 'EntryTooLargeError';
}

/** The backend was closed, or stopped after a fatal error (see `cause`). */
export class RaftClosedError extends Error {
  override readonly name = 'RaftClosedError';
}

/** A snapshot stream is malformed or its checksum does not match. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
}
