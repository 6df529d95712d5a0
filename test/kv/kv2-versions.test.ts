import { describe, expect, it } from 'vitest';
import { kvBackendFactory } from '../../src/kv/index.js';
import { dig, Harness, rfc3339, T0 } from './helpers.js';

const kv2 = (): Promise<Harness> => new Harness(kvBackendFactory, { options: { version: '2' } }).init();

async function writeVersions(h: Harness, key: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await h.write(`data/${key}`, { data: { v: i } });
}

const versionRecords = (h: Harness): number => [...h.store.entries.keys()].filter((k) => k.includes('/versions/')).length;

describe('KV v2 delete/, undelete/, destroy/', () => {
  it('require versions, with Vault’s two spellings of the message', async () => {
    const h = await kv2();
    await writeVersions(h, 'k', 1);
    expect(await h.write('delete/k', {})).toMatchObject({ status: 400, error: 'No version number provided' });
    expect(await h.write('undelete/k', { versions: [] })).toMatchObject({ status: 400, error: 'No version number provided' });
    expect(await h.write('destroy/k', { versions: '' })).toMatchObject({ status: 400, error: 'no version number provided' });
    expect((await h.write('destroy/k', { versions: ['x'] })).error).toMatch(/^Field validation failed: .*"versions"/);
  });

  it('are 204 no-ops for absent keys and unknown versions', async () => {
    const h = await kv2();
    for (const p of ['delete', 'undelete', 'destroy']) expect((await h.write(`${p}/none`, { versions: [1] })).status).toBe(204);
    await writeVersions(h, 'k', 1);
    expect((await h.write('delete/k', { versions: [9] })).status).toBe(204);
    expect((await h.read('data/k')).status).toBe(200);
  });

  it('delete soft-deletes listed versions; undelete restores them', async () => {
    const h = await kv2();
    await writeVersions(h, 'k', 3);
    h.advance(5);
    expect((await h.write('delete/k', { versions: '1,3' })).status).toBe(204);
    expect((await h.read('data/k', { version: 1 })).status).toBe(404);
    expect((await h.read('data/k', { version: 2 })).status).toBe(200);
    expect(await h.read('data/k')).toMatchObject({ status: 404, data: { data: null } });
    expect(dig(await h.read('metadata/k'), 'versions', '3', 'deletion_time')).toBe(rfc3339(T0 + 5000));

    expect((await h.write('undelete/k', { versions: [3] })).status).toBe(204);
    expect(dig(await h.read('data/k'), 'data')).toEqual({ v: 3 });
    expect(dig(await h.read('data/k'), 'metadata', 'deletion_time')).toBe('');
    expect((await h.read('data/k', { version: 1 })).status).toBe(404);
  });

  it('destroy removes the data for good: undelete cannot bring it back', async () => {
    const h = await kv2();
    await writeVersions(h, 'k', 2);
    await h.write('delete/k', { versions: [2] });
    expect(versionRecords(h)).toBe(2);
    expect((await h.write('destroy/k', { versions: [2] })).status).toBe(204);
    expect(versionRecords(h)).toBe(1);
    const r = await h.read('data/k');
    expect(r.status).toBe(404);
    expect(dig(r, 'metadata')).toMatchObject({ destroyed: true, version: 2, deletion_time: rfc3339(T0) });
    await h.write('undelete/k', { versions: [2] });
    expect(dig(await h.read('data/k'), 'metadata', 'destroyed')).toBe(true);
    expect((await h.read('data/k')).status).toBe(404);
    // Deleting a destroyed version changes nothing.
    await h.write('delete/k', { versions: [2] });
    expect(dig(await h.read('metadata/k'), 'versions', '2', 'destroyed')).toBe(true);
    expect(dig(await h.read('data/k', { version: 1 }), 'data')).toEqual({ v: 1 });
  });

  it('a new write after delete and destroy is readable again', async () => {
    const h = await kv2();
    await writeVersions(h, 'k', 1);
    await h.delete('data/k');
    await h.write('destroy/k', { versions: [1] });
    await h.write('data/k', { data: { v: 'again' } });
    expect(await h.read('data/k')).toMatchObject({ status: 200, data: { data: { v: 'again' } } });
  });
});

