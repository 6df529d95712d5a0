// Operator snapshots: streamed save, streamed restore through the log (checksum-verified,
// all-or-nothing), onto a fresh single node and onto a 3-node cluster.

import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { NotLeaderError, SnapshotFormatError } from '../../../src/storage/raft/errors.js';
import { freePort, leaderOf, openNode, removeDir, startCluster, stopNodes, tempDir, type TestNode, waitFor } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s);
let toStop: TestNode[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await stopNodes(toStop);
  toStop = [];
  for (const d of dirs.splice(0)) removeDir(d);
});

async function singleNode(nodeId: string): Promise<TestNode> {
  const n = await openNode(nodeId, tempDir(), `127.0.0.1:${await freePort()}`);
  toStop.push(n);
  await n.backend.bootstrap();
  return n;
}

/** Saves a snapshot of `n` to a file; returns the path and how many chunks the stream produced. */
async function saveToFile(n: TestNode): Promise<{ file: string; chunks: number }> {
  const dir = tempDir('coffer-snap-');
  dirs.push(dir);
  const file = join(dir, 'snap.bin');
  let chunks = 0;
  const stream = n.backend.snapshotSave();
  stream.on('data', () => chunks++);
  await pipeline(stream, createWriteStream(file));
  return { file, chunks };
}

async function fill(n: TestNode, count: number): Promise<void> {
  const big = Buffer.alloc(4096, 7);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < count; i++) writes.push(n.backend.put(`data/${String(i).padStart(5, '0')}`, i % 10 === 0 ? big : b(`v${i}`)));
  await Promise.all(writes);
}

describe('raft snapshots', () => {
  it('saves as a stream and restores onto a fresh single node, replacing its data', async () => {
    const src = await singleNode('src');
    await fill(src, 3000);
    await src.backend.put('other/x', b('y'));
    const { file, chunks } = await saveToFile(src);
    expect(chunks).toBeGreaterThan(3); // streamed in pages, not one buffer

    const dst = await singleNode('dst');
    await dst.backend.put('stale', b('gone after restore'));
    await dst.backend.snapshotRestore(createReadStream(file, { highWaterMark: 16 * 1024 }));

    expect(await dst.backend.get('stale')).toBeUndefined();
    expect((await dst.backend.get('data/00001'))?.toString()).toBe('v1');
    expect((await dst.backend.get('data/00010'))?.length).toBe(4096);
    expect(await dst.backend.list('')).toEqual(['data/', 'other/']);
    expect((await dst.backend.list('data/')).length).toBe(3000);
    // Membership is the restoring cluster's, not the snapshot's.
    expect(dst.backend.configuration().servers.map((s) => s.node_id)).toEqual(['dst']);
    // And it survives a restart (the restore went through the log into raft.db).
    await dst.backend.close();
    const again = await openNode('dst', dst.dir, dst.addr);
    toStop.push(again);
    expect((await again.backend.get('data/02999'))?.toString()).toBe('v2999');
  });

  it('rejects a corrupted or truncated snapshot and leaves the data untouched', async () => {
    const src = await singleNode('src2');
    await fill(src, 200);
    const { file } = await saveToFile(src);
    const bytes = readFileSync(file);

    const dst = await singleNode('dst2');
    await dst.backend.put('keep', b('me'));

    const flipped = Buffer.from(bytes);
    const mid = Math.floor(flipped.length / 2);
    flipped[mid] = flipped[mid]! ^ 0xff;
    const corruptFile = `${file}.corrupt`;
    writeFileSync(corruptFile, flipped);
    await expect(dst.backend.snapshotRestore(createReadStream(corruptFile))).rejects.toBeInstanceOf(SnapshotFormatError);
    await expect(dst.backend.snapshotRestore(Readable.from([bytes.subarray(0, bytes.length - 40)]))).rejects.toBeInstanceOf(SnapshotFormatError);
    await expect(dst.backend.snapshotRestore(Readable.from([b('not a snapshot at all')]))).rejects.toBeInstanceOf(SnapshotFormatError);

    expect((await dst.backend.get('keep'))?.toString()).toBe('me');
    expect(await dst.backend.list('data/')).toEqual([]);
  });

  it('restores onto a 3-node cluster through the leader, and every node ends with the snapshot', async () => {
    const src = await singleNode('src3');
    await fill(src, 500);
    const { file } = await saveToFile(src);

    const nodes = await startCluster(3);
    toStop.push(...nodes);
    const leader = await leaderOf(nodes);
    const follower = nodes.find((n) => n !== leader)!;
    await leader.backend.put('old', b('x'));
    await expect(follower.backend.snapshotRestore(createReadStream(file))).rejects.toBeInstanceOf(NotLeaderError);

    await leader.backend.snapshotRestore(createReadStream(file));
    for (const n of nodes) {
      await waitFor('the restore on every node', async () => (await n.backend.get('old')) === undefined && (await n.backend.list('data/')).length === 500);
    }
    // Writes after the restore go on top of it.
    await leader.backend.put('data/new', b('after'));
    await follower.backend.linearizableBarrier();
    expect((await follower.backend.get('data/new'))?.toString()).toBe('after');
  });
});
