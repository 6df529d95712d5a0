import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../../src/storage/sqlite.js';
import { childOf, prefixUpperBound } from '../../src/storage/key-range.js';

let dir: string;
const open: SqliteBackend[] = [];

function openStore(path = ':memory:'): SqliteBackend {
  const s = SqliteBackend.open({ path });
  open.push(s);
  return s;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-sqlite-'));
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const b = (s: string): Buffer => Buffer.from(s);

describe('key-range helpers', () => {
  it('upper bound of a prefix is just past every key that starts with it', () => {
    expect(prefixUpperBound('a/')).toBe('a0');
    expect(prefixUpperBound('')).toBeUndefined();
    expect(prefixUpperBound('a\u{10ffff}')).toBe('b');
    expect(prefixUpperBound('\u{10ffff}')).toBeUndefined();
    expect(prefixUpperBound('x\ud7ff')).toBe('x\ue000');
    expect(prefixUpperBound('x\uffff')).toBe('x\u{10000}');
  });

  it('childOf splits leaf and folder names', () => {
    expect(childOf('a/', 'a/b')).toEqual({ name: 'b', folder: false });
    expect(childOf('a/', 'a/b/c/d')).toEqual({ name: 'b/', folder: true });
    expect(childOf('', 'x/')).toEqual({ name: 'x/', folder: true });
  });
});

describe('SqliteBackend', () => {
  it('get/put/delete round-trip bytes, including empty and binary values', async () => {
    const s = openStore();
    expect(await s.get('missing')).toBeUndefined();
    await s.put('k', b('v1'));
    expect((await s.get('k'))?.toString()).toBe('v1');
    await s.put('k', b('v2'));
    expect((await s.get('k'))?.toString()).toBe('v2');
    const bin = Buffer.from([0, 255, 1, 0, 128]);
    await s.put('bin', bin);
    expect((await s.get('bin'))?.equals(bin)).toBe(true);
    await s.put('empty', Buffer.alloc(0));
    const empty = await s.get('empty');
    expect(Buffer.isBuffer(empty) && empty.length === 0).toBe(true);
    await s.delete('k');
    expect(await s.get('k')).toBeUndefined();
    await s.delete('never-there'); // deleting a missing key is not an error
  });

  it('rejects invalid writes without touching storage', async () => {
    const s = openStore();
    await expect(s.put('', b('x'))).rejects.toThrow(/non-empty/);
    await expect(s.put('k', 'str' as unknown as Buffer)).rejects.toThrow(/must be a Buffer/);
    await expect(s.txn([{ op: 'put', key: 'ok', value: b('1') }, { op: 'bogus', key: 'x' } as never])).rejects.toThrow(
      /unknown storage operation/,
    );
    expect(await s.get('ok')).toBeUndefined();
  });

  it('list returns sorted, deduplicated immediate children with folders', async () => {
    const s = openStore();
    const keys = [
      'a/b', 'a/bc', 'a/b/c', 'a/b/d/e', 'a/c', 'a/d/', 'a-b', 'a', 'ab', 'b/x', 'a/b/c/d/e/f', 'a/\u00e9', 'a/\u{1f600}', 'a/z',
    ];
    await Promise.all(keys.map((k) => s.put(k, b(k))));
    expect(await s.list('')).toEqual(['a', 'a-b', 'a/', 'ab', 'b/']);
    // 'a/b' leaf and 'a/b/' folder both appear; 'a/bc' is a sibling, not under 'a/b/'.
    expect(await s.list('a/')).toEqual(['b', 'b/', 'bc', 'c', 'd/', 'z', '\u00e9', '\u{1f600}']);
    expect(await s.list('a/b/')).toEqual(['c', 'c/', 'd/']);
    expect(await s.list('a/b/d/')).toEqual(['e']);
    expect(await s.list('a/d/')).toEqual([]); // only the key equal to the prefix itself
    expect(await s.list('nothing/')).toEqual([]);
    expect(await s.list('a/bc/')).toEqual([]);
    // A prefix that does not end in '/' still lists what starts with it.
    expect(await s.list('a/b')).toEqual(['/', 'c']);
  });

  it('list skips over large sub-folders and stays correct with many keys', async () => {
    const s = openStore();
    const ops = [];
    for (let f = 0; f < 20; f++) {
      for (let i = 0; i < 500; i++) ops.push({ op: 'put' as const, key: `big/f${String(f).padStart(2, '0')}/deep/${i}`, value: b('x') });
      ops.push({ op: 'put' as const, key: `big/leaf${f}`, value: b('y') });
    }
    await s.txn(ops);
    const rowsBefore = s.stats().listRowsRead;
    const got = await s.list('big/');
    // One row per child: the 500 keys inside each sub-folder are jumped over, not read.
    expect(s.stats().listRowsRead - rowsBefore).toBe(40);
    expect(got).toHaveLength(40);
    expect(got.slice(0, 3)).toEqual(['f00/', 'f01/', 'f02/']);
    expect(got).toEqual([...got].sort());
    expect(await s.list('big/f07/deep/')).toHaveLength(500);
  });

  it('txn applies all ops atomically, in order', async () => {
    const s = openStore();
    await s.put('t/old', b('1'));
    await s.txn([
      { op: 'put', key: 't/a', value: b('1') },
      { op: 'put', key: 't/a', value: b('2') },
      { op: 'delete', key: 't/old' },
      { op: 'put', key: 't/b', value: b('3') },
    ]);
    expect((await s.get('t/a'))?.toString()).toBe('2');
    expect(await s.get('t/old')).toBeUndefined();
    expect(await s.list('t/')).toEqual(['a', 'b']);
    await s.txn([]);
  });

  it('a failing op rolls back its whole txn but not the other writes in the batch', async () => {
    const path = join(dir, 'abort.db');
    const s = openStore(path);
    await s.put('t/keep', b('0'));
    const side = new Database(path);
    side.exec("CREATE TRIGGER boom BEFORE INSERT ON kv WHEN NEW.key = 't/boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
    side.close();

    const before = s.stats().commits;
    const results = await Promise.allSettled([
      s.put('t/x', b('x')),
      s.txn([
        { op: 'put', key: 't/a', value: b('a') },
        { op: 'delete', key: 't/keep' },
        { op: 'put', key: 't/boom', value: b('!') },
      ]),
      s.put('t/y', b('y')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/boom refused/);
    expect(s.stats().commits).toBe(before + 1); // all three were one batch
    expect(await s.get('t/a')).toBeUndefined();
    expect((await s.get('t/keep'))?.toString()).toBe('0');
    expect(await s.list('t/')).toEqual(['keep', 'x', 'y']);
  });

  it('when SQLite rolls back the whole transaction every write in the batch rejects', async () => {
    const path = join(dir, 'rollback.db');
    const s = openStore(path);
    const side = new Database(path);
    side.exec("CREATE TRIGGER doom BEFORE INSERT ON kv WHEN NEW.key = 'doom' BEGIN SELECT RAISE(ROLLBACK, 'doomed'); END");
    side.close();
    const results = await Promise.allSettled([s.put('p/1', b('1')), s.put('doom', b('!')), s.put('p/2', b('2'))]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/batch of 3 writes lost.*doomed/);
    expect(await s.list('p/')).toEqual([]);
    await s.put('p/3', b('3')); // the store keeps working afterwards
    expect(await s.list('p/')).toEqual(['3']);
  });

  it('group commit: concurrent puts share commits and are all visible once acknowledged', async () => {
    const s = openStore(join(dir, 'group.db'));
    const n = 500;
    const before = s.stats();
    await Promise.all(Array.from({ length: n }, (_, i) => s.put(`g/${i}`, b(String(i)))));
    const after = s.stats();
    expect(after.writes - before.writes).toBe(n);
    expect(after.commits - before.commits).toBeLessThan(n);
    expect(after.commits - before.commits).toBeGreaterThanOrEqual(1);
    expect(after.maxBatch).toBeGreaterThan(1);
    for (let i = 0; i < n; i += 37) expect((await s.get(`g/${i}`))?.toString()).toBe(String(i));
    expect(await s.list('g/')).toHaveLength(n);
  });

  it('a put followed by a delete in the same batch applies in order', async () => {
    const s = openStore();
    await Promise.all([s.put('o/k', b('1')), s.delete('o/k'), s.put('o/j', b('1')), s.put('o/j', b('2'))]);
    expect(await s.get('o/k')).toBeUndefined();
    expect((await s.get('o/j'))?.toString()).toBe('2');
  });

  it('persists across close and reopen of a file database, flushing queued writes on close', async () => {
    const path = join(dir, 'persist.db');
    const s1 = SqliteBackend.open({ path });
    await s1.put('p/a', b('A'));
    const queued = s1.txn([{ op: 'put', key: 'p/b', value: b('B') }]);
    await s1.close();
    await queued;
    await expect(s1.get('p/a')).rejects.toThrow(/closed/);
    await expect(s1.put('p/c', b('C'))).rejects.toThrow(/closed/);

    const s2 = openStore(path);
    expect((await s2.get('p/a'))?.toString()).toBe('A');
    expect((await s2.get('p/b'))?.toString()).toBe('B');
    const side = new Database(path, { readonly: true });
    expect(side.pragma('journal_mode', { simple: true })).toBe('wal');
    side.close();
  });

  it('every acknowledged write survives kill -9 of the writing process', async () => {
    const path = join(dir, 'kill.db');
    const script = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let partial = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop()!; // an unterminated line was not fully printed: do not count it
        acked.push(...lines);
        if (acked.length >= 2000 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`writer exited before being killed: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const s = openStore(path);
    const missing: string[] = [];
    for (const key of acked) {
      const v = await s.get(key);
      if (v?.toString() !== key) missing.push(key);
    }
    expect(missing).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(2000);
  });
});
