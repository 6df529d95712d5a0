import { describe, expect, it } from 'vitest';
import { kvBackendFactory } from '../../src/kv/index.js';
import { dig, Harness, rfc3339, T0 } from './helpers.js';

const kv2 = (): Promise<Harness> => new Harness(kvBackendFactory, { options: { version: '2' } }).init();

describe('KV v2 data/ write and read', () => {
  it('writes versions and reads the current or a given one', async () => {
    const h = await kv2();
    const w1 = await h.write('data/app/db', { data: { user: 'a', n: 1 }, options: {} });
    expect(w1.status).toBe(200);
    expect(w1.operation).toBe('create');
    expect(w1.data).toEqual({ created_time: rfc3339(T0), custom_metadata: null, deletion_time: '', destroyed: false, version: 1 });

    h.advance(1.5);
    const w2 = await h.write('data/app/db', { data: { user: 'b' } });
    expect(w2.operation).toBe('update');
    expect(dig(w2, 'version')).toBe(2);
    expect(dig(w2, 'created_time')).toBe('2024-03-01T12:00:01.5Z');

    const cur = await h.read('data/app/db');
    expect(cur.status).toBe(200);
    expect(cur.data).toEqual({
      data: { user: 'b' },
      metadata: { created_time: '2024-03-01T12:00:01.5Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 2 },
    });
    expect(dig(await h.read('data/app/db', { version: '1' }), 'data')).toEqual({ user: 'a', n: 1 });
    expect(dig(await h.read('data/app/db', { version: 0 }), 'metadata', 'version')).toBe(2);
  });

  it('answers 404 without a body for a missing key or version', async () => {
    const h = await kv2();
    expect(await h.read('data/nope')).toMatchObject({ status: 404 });
    expect((await h.read('data/nope')).data).toBeUndefined();
    await h.write('data/k', { data: { a: 1 } });
    const r = await h.read('data/k', { version: 7 });
    expect(r.status).toBe(404);
    expect(r.data).toBeUndefined();
  });

  it('stores each version in its own record so a write never rewrites older versions', async () => {
    const h = await kv2();
    await h.write('data/big', { data: { blob: 'x'.repeat(1000) } });
    const before = [...h.store.entries.entries()].filter(([k]) => k.includes('/versions/'));
    await h.write('data/big', { data: { blob: 'y' } });
    for (const [k, v] of before) expect(h.store.entries.get(k)?.equals(v)).toBe(true);
    expect([...h.store.entries.keys()].filter((k) => k.includes('/versions/'))).toHaveLength(2);
  });

  it('refuses a write without data and writes nothing', async () => {
    const h = await kv2();
    const snap = h.store.snapshot();
    expect(await h.write('data/k', { options: { cas: 0 } })).toMatchObject({ status: 400, error: 'no data provided' });
    expect(await h.write('data/k', { data: 'not a map' })).toMatchObject({ status: 400 });
    expect((await h.write('data/k', { data: 'not a map' })).error).toMatch(/^Field validation failed: .*"data"/);
    expect(await h.write('data/k', { data: { a: 1 }, options: 'x' })).toMatchObject({ status: 400 });
    expect(await h.write('data/k', { data: { a: 1 }, version: 'abc' })).toMatchObject({ status: 400 });
    expect(h.store.snapshot()).toBe(snap);
  });

  it('warns about unrecognised parameters on responses', async () => {
    const h = await kv2();
    const w = await h.write('data/k', { data: { a: 1 }, extra: true, another: 1 });
    expect(w.warnings).toEqual(['Endpoint ignored these unrecognized parameters: [another extra]']);
    expect((await h.read('data/k', { token: 'x' })).warnings).toEqual(['Endpoint ignored these unrecognized parameters: [token]']);
  });

  it('cleans paths like Vault: a//b/./c and a/b/c are the same secret', async () => {
    const h = await kv2();
    await h.write('data/a//b/./c', { data: { v: 1 } });
    expect(dig(await h.read('data/a/b/c'), 'data')).toEqual({ v: 1 });
    expect((await h.list('metadata/a/b')).data).toEqual({ keys: ['c'] });
    expect(await h.write('data/.', { data: { v: 1 } })).toMatchObject({ status: 400, error: 'missing path' });
  });
});

describe('KV v2 check-and-set', () => {
  it('cas 0 writes only when the key has no versions', async () => {
    const h = await kv2();
    expect((await h.write('data/k', { data: { a: 1 }, options: { cas: 0 } })).status).toBe(200);
    expect(await h.write('data/k', { data: { a: 2 }, options: { cas: 0 } })).toMatchObject({
      status: 400,
      error: 'check-and-set parameter did not match the current version',
    });
    expect(dig(await h.read('data/k'), 'data')).toEqual({ a: 1 });
  });

  it('cas N writes only when N is the current version; strings and numbers both work', async () => {
    const h = await kv2();
    await h.write('data/k', { data: { a: 1 } });
    await h.write('data/k', { data: { a: 2 } });
    expect((await h.write('data/k', { data: { a: 3 }, options: { cas: 1 } })).status).toBe(400);
    expect((await h.write('data/k', { data: { a: 3 }, options: { cas: '2' } })).status).toBe(200);
    expect((await h.write('data/k', { data: { a: 4 }, options: { cas: 3.0 } })).status).toBe(200);
    expect(await h.write('data/k', { data: { a: 5 }, options: { cas: 'four' } })).toMatchObject({
      status: 400,
      error: 'error parsing check-and-set parameter',
    });
    expect(await h.write('data/k', { data: { a: 5 }, options: { cas: -1 } })).toMatchObject({ status: 400 });
  });

  it('a soft-deleted key still has a version, so cas 0 fails', async () => {
    const h = await kv2();
    await h.write('data/k', { data: { a: 1 } });
    await h.delete('data/k');
    expect((await h.write('data/k', { data: { a: 2 }, options: { cas: 0 } })).error).toBe(
      'check-and-set parameter did not match the current version',
    );
    expect((await h.write('data/k', { data: { a: 2 }, options: { cas: 1 } })).status).toBe(200);
  });

  it('requires cas when the mount or the key says so', async () => {
    const h = await kv2();
    await h.write('config', { cas_required: true });
    expect(await h.write('data/k', { data: { a: 1 } })).toMatchObject({ status: 400, error: 'check-and-set parameter required for this call' });
    expect((await h.write('data/k', { data: { a: 1 }, options: { cas: 0 } })).status).toBe(200);
    await h.write('config', { cas_required: false });
    await h.write('metadata/k', { cas_required: true });
    expect((await h.write('data/k', { data: { a: 2 } })).error).toBe('check-and-set parameter required for this call');
    expect((await h.write('data/other', { data: { a: 2 } })).status).toBe(200);
  });

  it('concurrent writes with the same cas: exactly one wins', async () => {
    const h = await kv2();
    await h.write('data/race', { data: { n: 0 } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.write('data/race', { data: { n: i + 1 }, options: { cas: 1 } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400).every((r) => r.error === 'check-and-set parameter did not match the current version')).toBe(true);
    const meta = await h.read('metadata/race');
    expect(dig(meta, 'current_version')).toBe(2);
  });

  it('concurrent writes without cas all land as distinct versions', async () => {
    const h = await kv2();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => h.write('data/many', { data: { i } })));
    expect(results.map((r) => dig(r, 'version')).sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('KV v2 PATCH data/', () => {
  it('merge-patches the current version into a new one; null removes a key', async () => {
    const h = await kv2();
    await h.write('data/p', { data: { keep: 1, drop: 2, nested: { a: 1, b: 2 }, list: [1, 2] } });
    const p = await h.patch('data/p', { data: { drop: null, nested: { b: null, c: 3 }, list: [3], added: 'x' } });
    expect(p.status).toBe(200);
    expect(dig(p, 'version')).toBe(2);
    expect(dig(await h.read('data/p'), 'data')).toEqual({ keep: 1, nested: { a: 1, c: 3 }, list: [3], added: 'x' });
    expect(dig(await h.read('data/p', { version: 1 }), 'data')).toEqual({ keep: 1, drop: 2, nested: { a: 1, b: 2 }, list: [1, 2] });
  });

  it('honours cas and refuses a patch without data', async () => {
    const h = await kv2();
    await h.write('data/p', { data: { a: 1 } });
    expect(await h.patch('data/p', { options: { cas: 1 } })).toMatchObject({ status: 400, error: 'no data provided' });
    expect((await h.patch('data/p', { data: { a: 2 }, options: { cas: 5 } })).error).toBe(
      'check-and-set parameter did not match the current version',
    );
    expect((await h.patch('data/p', { data: { a: 2 }, options: { cas: 1 } })).status).toBe(200);
    await h.write('metadata/p', { cas_required: true });
    expect((await h.patch('data/p', { data: { a: 3 } })).error).toBe('check-and-set parameter required for this call');
  });

  it('404s for an absent key, and 404s with metadata when the current version is deleted or destroyed', async () => {
    const h = await kv2();
    const absent = await h.patch('data/none', { data: { a: 1 } });
    expect(absent.status).toBe(404);
    expect(absent.data).toBeUndefined();
    expect(absent.response?.raw?.body).toBe('');

    await h.write('data/p', { data: { a: 1 } });
    await h.delete('data/p');
    const deleted = await h.patch('data/p', { data: { a: 2 } });
    expect(deleted.status).toBe(404);
    expect(deleted.data).toEqual({ created_time: rfc3339(T0), custom_metadata: null, deletion_time: rfc3339(T0), destroyed: false, version: 1 });

    await h.write('destroy/p', { versions: [1] });
    expect(dig(await h.patch('data/p', { data: { a: 2 } }), 'destroyed')).toBe(true);
    expect(dig(await h.read('metadata/p'), 'current_version')).toBe(1);
  });

  it('404s for a key created by metadata only (no versions)', async () => {
    const h = await kv2();
    await h.write('metadata/m', { max_versions: 3 });
    expect(await h.patch('data/m', { data: { a: 1 } })).toMatchObject({ status: 404 });
  });
});

describe('KV v2 DELETE data/ (soft delete)', () => {
  it('marks the current version deleted; reads 404 with the metadata and data null', async () => {
    const h = await kv2();
    await h.write('data/d', { data: { a: 1 } });
    h.advance(2);
    expect((await h.delete('data/d')).status).toBe(204);
    const r = await h.read('data/d');
    expect(r.status).toBe(404);
    expect(r.data).toEqual({
      data: null,
      metadata: { created_time: rfc3339(T0), custom_metadata: null, deletion_time: rfc3339(T0 + 2000), destroyed: false, version: 1 },
    });
  });

  it('is a no-op for absent, already deleted or destroyed versions', async () => {
    const h = await kv2();
    expect((await h.delete('data/none')).status).toBe(204);
    await h.write('data/d', { data: { a: 1 } });
    await h.delete('data/d');
    h.advance(10);
    await h.delete('data/d');
    expect(dig(await h.read('metadata/d'), 'versions', '1', 'deletion_time')).toBe(rfc3339(T0));
    await h.write('destroy/d', { versions: '1' });
    const snap = h.store.snapshot();
    await h.delete('data/d');
    expect(h.store.snapshot()).toBe(snap);
  });

  it('only deletes the current version', async () => {
    const h = await kv2();
    await h.write('data/d', { data: { v: 1 } });
    await h.write('data/d', { data: { v: 2 } });
    await h.delete('data/d');
    expect((await h.read('data/d')).status).toBe(404);
    expect(dig(await h.read('data/d', { version: 1 }), 'data')).toEqual({ v: 1 });
    await h.write('data/d', { data: { v: 3 } });
    expect(dig(await h.read('data/d'), 'data')).toEqual({ v: 3 });
  });
});

describe('KV v2 invalid paths', () => {
  it('bare roots 404 with the root warning', async () => {
    const h = await kv2();
    for (const root of ['data', 'metadata', 'delete', 'undelete', 'destroy']) {
      const r = await h.read(root);
      expect(r.status).toBe(404);
      expect(r.warnings).toEqual(['Non-listing operations on the root of a K/V v2 mount are not supported.']);
    }
    expect((await h.write('data', { data: { a: 1 } })).warnings).toEqual([
      'Non-listing operations on the root of a K/V v2 mount are not supported.',
    ]);
  });

  it('other paths 404 naming the vault kv subcommand to use', async () => {
    const h = await kv2();
    const msg = (sub: string): string[] => [
      `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${sub}' for this operation.`,
    ];
    expect(await h.read('foo')).toMatchObject({ status: 404, warnings: msg('get') });
    expect(await h.write('foo', { a: 1 })).toMatchObject({ status: 404, warnings: msg('put') });
    expect(await h.patch('foo', { a: 1 })).toMatchObject({ status: 404, warnings: msg('patch') });
    expect(await h.delete('foo')).toMatchObject({ status: 404, warnings: msg('delete') });
    expect(await h.list('data/')).toMatchObject({ status: 404, warnings: msg('list') });
    expect(await h.read('')).toMatchObject({ status: 404, warnings: msg('get') });
    expect(await h.read('data/trailing/')).toMatchObject({ status: 404, warnings: msg('get') });
    expect(await h.read('config/')).toMatchObject({ status: 404, warnings: msg('get') });
    expect(await h.read('subkeys')).toMatchObject({ status: 404, warnings: msg('get') });
  });

  it('an operation a path does not support is 405', async () => {
    const h = await kv2();
    expect((await h.write('subkeys/x', { a: 1 })).status).toBe(405);
    expect((await h.read('destroy/x')).status).toBe(405);
  });
});
