import { describe, expect, it } from 'vitest';
import { kvBackendFactory } from '../../src/kv/index.js';
import { dig, Harness, MemoryStore, rfc3339, T0 } from './helpers.js';

describe('KV v1 → v2 upgrade', () => {
  it('turns every v1 secret into version 1 of the same path, once', async () => {
    const store = new MemoryStore();
    const v1 = await new Harness(kvBackendFactory, { store }).init();
    await v1.write('top', { a: 1 });
    await v1.write('app/db', { user: 'u', ttl: '1h' });

    const v2 = await new Harness(kvBackendFactory, { store, options: { version: '2' } }).init();
    expect(dig(await v2.read('data/top'), 'data')).toEqual({ a: 1 });
    expect(dig(await v2.read('data/app/db'), 'data')).toEqual({ user: 'u', ttl: '1h' });
    expect((await v2.read('metadata/app/db')).data).toMatchObject({ current_version: 1, oldest_version: 1, created_time: rfc3339(T0) });
    expect((await v2.list('metadata/')).data).toEqual({ keys: ['app/', 'top'] });
    expect([...store.entries.keys()].every((k) => k.startsWith('logical/0000/_kvv2/'))).toBe(true);

    // A second start does not run it again.
    await v2.write('data/top', { data: { a: 2 } });
    const before = store.snapshot();
    await new Harness(kvBackendFactory, { store, options: { version: '2' } }).init();
    expect(store.snapshot()).toBe(before);
  });

  it('refuses requests while the upgrade runs', async () => {
    const store = new MemoryStore();
    const v1 = await new Harness(kvBackendFactory, { store }).init();
    await v1.write('k', { a: 1 });
    const v2 = new Harness(kvBackendFactory, { store, options: { version: '2' } });
    const init = v2.init();
    const during = await v2.read('data/k');
    expect(during).toMatchObject({
      status: 400,
      error:
        'Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.',
    });
    await init;
    expect((await v2.read('data/k')).status).toBe(200);
  });
});
