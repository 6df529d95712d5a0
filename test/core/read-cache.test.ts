import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../src/core/read-cache.js';
import type { KeyValueStore } from '../../src/core/storage-view.js';
import type { TxnOp } from '../../src/storage/physical.js';

/** An in-memory store whose operations can be held open to create races. */
class SlowStore implements KeyValueStore {
  data = new Map<string, Buffer>();
  gets = 0;
  gate: Promise<void> | undefined;
  async get(k: string) {
    this.gets++;
    const v = this.data.get(k);
    await this.gate;
    return v;
  }
  async put(k: string, v: Buffer) {
    await this.gate;
    this.data.set(k, v);
  }
  async delete(k: string) {
    await this.gate;
    this.data.delete(k);
  }
  async list() {
    return [];
  }
  async txn(ops: TxnOp[]) {
    await this.gate;
    for (const op of ops) if (op.op === 'put') this.data.set(op.key, op.value);
    else this.data.delete(op.key);
  }
}

describe('ReadCache', () => {
  it('serves repeated reads from memory and hands out copies', async () => {
    const inner = new SlowStore();
    inner.data.set('a', Buffer.from('one'));
    const c = new ReadCache(inner);
    const first = (await c.get('a'))!;
    first.write('XXX');
    expect((await c.get('a'))!.toString()).toBe('one');
    expect(inner.gets).toBe(1);
  });

  it('never keeps a value a write replaced, even when a read overlaps the write', async () => {
    const inner = new SlowStore();
    inner.data.set('k', Buffer.from('old'));
    const c = new ReadCache(inner);
    let release!: () => void;
    inner.gate = new Promise((r) => (release = r));
    const read = c.get('k'); // reads "old", held open
    const write = c.put('k', Buffer.from('new'));
    release();
    inner.gate = undefined;
    expect((await read)!.toString()).toBe('old');
    await write;
    expect((await c.get('k'))!.toString()).toBe('new');
  });

  it('does not cache the pre-commit value read while a write is in flight', async () => {
    const inner = new SlowStore();
    inner.data.set('k', Buffer.from('old'));
    const c = new ReadCache(inner);
    let release!: () => void;
    inner.gate = new Promise((r) => (release = r));
    const write = c.put('k', Buffer.from('new')); // invalidated, commit held open
    const read = c.get('k'); // starts after the invalidation, sees the old value
    release();
    inner.gate = undefined;
    await write;
    expect((await read)!.toString()).toBe('old');
    expect((await c.get('k'))!.toString()).toBe('new');
  });

  it('invalidates on delete and txn, and clear() empties it', async () => {
    const inner = new SlowStore();
    inner.data.set('a', Buffer.from('1'));
    inner.data.set('b', Buffer.from('2'));
    const c = new ReadCache(inner);
    await c.get('a');
    await c.get('b');
    await c.delete('a');
    expect(await c.get('a')).toBeUndefined();
    await c.txn([{ op: 'put', key: 'b', value: Buffer.from('3') }]);
    expect((await c.get('b'))!.toString()).toBe('3');
    c.clear();
    expect(c.size).toBe(0);
  });

  it('evicts the least recently used entry past its bounds', async () => {
    const inner = new SlowStore();
    for (const k of ['a', 'b', 'c']) inner.data.set(k, Buffer.from(k));
    const c = new ReadCache(inner, { maxEntries: 2 });
    await c.get('a');
    await c.get('b');
    await c.get('a'); // a is now most recent
    await c.get('c'); // evicts b
    const before = inner.gets;
    await c.get('a');
    expect(inner.gets).toBe(before);
    await c.get('b');
    expect(inner.gets).toBe(before + 1);
  });

  describe('shared parsed JSON', () => {
    const j = (v: unknown) => Buffer.from(JSON.stringify(v));

    it('parses once, shares a deep-frozen value, and skips the store on repeat', async () => {
      const inner = new SlowStore();
      inner.data.set('m', j({ a: { b: [1, 2] } }));
      const c = new ReadCache(inner);
      const first = (await c.getSharedJson('m')) as { a: { b: number[] } };
      expect(first).toEqual({ a: { b: [1, 2] } });
      const gets = inner.gets;
      const second = await c.getSharedJson('m');
      expect(second).toBe(first);
      expect(inner.gets).toBe(gets);
      expect(Object.isFrozen(first.a.b)).toBe(true);
      expect(() => first.a.b.push(3)).toThrow(TypeError);
      // Buffer readers still get their own copies of the bytes.
      expect(JSON.parse((await c.get('m'))!.toString())).toEqual({ a: { b: [1, 2] } });
    });

    it('never serves a parsed value that a write, delete, txn, eviction or seal replaced', async () => {
      const inner = new SlowStore();
      inner.data.set('k', j({ v: 1 }));
      inner.data.set('x', j({ v: 'x' }));
      const c = new ReadCache(inner, { maxEntries: 1 });
      expect(await c.getSharedJson('k')).toEqual({ v: 1 });
      await c.put('k', j({ v: 2 }));
      expect(await c.getSharedJson('k')).toEqual({ v: 2 });
      await c.txn([{ op: 'put', key: 'k', value: j({ v: 3 }) }]);
      expect(await c.getSharedJson('k')).toEqual({ v: 3 });
      await c.getSharedJson('x'); // evicts k (maxEntries 1)
      inner.data.set('k', j({ v: 4 })); // changed underneath: only visible if k was really evicted
      expect(await c.getSharedJson('k')).toEqual({ v: 4 });
      await c.delete('k');
      expect(await c.getSharedJson('k')).toBeUndefined();
      inner.data.set('k', j({ v: 5 }));
      await c.getSharedJson('k');
      c.clear();
      inner.data.set('k', j({ v: 6 }));
      expect(await c.getSharedJson('k')).toEqual({ v: 6 });
    });

    it('does not keep a value read while a write was in flight', async () => {
      const inner = new SlowStore();
      inner.data.set('k', j({ v: 'old' }));
      const c = new ReadCache(inner);
      let release!: () => void;
      inner.gate = new Promise((r) => (release = r));
      const write = c.put('k', j({ v: 'new' }));
      const read = c.getSharedJson('k');
      release();
      inner.gate = undefined;
      await write;
      expect(await read).toEqual({ v: 'old' });
      expect(await c.getSharedJson('k')).toEqual({ v: 'new' });
    });
  });
});
