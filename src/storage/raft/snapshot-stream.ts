// The operator's snapshot (sys/storage/raft/snapshot): the applied KV state streamed from
// a consistent read transaction on a second, read-only connection to raft.db. WAL gives
// that transaction a fixed view while the node keeps writing; rows are read a page at a
// time, only as fast as the consumer reads, so the store is never held in memory.

import Database from 'better-sqlite3';
import { Readable } from 'node:stream';
import type { ConfState } from '../../raft/types.js';
import type { KvRecord, MemberInfo } from './commands.js';
import { type SnapshotHeader, SnapshotWriter } from './snapshot-format.js';

const PAGE_ROWS = 512;

export function openSnapshotStream(file: string): Readable {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const writer = new SnapshotWriter();
  let lastKey: string | undefined;
  let finished = false;
  const page = db.prepare<[string, number], KvRecord>('SELECT key, value FROM kv WHERE key > ? ORDER BY key LIMIT ?');
  const firstPage = db.prepare<[number], KvRecord>('SELECT key, value FROM kv ORDER BY key LIMIT ?');
  const closeDb = (): void => {
    if (!db.open) return;
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
  };

  // The read transaction starts with the first SELECT: header and every page see one state.
  db.exec('BEGIN');
  const meta = db.prepare<[string], Buffer>('SELECT value FROM meta WHERE key = ?').pluck();
  const json = <T>(k: string, dflt: T): T => {
    const v = meta.get(k);
    return v === undefined ? dflt : (JSON.parse(v.toString('utf8')) as T);
  };
  const [index, term] = json<[number, number]>('applied', [0, 0]);
  const conf = json<{ confState: ConfState; confIndex: number; members: [number, MemberInfo][] }>('conf', {
    confState: { voters: [], learners: [] },
    confIndex: 0,
    members: [],
  });
  // A restore in progress is not part of the data: the operator snapshot has no staged rows.
  const header: SnapshotHeader = { index, term, confState: conf.confState, confIndex: conf.confIndex, members: conf.members, createdAt: new Date().toISOString() };
  let pendingHeader: Buffer | undefined = writer.begin(header);

  return new Readable({
    highWaterMark: 1024 * 1024,
    read() {
      try {
        if (pendingHeader !== undefined) {
          const h = pendingHeader;
          pendingHeader = undefined;
          this.push(h);
          return;
        }
        if (finished) return;
        const rows = lastKey === undefined ? firstPage.all(PAGE_ROWS) : page.all(lastKey, PAGE_ROWS);
        if (rows.length === 0) {
          finished = true;
          const tail = writer.finish();
          closeDb();
          this.push(tail);
          this.push(null);
          return;
        }
        lastKey = rows[rows.length - 1]!.key;
        this.push(Buffer.concat(rows.map((r) => writer.record(r))));
      } catch (e) {
        closeDb();
        this.destroy(e as Error);
      }
    },
    destroy(err, cb) {
      try {
        closeDb();
      } catch {
        // closing a read-only connection cannot lose data
      }
      cb(err);
    },
  });
}
