// Small named values (hard state, log start, applied position, membership) in one table
// of raft.db, written inside the same transactions as the log and the KV state.

import type Database from 'better-sqlite3';

export class MetaTable {
  private readonly getStmt: Database.Statement<[string], Buffer>;
  private readonly setStmt: Database.Statement<[string, Buffer]>;
  private readonly delStmt: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID');
    this.getStmt = db.prepare<[string], Buffer>('SELECT value FROM meta WHERE key = ?').pluck();
    this.setStmt = db.prepare<[string, Buffer]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.delStmt = db.prepare<[string]>('DELETE FROM meta WHERE key = ?');
  }

  get(key: string): Buffer | undefined {
    return this.getStmt.get(key);
  }

  set(key: string, value: Uint8Array): void {
    this.setStmt.run(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  getJson<T>(key: string): T | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : (JSON.parse(v.toString('utf8')) as T);
  }

  setJson(key: string, value: unknown): void {
    this.setStmt.run(key, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  delete(key: string): void {
    this.delStmt.run(key);
  }
}
