import { describe, expect, it } from 'vitest';
import { kvBackendFactory } from '../../src/kv/index.js';
import { Harness } from './helpers.js';

const kv1 = (opts: { defaultLeaseTtl?: number; version?: string } = {}): Promise<Harness> =>
  new Harness(kvBackendFactory, {
    options: opts.version === undefined ? {} : { version: opts.version },
    ...(opts.defaultLeaseTtl !== undefined ? { defaultLeaseTtl: opts.defaultLeaseTtl } : {}),
  }).init();

describe('KV v1 (pass-through)', () => {
  it('is chosen for version "1", "" and no version option', async () => {
    for (const version of [undefined, '1', '']) {
      const h = await kv1({ ...(version !== undefined ? { version } : {}) });
      expect((await h.write('foo', { a: 1 })).status).toBe(204);
      expect((await h.read('foo')).data).toEqual({ a: 1 });
    }
  });

  it('stores the whole body verbatim and reads it back with the mount default lease TTL', async () => {
    const h = await kv1({ defaultLeaseTtl: 3600 });
    const body = { user: 'u', nested: { list: [1, 'two', null], flag: false } };
    const w = await h.write('app/creds', body);
    expect(w).toMatchObject({ status: 204, operation: 'create' });
    expect((await h.write('app/creds', body)).operation).toBe('update');
    const r = await h.read('app/creds');
    expect(r.status).toBe(200);
    expect(r.data).toEqual(body);
    expect(r.response?.secret).toEqual({ ttl: 3600, renewable: false, internalData: { kvPassthrough: true } });
  });

  it('reports a ttl (or legacy lease) key as the lease duration when it parses', async () => {
    const h = await kv1();
    await h.write('a', { v: 1, ttl: '1h' });
    await h.write('b', { v: 1, ttl: 90 });
    await h.write('c', { v: 1, lease: '30m' });
    await h.write('d', { v: 1, ttl: 'nonsense' });
    await h.write('e', { v: 1, ttl: { no: 1 } });
    expect((await h.read('a')).response?.secret?.ttl).toBe(3600);
    expect((await h.read('b')).response?.secret?.ttl).toBe(90);
    expect((await h.read('c')).response?.secret?.ttl).toBe(1800);
    expect((await h.read('d')).response?.secret?.ttl).toBe(2764800);
    expect((await h.read('e')).response?.secret?.ttl).toBe(2764800);
  });

  it('refuses an empty body and writes nothing', async () => {
    const h = await kv1();
    const snap = h.store.snapshot();
    expect(await h.write('x', {})).toMatchObject({ status: 400, error: 'missing data fields' });
    expect(await h.write('', { a: 1 })).toMatchObject({ status: 400, error: 'missing path' });
    expect(await h.write('a/../b', { a: 1 })).toMatchObject({ status: 400, error: 'relative paths not supported' });
    expect(h.store.snapshot()).toBe(snap);
  });

  it('404s on missing keys; delete is 204 whether or not the key exists', async () => {
    const h = await kv1();
    expect((await h.read('missing')).status).toBe(404);
    await h.write('k', { a: 1 });
    expect((await h.delete('k')).status).toBe(204);
    expect((await h.read('k')).status).toBe(404);
    expect((await h.delete('k')).status).toBe(204);
  });

  it('lists children with folders suffixed by /, 404 when empty', async () => {
    const h = await kv1();
    expect((await h.list('')).status).toBe(404);
    await h.write('top', { a: 1 });
    await h.write('app/db', { a: 1 });
    await h.write('app/web/tls', { a: 1 });
    expect((await h.list('')).data).toEqual({ keys: ['app/', 'top'] });
    expect((await h.list('app')).data).toEqual({ keys: ['db', 'web/'] });
    expect((await h.list('app/')).data).toEqual({ keys: ['db', 'web/'] });
    expect((await h.list('none/')).status).toBe(404);
  });

  it('keeps secrets inside the mount view', async () => {
    const h = await kv1();
    await h.write('k', { a: 1 });
    expect([...h.store.entries.keys()]).toEqual(['logical/0000/k']);
  });
});
