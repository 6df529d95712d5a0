// Restoring an operator snapshot into a running cluster, through the Raft log: the records
// are replicated in chunks into every node's staging table, and only a complete stream whose
// checksum verified is committed (an atomic swap into the KV table on every node). Memory
// stays bounded: at most RESTORE_WINDOW chunks are in flight while the stream is read.

import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { KvRecord, RaftCommand } from './commands.js';
import { SnapshotReader } from './snapshot-format.js';

const RESTORE_CHUNK_BYTES = 256 * 1024;
const RESTORE_WINDOW = 4;

/** `propose` proposes one command on the leader and resolves once it is applied locally. */
export async function restoreSnapshotThroughLog(input: Readable, propose: (c: RaftCommand) => Promise<void>, maxEntrySize: number): Promise<void> {
  const id = randomUUID();
  const chunkLimit = Math.min(RESTORE_CHUNK_BYTES, maxEntrySize);
  await propose({ kind: 'restore-begin', id });
  const reader = new SnapshotReader();
  const inflight = new Set<Promise<void>>();
  let batch: KvRecord[] = [];
  let bytes = 0;
  const sendBatch = async (): Promise<void> => {
    if (batch.length === 0) return;
    const p = propose({ kind: 'restore-chunk', id, records: batch });
    batch = [];
    bytes = 0;
    inflight.add(p);
    p.finally(() => inflight.delete(p)).catch(() => {});
    if (inflight.size >= RESTORE_WINDOW) await Promise.race(inflight);
  };
  try {
    for await (const chunk of input) {
      reader.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
      for (let item = reader.next(); item !== undefined; item = reader.next()) {
        // Staged records belong to a restore that was in progress when the snapshot was taken.
        if (item.type !== 'record' || item.staged) continue;
        const size = Buffer.byteLength(item.record.key) + item.record.value.length + 16;
        if (bytes + size > chunkLimit) await sendBatch();
        batch.push(item.record);
        bytes += size;
      }
    }
    reader.finish(); // throws unless the stream was complete and its checksum matched
    await sendBatch();
    await Promise.all(inflight);
    await propose({ kind: 'restore-commit', id });
  } catch (e) {
    await Promise.allSettled(inflight);
    await propose({ kind: 'restore-abort', id }).catch(() => {});
    throw e;
  }
}
