// Compact binary encoding of Raft messages, entries and persisted state, for the
// transport and the log store. Integers are unsigned LEB128 varints (safe up to
// 2^53); byte strings are length-prefixed. Every top-level record starts with a
// format version byte so the layout can evolve.

import type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  Snapshot,
  SnapshotChunk,
  SnapshotMetadata,
} from './types.js';

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const FORMAT_VERSION = 1;

const MESSAGE_TYPES: readonly MessageType[] = [
  'MsgHup',
  'MsgBeat',
  'MsgCheckQuorum',
  'MsgUnreachable',
  'MsgProp',
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgSnap',
  'MsgSnapResp',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgTransferLeader',
  'MsgTimeoutNow',
  'MsgReadIndex',
  'MsgReadIndexResp',
];
const MESSAGE_TYPE_CODES = new Map(MESSAGE_TYPES.map((t, i) => [t, i]));

const ENTRY_TYPES: readonly EntryType[] = ['EntryNormal', 'EntryConfChange'];
const ENTRY_TYPE_CODES = new Map(ENTRY_TYPES.map((t, i) => [t, i]));

const CONF_CHANGE_TYPES: readonly ConfChangeType[] = ['AddNode', 'AddLearnerNode', 'RemoveNode'];
const CONF_CHANGE_TYPE_CODES = new Map(CONF_CHANGE_TYPES.map((t, i) => [t, i]));

export class Writer {
  private buf = new Uint8Array(64);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(n: number): void {
    this.ensure(1);
    this.buf[this.pos++] = n;
  }

  uvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new CodecError(`cannot encode ${n}: not a non-negative safe integer`);
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class Reader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  private fail(reason: string): never {
    throw new CodecError(`malformed ${this.what} at byte ${this.pos}: ${reason}`);
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('truncated');
    return this.buf[this.pos++]!;
  }

  uvarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) this.fail('integer beyond 2^53');
        return result;
      }
      scale *= 0x80;
    }
    this.fail('varint too long');
  }

  bytes(): Uint8Array {
    const n = this.uvarint();
    if (this.pos + n > this.buf.length) this.fail(`byte string of ${n} runs past the end`);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) this.fail(`invalid boolean ${b}`);
    return b === 1;
  }

  enumOf<T>(values: readonly T[], kind: string): T {
    const code = this.uvarint();
    const v = values[code];
    if (v === undefined) this.fail(`unknown ${kind} code ${code}`);
    return v;
  }

  version(): void {
    const v = this.u8();
    if (v !== FORMAT_VERSION) this.fail(`unsupported format version ${v}`);
  }

  end(): void {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} trailing bytes`);
  }
}

function writeEntry(w: Writer, e: Entry): void {
  w.uvarint(e.term);
  w.uvarint(e.index);
  w.uvarint(ENTRY_TYPE_CODES.get(e.type)!);
  w.bytes(e.data);
}

function readEntry(r: Reader): Entry {
  const term = r.uvarint();
  const index = r.uvarint();
  const type = r.enumOf(ENTRY_TYPES, 'entry type');
  const data = r.bytes();
  return { term, index, type, data };
}

function writeIds(w: Writer, ids: readonly number[]): void {
  w.uvarint(ids.length);
  for (const id of ids) w.uvarint(id);
}

function readIds(r: Reader): number[] {
  const n = r.uvarint();
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(r.uvarint());
  return ids;
}

function writeConfState(w: Writer, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
}

function readConfState(r: Reader): ConfState {
  const voters = readIds(r);
  const learners = readIds(r);
  return { voters, learners };
}

function writeMetadata(w: Writer, m: SnapshotMetadata): void {
  w.uvarint(m.index);
  w.uvarint(m.term);
  writeConfState(w, m.confState);
}

function readMetadata(r: Reader): SnapshotMetadata {
  const index = r.uvarint();
  const term = r.uvarint();
  const confState = readConfState(r);
  return { index, term, confState };
}

const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;
const FLAG_CONTEXT = 4;
const FLAG_SNAPSHOT_DONE = 8;

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  w.uvarint(MESSAGE_TYPE_CODES.get(m.type)!);
  let flags = 0;
  if (m.reject) flags |= FLAG_REJECT;
  if (m.snapshot) flags |= FLAG_SNAPSHOT;
  if (m.context) flags |= FLAG_CONTEXT;
  if (m.snapshot?.done) flags |= FLAG_SNAPSHOT_DONE;
  w.u8(flags);
  w.uvarint(m.to);
  w.uvarint(m.from);
  w.uvarint(m.term);
  w.uvarint(m.logTerm);
  w.uvarint(m.index);
  w.uvarint(m.commit);
  w.uvarint(m.rejectHint);
  w.uvarint(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  if (m.snapshot) {
    writeMetadata(w, m.snapshot.metadata);
    w.uvarint(m.snapshot.offset);
    w.bytes(m.snapshot.data);
  }
  if (m.context) w.bytes(m.context);
  return w.finish();
}

export function decodeMessage(buf: Uint8Array): Message {
  const r = new Reader(buf, 'raft message');
  r.version();
  const type = r.enumOf(MESSAGE_TYPES, 'message type');
  const flags = r.u8();
  if (flags > 15) throw new CodecError(`malformed raft message: unknown flags ${flags}`);
  const to = r.uvarint();
  const from = r.uvarint();
  const term = r.uvarint();
  const logTerm = r.uvarint();
  const index = r.uvarint();
  const commit = r.uvarint();
  const rejectHint = r.uvarint();
  const n = r.uvarint();
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readEntry(r));
  let snapshot: SnapshotChunk | undefined;
  if (flags & FLAG_SNAPSHOT) {
    const metadata = readMetadata(r);
    const offset = r.uvarint();
    const data = r.bytes();
    snapshot = { metadata, offset, data, done: (flags & FLAG_SNAPSHOT_DONE) !== 0 };
  }
  const context = flags & FLAG_CONTEXT ? r.bytes() : undefined;
  r.end();
  const m: Message = { type, to, from, term, logTerm, index, entries, commit, reject: (flags & FLAG_REJECT) !== 0, rejectHint };
  return { ...m, ...(snapshot ? { snapshot } : {}), ...(context ? { context } : {}) };
}

export function encodeEntry(e: Entry): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  writeEntry(w, e);
  return w.finish();
}

export function decodeEntry(buf: Uint8Array): Entry {
  const r = new Reader(buf, 'raft entry');
  r.version();
  const e = readEntry(r);
  r.end();
  return e;
}

export function encodeHardState(hs: HardState): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  w.uvarint(hs.term);
  w.uvarint(hs.vote);
  w.uvarint(hs.commit);
  return w.finish();
}

export function decodeHardState(buf: Uint8Array): HardState {
  const r = new Reader(buf, 'raft hard state');
  r.version();
  const hs = { term: r.uvarint(), vote: r.uvarint(), commit: r.uvarint() };
  r.end();
  return hs;
}

export function encodeConfState(cs: ConfState): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  writeConfState(w, cs);
  return w.finish();
}

export function decodeConfState(buf: Uint8Array): ConfState {
  const r = new Reader(buf, 'raft conf state');
  r.version();
  const cs = readConfState(r);
  r.end();
  return cs;
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  writeMetadata(w, s.metadata);
  w.bytes(s.data);
  return w.finish();
}

export function decodeSnapshot(buf: Uint8Array): Snapshot {
  const r = new Reader(buf, 'raft snapshot');
  r.version();
  const metadata = readMetadata(r);
  const data = r.bytes();
  r.end();
  return { metadata, data };
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  w.uvarint(CONF_CHANGE_TYPE_CODES.get(cc.type)!);
  w.uvarint(cc.nodeId);
  w.bytes(cc.context);
  return w.finish();
}

export function decodeConfChange(buf: Uint8Array): ConfChange {
  const r = new Reader(buf, 'raft conf change');
  r.version();
  const type = r.enumOf(CONF_CHANGE_TYPES, 'conf change type');
  const nodeId = r.uvarint();
  const context = r.bytes();
  r.end();
  return { type, nodeId, context };
}
