// What the replicated log carries for the storage state machine: the payload of normal
// entries (batches of KV transactions, and the steps of a snapshot restore) and the
// context of membership changes (who the new member is). Pure encode/decode.

import { CodecError, Reader, Writer } from '../../raft/codec.js';
import type { TxnOp } from '../physical.js';

const COMMAND_VERSION = 1;

/** One record of a snapshot: a key and its value. */
export interface KvRecord {
  readonly key: string;
  readonly value: Buffer;
}

export type RaftCommand =
  /** Group commit: many callers' transactions in one entry, applied in order, each atomically. */
  | { readonly kind: 'kv'; readonly txns: readonly (readonly TxnOp[])[] }
  /** Starts a restore: clears the staging area. Later steps with another id are ignored. */
  | { readonly kind: 'restore-begin'; readonly id: string }
  | { readonly kind: 'restore-chunk'; readonly id: string; readonly records: readonly KvRecord[] }
  /** Replaces the KV state with the staged records. */
  | { readonly kind: 'restore-commit'; readonly id: string }
  | { readonly kind: 'restore-abort'; readonly id: string };

const KINDS = ['kv', 'restore-begin', 'restore-chunk', 'restore-commit', 'restore-abort'] as const;
const OP_PUT = 0;
const OP_DELETE = 1;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function writeString(w: Writer, s: string): void {
  w.bytes(utf8.encode(s));
}

function readString(r: Reader): string {
  return fromUtf8.decode(r.bytes());
}

function writeOps(w: Writer, ops: readonly TxnOp[]): void {
  w.uvarint(ops.length);
  for (const op of ops) {
    if (op.op === 'put') {
      w.u8(OP_PUT);
      writeString(w, op.key);
      w.bytes(op.value);
    } else {
      w.u8(OP_DELETE);
      writeString(w, op.key);
    }
  }
}

function readOps(r: Reader): TxnOp[] {
  const n = r.uvarint();
  const ops: TxnOp[] = [];
  for (let i = 0; i < n; i++) {
    const code = r.u8();
    const key = readString(r);
    if (code === OP_PUT) ops.push({ op: 'put', key, value: Buffer.from(r.bytes()) });
    else if (code === OP_DELETE) ops.push({ op: 'delete', key });
    else throw new CodecError(`malformed raft command: unknown op code ${code}`);
  }
  return ops;
}

export function encodeCommand(c: RaftCommand): Uint8Array {
  const w = new Writer();
  w.u8(COMMAND_VERSION);
  w.u8(KINDS.indexOf(c.kind));
  switch (c.kind) {
    case 'kv':
      w.uvarint(c.txns.length);
      for (const t of c.txns) writeOps(w, t);
      break;
    case 'restore-chunk':
      writeString(w, c.id);
      w.uvarint(c.records.length);
      for (const rec of c.records) {
        writeString(w, rec.key);
        w.bytes(rec.value);
      }
      break;
    default:
      writeString(w, c.id);
  }
  return w.finish();
}

export function decodeCommand(data: Uint8Array): RaftCommand {
  const r = new Reader(data, 'raft storage command');
  const v = r.u8();
  if (v !== COMMAND_VERSION) throw new CodecError(`malformed raft storage command: unsupported version ${v}`);
  const kind = r.enumOf(KINDS, 'command kind');
  let c: RaftCommand;
  switch (kind) {
    case 'kv': {
      const n = r.uvarint();
      const txns: TxnOp[][] = [];
      for (let i = 0; i < n; i++) txns.push(readOps(r));
      c = { kind, txns };
      break;
    }
    case 'restore-chunk': {
      const id = readString(r);
      const n = r.uvarint();
      const records: KvRecord[] = [];
      for (let i = 0; i < n; i++) records.push({ key: readString(r), value: Buffer.from(r.bytes()) });
      c = { kind, id, records };
      break;
    }
    default:
      c = { kind, id: readString(r) };
  }
  r.end();
  return c;
}

/** Upper bound of what one transaction adds to an encoded `kv` command (for max_entry_size). */
export function encodedTxnSize(ops: readonly TxnOp[]): number {
  let n = 10;
  for (const op of ops) {
    n += 1 + 10 + Buffer.byteLength(op.key, 'utf8');
    if (op.op === 'put') n += 10 + op.value.length;
  }
  return n;
}

/** Who a member is: carried in the context of the membership change that adds it. */
export interface MemberInfo {
  /** The node_id from the config (a string, as Vault shows it). */
  readonly nodeId: string;
  /** Cluster address (host:port) other nodes dial. */
  readonly address: string;
  /** Added as a learner that should be promoted to voter once caught up. */
  readonly wantsVote: boolean;
}

export function encodeMemberInfo(m: MemberInfo): Uint8Array {
  return utf8.encode(JSON.stringify({ node_id: m.nodeId, address: m.address, voter: m.wantsVote }));
}

export function decodeMemberInfo(data: Uint8Array): MemberInfo | undefined {
  if (data.length === 0) return undefined;
  const j = JSON.parse(fromUtf8.decode(data)) as { node_id?: unknown; address?: unknown; voter?: unknown };
  if (typeof j.node_id !== 'string' || typeof j.address !== 'string') {
    throw new CodecError('malformed member info: node_id and address must be strings');
  }
  return { nodeId: j.node_id, address: j.address, wantsVote: j.voter === true };
}
