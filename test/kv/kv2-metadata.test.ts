import { describe, expect, it } from 'vitest';
import { kvBackendFactory } from '../../src/kv/index.js';
import { dig, Harness, rfc3339, T0 } from './helpers.js';

const kv2 = (): Promise<Harness> => new Harness(kvBackendFactory, { options: { version: '2' } }).init();

describe('KV v2 metadata/ read', () => {
  it('shows settings and every retained version', async () => {
    const h = await kv2();
    await h.write('data/m', { data: { a: 1 } });
    h.advance(60);
    await h.write('data/m', { data: { a: 2 } });
    await h.delete('data/m');
    const r = await h.read('metadata/m');
    expect(r.status).toBe(200);
    expect(r.data).toEqual({
      cas_required: false,
      created_time: rfc3339(T0),
      current_version: 2,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: rfc3339(T0 + 60_000),
      versions: {
        '1': { created_time: rfc3339(T0), deletion_time: '', destroyed: false },
        '2': { created_time: rfc3339(T0 + 60_000), deletion_time: rfc3339(T0 + 60_000), destroyed: false },
      },
    });
    expect((await h.read('metadata/none')).status).toBe(404);
    expect((await h.read('metadata/')).status).toBe(404);
  });
});

describe('KV v2 metadata/ write', () => {
  it('creates a record without versions and sets the four fields', async () => {
    const h = await kv2();
    const w = await h.write('metadata/new', {
      max_versions: 5,
      cas_required: 'true',
      delete_version_after: '3h25m19s',
      custom_metadata: { owner: 'ops', n: 7, flag: true },
    });
    expect(w.status).toBe(204);
    expect(w.operation).toBe('create');
    const r = await h.read('metadata/new');
    expect(r.data).toMatchObject({
      cas_required: true,
      created_time: rfc3339(T0),
      updated_time: rfc3339(T0),
      current_version: 0,
      oldest_version: 0,
      delete_version_after: '3h25m19s',
      max_versions: 5,
      custom_metadata: { owner: 'ops', n: '7', flag: '1' },
      versions: {},
    });
    expect((await h.read('data/new')).status).toBe(404);
    expect((await h.write('metadata/new', { max_versions: 6 })).operation).toBe('update');
    expect(dig(await h.read('metadata/new'), 'cas_required')).toBe(true);
  });

  it('with no known field is a no-op that creates nothing', async () => {
    const h = await kv2();
    const snap = h.store.snapshot();
    expect((await h.write('metadata/x', { unknown: 1 })).status).toBe(204);
    expect(h.store.snapshot()).toBe(snap);
  });

  it('refuses an empty path, bad types and negative delete_version_after, writing nothing', async () => {
    const h = await kv2();
    await h.write('data/k', { data: { a: 1 } });
    const snap = h.store.snapshot();
    expect(await h.write('metadata/', { max_versions: 1 })).toMatchObject({ status: 400, error: 'missing path' });
    expect((await h.write('metadata/k', { max_versions: 'lots' })).error).toMatch(/^Field validation failed: .*"max_versions"/);
    expect((await h.write('metadata/k', { cas_required: 'maybe' })).status).toBe(400);
    expect((await h.write('metadata/k', { delete_version_after: '-1s' })).error).toMatch(
      /^Field validation failed: .*"delete_version_after": cannot provide negative value '-1'$/,
    );
    expect((await h.write('metadata/k', { custom_metadata: 'x' })).status).toBe(400);
    expect(h.store.snapshot()).toBe(snap);
  });

  it('warns (200) when cas_required=false is overridden by the mount', async () => {
    const h = await kv2();
    await h.write('config', { cas_required: true });
    const w = await h.write('metadata/k', { cas_required: false });
    expect(w.status).toBe(200);
    expect(w.warnings).toEqual(['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']);
    expect(dig(await h.read('metadata/k'), 'cas_required')).toBe(false);
  });
});

