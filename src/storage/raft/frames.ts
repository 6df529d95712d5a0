// Framing for the Raft cluster connections: u32 big-endian length (of what follows),
// u8 frame type, payload. Pure: encoding and an incremental decoder.

export const FrameType = {
  /** JSON {raft_id, node_id, address}: the dialler's identity and return address, sent first. */
  Hello: 1,
  /** A Raft message encoded with src/raft/codec.ts encodeMessage. */
  Raft: 2,
  /** JSON JoinRequest (see join-protocol.ts). */
  JoinRequest: 3,
  /** JSON JoinResponse. */
  JoinResponse: 4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const KNOWN = new Set<number>(Object.values(FrameType));

export interface Frame {
  readonly type: FrameType;
  readonly payload: Buffer;
}

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

export function encodeFrame(type: FrameType, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out.writeUInt32BE(payload.length + 1, 0);
  out[4] = type;
  out.set(payload, 5);
  return out;
}

export function encodeJsonFrame(type: FrameType, value: unknown): Buffer {
  return encodeFrame(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Splits a byte stream into frames; rejects oversized or unknown frames (the peer is broken). */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) return out;
      const head = this.peek(4);
      const len = head.readUInt32BE(0);
      if (len < 1 || len > this.maxFrameBytes) throw new FrameError(`invalid frame length ${len} (limit ${this.maxFrameBytes})`);
      if (this.buffered < 4 + len) return out;
      const whole = this.take(4 + len);
      const type = whole[4]!;
      if (!KNOWN.has(type)) throw new FrameError(`unknown frame type ${type}`);
      out.push({ type: type as FrameType, payload: whole.subarray(5) });
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
