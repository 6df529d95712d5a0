import { describe, expect, it } from 'vitest';
import type { SnapshotChunk, SnapshotMetadata } from '../../src/raft/index.js';
import { SnapshotReceiver } from '../../src/raft/snapshot-receiver.js';

const meta = (index: number): SnapshotMetadata => ({ index, term: 2, confState: { voters: [1, 2, 3], learners: [] } });
const chunk = (index: number, offset: number, data: string, done = false): SnapshotChunk => ({
  metadata: meta(index),
  offset,
  data: new TextEncoder().encode(data),
  done,
});
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('SnapshotReceiver', () => {
  it('assembles in-order chunks and acknowledges each with the bytes held', () => {
    const r = new SnapshotReceiver();
    expect(r.receive(1, chunk(9, 0, 'abc'))).toEqual({ kind: 'ack', offset: 3 });
    expect(r.receive(1, chunk(9, 3, 'de'))).toEqual({ kind: 'ack', offset: 5 });
    const done = r.receive(1, chunk(9, 5, 'f', true));
    expect(done.kind).toBe('complete');
    if (done.kind === 'complete') {
      expect(text(done.snapshot.data)).toBe('abcdef');
      expect(done.snapshot.metadata).toEqual(meta(9));
    }
  });

  it('ignores duplicates and gaps, pointing the leader at the next byte it needs', () => {
    const r = new SnapshotReceiver();
    r.receive(1, chunk(9, 0, 'abc'));
    expect(r.receive(1, chunk(9, 0, 'abc'))).toEqual({ kind: 'ack', offset: 3 }); // duplicate first chunk
    expect(r.receive(1, chunk(9, 6, 'gh'))).toEqual({ kind: 'ack', offset: 3 }); // gap
    const done = r.receive(1, chunk(9, 3, 'def', true));
    expect(done.kind === 'complete' && text(done.snapshot.data)).toBe('abcdef');
  });

  it('starts over for a different snapshot or leader, and after a reset', () => {
    const r = new SnapshotReceiver();
    r.receive(1, chunk(9, 0, 'abc'));
    expect(r.receive(1, chunk(12, 3, 'xyz'))).toEqual({ kind: 'ack', offset: 0 }); // newer snapshot, mid-stream
    expect(r.receive(2, chunk(9, 3, 'def'))).toEqual({ kind: 'ack', offset: 0 }); // another leader
    r.receive(1, chunk(9, 0, 'abc'));
    r.reset();
    expect(r.receive(1, chunk(9, 3, 'def'))).toEqual({ kind: 'ack', offset: 0 });
  });

  it('handles an empty snapshot in a single chunk', () => {
    const r = new SnapshotReceiver();
    const done = r.receive(1, chunk(9, 0, '', true));
    expect(done.kind === 'complete' && done.snapshot.data.length).toBe(0);
  });
});