describe('KV v2 custom_metadata limits', () => {
  const expectRefused = async (h: Harness, custom_metadata: unknown, message: string): Promise<void> => {
    const snap = h.store.snapshot();
    const r = await h.write('metadata/c', { custom_metadata });
    expect(r.status).toBe(400);
    expect(r.error).toBe(message);
    expect(h.store.snapshot()).toBe(snap);
  };

  it('at most 64 keys', async () => {
    const h = await kv2();
    const ok = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']));
    expect((await h.write('metadata/ok', { custom_metadata: ok })).status).toBe(204);
    await expectRefused(
      h,
      { ...ok, one: 'more' },
      '1 error occurred:\n\t* custom_metadata validation failed: payload must contain at most 64 keys, provided 65\n\n',
    );
  });

  it('key length 1..128 and value length 1..512 bytes', async () => {
    const h = await kv2();
    expect((await h.write('metadata/ok', { custom_metadata: { ['k'.repeat(128)]: 'v'.repeat(512) } })).status).toBe(204);
    await expectRefused(
      h,
      { ['k'.repeat(129)]: 'v' },
      `1 error occurred:\n\t* custom_metadata validation failed: length of key "${'k'.repeat(129)}" is 129 but must be 0 < len(key) <= 128\n\n`,
    );
    await expectRefused(
      h,
      { k: 'v'.repeat(513) },
      '1 error occurred:\n\t* custom_metadata validation failed: length of value for key "k" is 513 but must be 0 < len(value) <= 512\n\n',
    );
    await expectRefused(
      h,
      { '': 'v', e: '' },
      '2 errors occurred:\n\t* custom_metadata validation failed: length of key "" is 0 but must be 0 < len(key) <= 128\n\t' +
        '* custom_metadata validation failed: length of value for key "e" is 0 but must be 0 < len(value) <= 512\n\n',
    );
    // Bytes, not characters: 43 three-byte runes are 129 bytes.
    await expectRefused(
      h,
      { ['€'.repeat(43)]: 'v' },
      `1 error occurred:\n\t* custom_metadata validation failed: length of key "${'€'.repeat(43)}" is 129 but must be 0 < len(key) <= 128\n\n`,
    );
  });

  it('printable characters only', async () => {
    const h = await kv2();
    await expectRefused(
      h,
      { 'bad\tkey': 'v' },
      '1 error occurred:\n\t* custom_metadata validation failed: key "bad\\tkey" (bad\tkey) contains unprintable characters\n\n',
    );
    await expectRefused(
      h,
      { k: 'a\u0000b' },
      '1 error occurred:\n\t* custom_metadata validation failed: value for key "k" contains unprintable characters\n\n',
    );
  });

  it('values must be scalars; null is an empty string on write', async () => {
    const h = await kv2();
    await expectRefused(
      h,
      { k: { nested: 1 } },
      `custom_metadata validation failed: '' expected type 'string', got unconvertible type 'map[string]interface {}', value: '{"nested":1}'`,
    );
    await expectRefused(
      h,
      { k: null },
      '1 error occurred:\n\t* custom_metadata validation failed: length of value for key "k" is 0 but must be 0 < len(value) <= 512\n\n',
    );
  });

  it('appears in data reads and writes of the secret', async () => {
    const h = await kv2();
    await h.write('metadata/c', { custom_metadata: { team: 'x' } });
    expect(dig(await h.write('data/c', { data: { a: 1 } }), 'custom_metadata')).toEqual({ team: 'x' });
    expect(dig(await h.read('data/c'), 'metadata', 'custom_metadata')).toEqual({ team: 'x' });
    await h.write('metadata/c', { custom_metadata: {} });
    expect(dig(await h.read('data/c'), 'metadata', 'custom_metadata')).toBeNull();
  });
});

