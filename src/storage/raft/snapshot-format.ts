// The byte format of a storage snapshot, used both for the snapshots Raft sends to lagging
// followers and for the operator's snapshot save/restore stream:
//
//   "CFRSNAP1"                                   magic + format version
//   u32 n, n bytes of JSON                       header (position, membership)
//   repeated: u8 tag (1 = kv, 2 = staged kv),    one record per key, in key order
//             u32 klen, key (UTF-8), u32 vlen, value
//   u8 0, 32 bytes SHA-256                       end marker and the digest of every byte before it
//
// Both the writer and the reader work record by record, so a snapshot never has to be
// held in memory as one buffer. All integers are big-endian.

import { createHash, type Hash } from 'node:crypto';
import type { ConfState } from '../../raft/types.js';
import type { KvRecord, MemberInfo } from './commands.js';
import { SnapshotFormatError } from './errors.js';

const MAGIC = Buffer.from('CFRSNAP1', 'latin1');
const TAG_END = 0;
const TAG_KV = 1;
const TAG_STAGED = 2;
const DIGEST_BYTES = 32;
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
const MAX_KEY_BYTES = 16 * 1024 * 1024;

export interface SnapshotHeader {
  /** Log position the state corresponds to. */
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
  /** Log index of the last applied membership change. */
  readonly confIndex: number;
  readonly members: readonly (readonly [number, MemberInfo])[];
  /** A restore in progress when the snapshot was taken (its staged records follow as tag 2). */
  readonly restoreId?: string;
  readonly createdAt: string;
}

export type SnapshotItem =
  | { readonly type: 'header'; readonly header: SnapshotHeader }
  | { readonly type: 'record'; readonly staged: boolean; readonly record: KvRecord };

/** Produces the snapshot byte stream piece by piece, hashing as it goes. */
export class SnapshotWriter {
  private readonly hash: Hash = createHash('sha256');
  private done = false;

  /** The magic and the header. */
  begin(header: SnapshotHeader): Buffer {
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(json.length);
    return this.emit(Buffer.concat([MAGIC, len, json]));
  }

  record(rec: KvRecord, staged = false): Buffer {
    const key = Buffer.from(rec.key, 'utf8');
    const out = Buffer.allocUnsafe(1 + 4 + key.length + 4 + rec.value.length);
    out[0] = staged ? TAG_STAGED : TAG_KV;
    out.writeUInt32BE(key.length, 1);
    key.copy(out, 5);
    out.writeUInt32BE(rec.value.length, 5 + key.length);
    rec.value.copy(out, 9 + key.length);
    return this.emit(out);
  }

  /** The end marker and the digest. */
  finish(): Buffer {
    const end = this.emit(Buffer.from([TAG_END]));
    this.done = true;
    return Buffer.concat([end, this.hash.digest()]);
  }

  private emit(b: Buffer): Buffer {
    if (this.done) throw new Error('snapshot writer already finished');
    this.hash.update(b);
    return b;
  }
}

/**
 * Parses a snapshot stream incrementally: push chunks of any size, get back the items
 * completed so far. The digest is checked when the end marker arrives; `finish()` throws
 * unless a complete, verified snapshot was read.
 */
