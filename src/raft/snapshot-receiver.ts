// Follower side of the chunked InstallSnapshot protocol: collects the chunks of one
// snapshot from one leader, strictly in order, and hands back the whole snapshot
// when the last chunk arrives. Anything out of order is not stored; the reply tells
// the leader where to continue (0 if we hold nothing of this snapshot, e.g. after a
// restart), so lost, duplicated or reordered chunks all recover.

import type { NodeId, Snapshot, SnapshotChunk, SnapshotMetadata } from './types.js';

interface Incoming {
  readonly from: NodeId;
  readonly metadata: SnapshotMetadata;
  readonly chunks: Uint8Array[];
  received: number;
}

export type ReceiveResult = { readonly kind: 'complete'; readonly snapshot: Snapshot } | { readonly kind: 'ack'; readonly offset: number };

export class SnapshotReceiver {
  private incoming: Incoming | undefined;

  receive(from: NodeId, c: SnapshotChunk): ReceiveResult {
    let inc = this.incoming;
    const sameSnapshot =
      inc !== undefined &&
      inc.from === from &&
      inc.metadata.index === c.metadata.index &&
      inc.metadata.term === c.metadata.term;
    if (!sameSnapshot) {
      // Only the first chunk can start a (new) transfer.
      inc = undefined;
      if (c.offset === 0) {
        inc = { from, metadata: c.metadata, chunks: [], received: 0 };
        this.incoming = inc;
      }
    }
    if (inc === undefined) return { kind: 'ack', offset: 0 };
    if (c.offset !== inc.received) return { kind: 'ack', offset: inc.received };
    if (c.data.length > 0) {
      inc.chunks.push(c.data.slice());
      inc.received += c.data.length;
    }
    if (!c.done) return { kind: 'ack', offset: inc.received };
    this.incoming = undefined;
    const data = new Uint8Array(inc.received);
    let at = 0;
    for (const chunk of inc.chunks) {
      data.set(chunk, at);
      at += chunk.length;
    }
    return { kind: 'complete', snapshot: { metadata: inc.metadata, data } };
  }

  reset(): void {
    this.incoming = undefined;
  }
}