describe('KV v2 max_versions', () => {
  it('keeps 10 versions by default and advances oldest_version', async () => {
    const h = await kv2();
    await writeVersions(h, 'k', 9);
    expect(dig(await h.read('metadata/k'), 'oldest_version')).toBe(0);
    await writeVersions(h, 'k', 1);
    expect(dig(await h.read('metadata/k'), 'oldest_version')).toBe(1);
    await writeVersions(h, 'k', 2);
    const meta = await h.read('metadata/k');
    expect(dig(meta, 'current_version')).toBe(12);
    expect(dig(meta, 'oldest_version')).toBe(3);
    expect(Object.keys(dig(meta, 'versions') as object).map(Number)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(versionRecords(h)).toBe(10);
    expect((await h.read('data/k', { version: 2 })).status).toBe(404);
    expect(dig(await h.read('data/k', { version: 3 }), 'data')).toEqual({ v: 3 });
  });

  it('uses the larger of the key and mount settings', async () => {
    const h = await kv2();
    await h.write('config', { max_versions: 3 });
    await writeVersions(h, 'a', 5);
    expect(Object.keys(dig(await h.read('metadata/a'), 'versions') as object)).toEqual(['3', '4', '5']);
    await h.write('metadata/b', { max_versions: 5 });
    await writeVersions(h, 'b', 6);
    expect(Object.keys(dig(await h.read('metadata/b'), 'versions') as object)).toHaveLength(5);
    await h.write('metadata/c', { max_versions: 1 });
    await writeVersions(h, 'c', 4);
    expect(Object.keys(dig(await h.read('metadata/c'), 'versions') as object)).toEqual(['2', '3', '4']);
  });

  it('lowering max_versions purges on the next write, destroyed versions included', async () => {
    const h = await kv2();
    await writeVersions(h, 'k', 6);
    await h.write('destroy/k', { versions: [2] });
    await h.write('metadata/k', { max_versions: 2 });
    expect(Object.keys(dig(await h.read('metadata/k'), 'versions') as object)).toHaveLength(6);
    await writeVersions(h, 'k', 1);
    const meta = await h.read('metadata/k');
    expect(Object.keys(dig(meta, 'versions') as object)).toEqual(['6', '7']);
    expect(dig(meta, 'oldest_version')).toBe(6);
    expect(versionRecords(h)).toBe(2);
  });
});

describe('KV v2 delete_version_after', () => {
  it('gives new versions a future deletion_time; reads stay 200 until it passes', async () => {
    const h = await kv2();
    await h.write('metadata/t', { delete_version_after: '1h' });
    const w = await h.write('data/t', { data: { a: 1 } });
    expect(dig(w, 'deletion_time')).toBe(rfc3339(T0 + 3600_000));
    h.advance(3599);
    expect((await h.read('data/t')).status).toBe(200);
    h.advance(1);
    const r = await h.read('data/t');
    expect(r.status).toBe(404);
    expect(dig(r, 'metadata', 'deletion_time')).toBe(rfc3339(T0 + 3600_000));
  });

  it('the shorter non-zero of mount and key wins; a negative mount setting disables it', async () => {
    const h = await kv2();
    await h.write('config', { delete_version_after: '10m' });
    expect(dig(await h.write('data/a', { data: { a: 1 } }), 'deletion_time')).toBe(rfc3339(T0 + 600_000));
    await h.write('metadata/b', { delete_version_after: '1m' });
    expect(dig(await h.write('data/b', { data: { a: 1 } }), 'deletion_time')).toBe(rfc3339(T0 + 60_000));
    await h.write('metadata/c', { delete_version_after: '1h' });
    expect(dig(await h.write('data/c', { data: { a: 1 } }), 'deletion_time')).toBe(rfc3339(T0 + 600_000));
    await h.write('config', { delete_version_after: -1 });
    expect(dig(await h.read('config'), 'delete_version_after')).toBe('-1s');
    expect(dig(await h.write('data/b', { data: { a: 2 } }), 'deletion_time')).toBe('');
  });

  it('soft delete of a version with a future deletion_time deletes it now; undelete re-arms from now', async () => {
    const h = await kv2();
    await h.write('metadata/t', { delete_version_after: '1h' });
    await h.write('data/t', { data: { a: 1 } });
    h.advance(60);
    await h.delete('data/t');
    expect(dig(await h.read('data/t'), 'metadata', 'deletion_time')).toBe(rfc3339(T0 + 60_000));
    h.advance(60);
    await h.write('undelete/t', { versions: [1] });
    const r = await h.read('data/t');
    expect(r.status).toBe(200);
    expect(dig(r, 'metadata', 'deletion_time')).toBe(rfc3339(T0 + 120_000 + 3600_000));
  });
});

describe('KV v2 config', () => {
  it('reads defaults and round-trips writes', async () => {
    const h = await kv2();
    expect((await h.read('config')).data).toEqual({ cas_required: false, delete_version_after: '0s', max_versions: 0 });
    expect((await h.write('config', { max_versions: '7', cas_required: 1, delete_version_after: '3h25m19s' })).status).toBe(204);
    expect((await h.read('config')).data).toEqual({ cas_required: true, delete_version_after: '3h25m19s', max_versions: 7 });
    await h.write('config', { delete_version_after: 0 });
    expect((await h.read('config')).data).toEqual({ cas_required: true, delete_version_after: '0s', max_versions: 7 });
  });

  it('refuses bad input without writing and ignores an empty write', async () => {
    const h = await kv2();
    const snap = h.store.snapshot();
    expect((await h.write('config', { max_versions: 'ten' })).status).toBe(400);
    expect((await h.write('config', { delete_version_after: 'soon' })).status).toBe(400);
    expect((await h.write('config', { other: 1 })).status).toBe(204);
    expect(h.store.snapshot()).toBe(snap);
  });
});

describe('KV v2 subkeys/', () => {
  const secret = { a: 1, b: { c: 'x', d: { e: true, f: {} } }, g: [1, 2], h: {} };

  it('replaces values with null, walking non-empty objects; depth limits the walk', async () => {
    const h = await kv2();
    await h.write('data/s', { data: secret });
    const r = await h.read('subkeys/s');
    expect(r.status).toBe(200);
    expect(dig(r, 'subkeys')).toEqual({ a: null, b: { c: null, d: { e: null, f: null } }, g: null, h: null });
    expect(dig(r, 'metadata')).toEqual({ created_time: rfc3339(T0), custom_metadata: null, deletion_time: '', destroyed: false, version: 1 });
    expect(dig(await h.read('subkeys/s', { depth: 1 }), 'subkeys')).toEqual({ a: null, b: null, g: null, h: null });
    expect(dig(await h.read('subkeys/s', { depth: '2' }), 'subkeys')).toEqual({ a: null, b: { c: null, d: null }, g: null, h: null });
  });

  it('reads a given version; 404s for absent keys/versions and with metadata for deleted or destroyed', async () => {
    const h = await kv2();
    expect((await h.read('subkeys/none')).status).toBe(404);
    await h.write('data/s', { data: { old: 1 } });
    await h.write('data/s', { data: { new: 1 } });
    expect(dig(await h.read('subkeys/s', { version: 1 }), 'subkeys')).toEqual({ old: null });
    expect((await h.read('subkeys/s', { version: 5 })).status).toBe(404);
    await h.delete('data/s');
    const r = await h.read('subkeys/s');
    expect(r.status).toBe(404);
    expect(r.data).toMatchObject({ subkeys: null, metadata: { version: 2, deletion_time: rfc3339(T0) } });
    await h.write('destroy/s', { versions: [1] });
    expect(dig(await h.read('subkeys/s', { version: 1 }), 'metadata', 'destroyed')).toBe(true);
  });
});