describe('KV v2 PATCH metadata/', () => {
  it('merges custom_metadata (null removes a key) and leaves unnamed fields alone', async () => {
    const h = await kv2();
    await h.write('metadata/p', { max_versions: 4, cas_required: true, custom_metadata: { a: '1', b: '2' } });
    const p = await h.patch('metadata/p', { custom_metadata: { a: null, c: '3' }, delete_version_after: '1h' });
    expect(p.status).toBe(204);
    expect((await h.read('metadata/p')).data).toMatchObject({
      max_versions: 4,
      cas_required: true,
      delete_version_after: '1h0m0s',
      custom_metadata: { b: '2', c: '3' },
    });
    await h.patch('metadata/p', { delete_version_after: '0s', max_versions: 0 });
    expect((await h.read('metadata/p')).data).toMatchObject({ max_versions: 0, delete_version_after: '0s' });
    await h.patch('metadata/p', { custom_metadata: null });
    expect(dig(await h.read('metadata/p'), 'custom_metadata')).toBeNull();
  });

  it('404s for an absent key and validates the patch', async () => {
    const h = await kv2();
    expect((await h.patch('metadata/none', { max_versions: 1 })).status).toBe(404);
    await h.write('metadata/p', { max_versions: 1 });
    const snap = h.store.snapshot();
    expect((await h.patch('metadata/p', { custom_metadata: { '': 'x' } })).error).toBe(
      '1 error occurred:\n\t* custom_metadata validation failed: length of key "" is 0 but must be 0 < len(key) <= 128\n\n',
    );
    expect((await h.patch('metadata/p', { delete_version_after: -5 })).status).toBe(400);
    expect(h.store.snapshot()).toBe(snap);
  });

  it('warns when cas_required=false is overridden by the mount', async () => {
    const h = await kv2();
    await h.write('metadata/p', { max_versions: 1 });
    await h.write('config', { cas_required: true });
    expect((await h.patch('metadata/p', { cas_required: false })).warnings).toEqual([
      '"cas_required" set to false, but is mandated by backend config. This value will be ignored.',
    ]);
  });
});

describe('KV v2 DELETE and LIST metadata/', () => {
  it('delete removes every version record and the metadata', async () => {
    const h = await kv2();
    await h.write('data/gone', { data: { a: 1 } });
    await h.write('data/gone', { data: { a: 2 } });
    await h.write('destroy/gone', { versions: [1] });
    await h.write('data/stay', { data: { a: 1 } });
    expect((await h.delete('metadata/gone')).status).toBe(204);
    expect((await h.read('metadata/gone')).status).toBe(404);
    expect((await h.read('data/gone')).status).toBe(404);
    const keys = [...h.store.entries.keys()].filter((k) => k.includes('/versions/') || k.includes('/metadata/'));
    expect(keys).toHaveLength(2);
    expect((await h.delete('metadata/gone')).status).toBe(204);
    // The name is free again: a new secret starts at version 1.
    expect(dig(await h.write('data/gone', { data: { a: 3 }, options: { cas: 0 } }), 'version')).toBe(1);
  });

  it('lists folders and keys, and 404s when empty', async () => {
    const h = await kv2();
    expect((await h.list('metadata/')).status).toBe(404);
    await h.write('data/app/db', { data: { a: 1 } });
    await h.write('data/app/web/tls', { data: { a: 1 } });
    await h.write('data/top', { data: { a: 1 } });
    await h.write('metadata/only-meta', { max_versions: 2 });
    expect((await h.list('metadata/')).data).toEqual({ keys: ['app/', 'only-meta', 'top'] });
    expect((await h.list('metadata/app')).data).toEqual({ keys: ['db', 'web/'] });
    expect((await h.list('metadata/app/web/')).data).toEqual({ keys: ['tls'] });
    expect((await h.list('metadata/nothing/')).status).toBe(404);
    // Deleted secrets are still listed until their metadata is deleted.
    await h.delete('data/top');
    expect((await h.list('metadata/')).data).toEqual({ keys: ['app/', 'only-meta', 'top'] });
  });
});