export class SnapshotReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly hash: Hash = createHash('sha256');
  private state: 'magic' | 'header' | 'records' | 'digest' | 'done' = 'magic';
  private consumed = 0;

  /** Appends bytes; then call next() until it returns undefined. */
  feed(chunk: Buffer): void {
    if (this.pos < this.buf.length) this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    else this.buf = chunk;
    this.pos = 0;
  }

  /** The next complete item, or undefined if more bytes are needed (or the snapshot ended). */
  next(): SnapshotItem | undefined {
    for (;;) {
      const item = this.step();
      if (item !== null) return item;
    }
  }

  push(chunk: Buffer): SnapshotItem[] {
    this.feed(chunk);
    const out: SnapshotItem[] = [];
    for (let item = this.next(); item !== undefined; item = this.next()) out.push(item);
    return out;
  }

  finish(): void {
    if (this.state !== 'done') throw new SnapshotFormatError(`snapshot stream ended early (${this.consumed} bytes read, expecting ${this.state})`);
    if (this.pos < this.buf.length) throw new SnapshotFormatError(`${this.buf.length - this.pos} bytes after the end of the snapshot`);
  }

  /** One parsing step: an item, null for progress without an item, undefined when more bytes are needed. */
  private step(): SnapshotItem | null | undefined {
    const avail = this.buf.length - this.pos;
    switch (this.state) {
      case 'magic': {
        if (avail < MAGIC.length) return undefined;
        if (!this.buf.subarray(this.pos, this.pos + MAGIC.length).equals(MAGIC)) {
          throw new SnapshotFormatError('not a Coffer raft snapshot (bad magic)');
        }
        this.take(MAGIC.length);
        this.state = 'header';
        return null;
      }
      case 'header': {
        if (avail < 4) return undefined;
        const n = this.buf.readUInt32BE(this.pos);
        if (n > MAX_HEADER_BYTES) throw new SnapshotFormatError(`snapshot header of ${n} bytes is too large`);
        if (avail < 4 + n) return undefined;
        const json = this.buf.subarray(this.pos + 4, this.pos + 4 + n).toString('utf8');
        this.take(4 + n);
        this.state = 'records';
        return { type: 'header', header: parseHeader(json) };
      }
      case 'records': {
        if (avail < 1) return undefined;
        const tag = this.buf[this.pos]!;
        if (tag === TAG_END) {
          this.take(1);
          this.state = 'digest';
          return null;
        }
        if (tag !== TAG_KV && tag !== TAG_STAGED) throw new SnapshotFormatError(`unknown snapshot record tag ${tag} at byte ${this.consumed}`);
        if (avail < 5) return undefined;
        const klen = this.buf.readUInt32BE(this.pos + 1);
        if (klen > MAX_KEY_BYTES) throw new SnapshotFormatError(`snapshot key of ${klen} bytes is too large`);
        if (avail < 9 + klen) return undefined;
        const vlen = this.buf.readUInt32BE(this.pos + 5 + klen);
        if (avail < 9 + klen + vlen) return undefined;
        const key = this.buf.subarray(this.pos + 5, this.pos + 5 + klen).toString('utf8');
        // Copy: the value must not pin the (possibly large) chunk it arrived in.
        const value = Buffer.from(this.buf.subarray(this.pos + 9 + klen, this.pos + 9 + klen + vlen));
        this.take(9 + klen + vlen);
        return { type: 'record', staged: tag === TAG_STAGED, record: { key, value } };
      }
      case 'digest': {
        if (avail < DIGEST_BYTES) return undefined;
        const expected = this.buf.subarray(this.pos, this.pos + DIGEST_BYTES);
        const actual = this.hash.digest();
        this.pos += DIGEST_BYTES;
        this.consumed += DIGEST_BYTES;
        if (!actual.equals(expected)) throw new SnapshotFormatError('snapshot checksum mismatch: the stream is corrupt or truncated');
        this.state = 'done';
        return null;
      }
      case 'done':
        if (avail > 0) throw new SnapshotFormatError(`${avail} bytes after the end of the snapshot`);
        return undefined;
    }
  }

  private take(n: number): void {
    this.hash.update(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    this.consumed += n;
  }
}

function parseHeader(json: string): SnapshotHeader {
  let h: unknown;
  try {
    h = JSON.parse(json);
  } catch (e) {
    throw new SnapshotFormatError(`snapshot header is not JSON: ${(e as Error).message}`);
  }
  const o = h as Partial<SnapshotHeader>;
  const ids = (v: unknown): boolean => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) > 0);
  if (
    typeof o !== 'object' ||
    o === null ||
    !Number.isSafeInteger(o.index) ||
    !Number.isSafeInteger(o.term) ||
    !Number.isSafeInteger(o.confIndex) ||
    typeof o.confState !== 'object' ||
    !ids(o.confState?.voters) ||
    !ids(o.confState?.learners) ||
    !Array.isArray(o.members) ||
    (o.restoreId !== undefined && typeof o.restoreId !== 'string')
  ) {
    throw new SnapshotFormatError('snapshot header is missing fields or has wrong types');
  }
  return o as SnapshotHeader;
}

/** Iterates over a whole in-memory snapshot (what Raft's MsgSnap delivers), verifying it. */
export function* readSnapshotItems(data: Uint8Array): Generator<SnapshotItem> {
  const r = new SnapshotReader();
  r.feed(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  for (let item = r.next(); item !== undefined; item = r.next()) yield item;
  r.finish();
}
