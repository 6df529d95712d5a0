import { describe, expect, it } from 'vitest';
import { cubbyholeBackendFactory } from '../../src/kv/index.js';
import { Harness, MemoryStore } from './helpers.js';

describe('cubbyhole', () => {
  it('reads, writes, lists and deletes JSON maps, without lease information', async () => {
    const h = await new Harness(cubbyholeBackendFactory).init();
    expect(h.backend.type).toBe('cubbyhole');
    expect(await h.write('note', { msg: 'hi', n: 1 })).toMatchObject({ status: 204, operation: 'create' });
    expect((await h.write('note', { msg: 'again' })).operation).toBe('update');
    const r = await h.read('note');
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ msg: 'again' });
    expect(r.response?.secret).toBeUndefined();
    await h.write('dir/a', { x: 1 });
    expect((await h.list('')).data).toEqual({ keys: ['dir/', 'note'] });
    expect((await h.list('dir')).data).toEqual({ keys: ['a'] });
    expect((await h.delete('note')).status).toBe(204);
    expect((await h.read('note')).status).toBe(404);
    expect((await h.list('nothing/')).status).toBe(404);
  });

  it('refuses like Vault does (plain errors, HTTP 500) and writes nothing', async () => {
    const h = await new Harness(cubbyholeBackendFactory).init();
    const snap = h.store.snapshot();
    expect(await h.write('note', {})).toMatchObject({ status: 500, error: 'missing data fields' });
    expect(await h.write('', { a: 1 })).toMatchObject({ status: 500, error: 'missing path' });
    expect(await h.read('')).toMatchObject({ status: 500, error: 'missing path' });
    h.clientToken = '';
    expect(await h.read('note')).toMatchObject({ status: 500, error: 'client token empty' });
    expect(h.store.snapshot()).toBe(snap);
  });

  it('sees only the view it is given (the core narrows it per token)', async () => {
    const store = new MemoryStore();
    const alice = await new Harness(cubbyholeBackendFactory, { store, prefix: 'cubbyhole/alice/' }).init();
    const bob = await new Harness(cubbyholeBackendFactory, { store, prefix: 'cubbyhole/bob/' }).init();
    await alice.write('secret', { mine: true });
    expect((await bob.read('secret')).status).toBe(404);
    expect((await bob.list('')).status).toBe(404);
    expect((await alice.read('secret')).data).toEqual({ mine: true });
  });
});
