// Plain data shared by the Raft core, its storage, the codec and drivers.
// Modelled on etcd's raftpb, expressed as TypeScript values (no protobuf).

/** Node ids are positive safe integers; 0 means "nobody". */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = 'EntryNormal' | 'EntryConfChange';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

export type StateType = 'StateFollower' | 'StateCandidate' | 'StateLeader' | 'StatePreCandidate';

export type MessageType =
  // local messages: generated and consumed inside one node, never sent on the wire
  | 'MsgHup'
  | 'MsgBeat'
  | 'MsgCheckQuorum'
  | 'MsgUnreachable'
  // messages that travel between nodes
  | 'MsgProp'
  | 'MsgApp'
  | 'MsgAppResp'
  | 'MsgVote'
  | 'MsgVoteResp'
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  | 'MsgSnap'
  | 'MsgSnapResp'
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  | 'MsgTransferLeader'
  | 'MsgTimeoutNow'
  | 'MsgReadIndex'
  | 'MsgReadIndexResp';

export const LOCAL_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'MsgHup',
  'MsgBeat',
  'MsgCheckQuorum',
  'MsgUnreachable',
]);

export const RESPONSE_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'MsgAppResp',
  'MsgVoteResp',
  'MsgPreVoteResp',
  'MsgHeartbeatResp',
  'MsgSnapResp',
  'MsgUnreachable',
]);

/** Membership: voters and learners (non-voting members), both sorted ascending. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

/** One server at a time: add a voter (or promote a learner), add a learner (or demote), remove. */
export type ConfChangeType = 'AddNode' | 'AddLearnerNode' | 'RemoveNode';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque to raft; drivers use it e.g. for the new member's address. */
  readonly context: Uint8Array;
}

export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

export interface SoftState {
  readonly lead: NodeId;
  readonly state: StateType;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/**
 * A piece of a snapshot on the wire (InstallSnapshot, chunked). MsgSnap carries
 * data starting at `offset`; `done` marks the last piece. MsgSnapResp reuses the
 * shape with empty data: `offset` is how many bytes the follower holds so far,
 * i.e. where the leader should continue.
 */
export interface SnapshotChunk {
  readonly metadata: SnapshotMetadata;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

export interface Message {
  readonly type: MessageType;
  readonly to: NodeId;
  readonly from: NodeId;
  readonly term: number;
  /** Term of the entry at `index` (MsgApp: the entry preceding `entries`; votes: candidate's last entry). */
  readonly logTerm: number;
  /**
   * A log index (MsgApp: the entry preceding `entries`; MsgAppResp: the last index
   * acknowledged or the rejected one; votes: candidate's last index; MsgReadIndexResp:
   * the read index). MsgHeartbeat/MsgHeartbeatResp: the leader's tick count, echoed
   * back so acknowledgements date the leader lease.
   */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** MsgAppResp rejections: the follower's guess at the highest index where logs may match. */
  readonly rejectHint: number;
  readonly snapshot?: SnapshotChunk;
  /** Read-index request context, campaign-transfer marker. */
  readonly context?: Uint8Array;
}

const EMPTY_BYTES = new Uint8Array(0);

/** Builds a message with every unspecified field at its zero value (one fixed object shape). */
export function makeMessage(f: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    type: f.type,
    to: f.to ?? NONE,
    from: f.from ?? NONE,
    term: f.term ?? 0,
    logTerm: f.logTerm ?? 0,
    index: f.index ?? 0,
    entries: f.entries ?? NO_ENTRIES,
    commit: f.commit ?? 0,
    reject: f.reject ?? false,
    rejectHint: f.rejectHint ?? 0,
    snapshot: f.snapshot,
    context: f.context,
  };
}

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

export function emptyBytes(): Uint8Array {
  return EMPTY_BYTES;
}

export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export function voteResponseType(t: MessageType): MessageType {
  switch (t) {
    case 'MsgVote':
      return 'MsgVoteResp';
    case 'MsgPreVote':
      return 'MsgPreVoteResp';
    default:
      throw new Error(`not a vote message: ${t}`);
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A string key for a byte string (read contexts are small). */
export function bytesKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Size used for batching limits: payload plus a fixed per-entry overhead. */
export const ENTRY_OVERHEAD_BYTES = 16;

export function entrySize(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}

/** Payload bytes only: what in-flight byte limits and the uncommitted-size quota count. */
export function payloadSize(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.length;
  return n;
}

/**
 * The longest prefix of `entries` whose total size is ≤ maxSize, but always at least
 * one entry (so a single huge entry can still make progress).
 */
export function limitSize(entries: Entry[], maxSize: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySize(entries[0]!);
  let n = 1;
  for (; n < entries.length; n++) {
    size += entrySize(entries[n]!);
    if (size > maxSize) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}
