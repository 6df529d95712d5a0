import { describe, expect, it } from 'vitest';
import { applyMergePatch } from '../../src/kv/merge-patch.js';
import { subkeysOf } from '../../src/kv/subkeys.js';
import { formatRfc3339Nano, goDurationString, goQuote, isGoPrintable } from '../../src/util/go-format.js';
import { weakDecodeInt, weakDecodeString } from '../../src/kv/kv-fields.js';
import { cleanKeyPath, listPrefix, rawListPrefix } from '../../src/kv/key-path.js';
import { KeyedMutex } from '../../src/kv/keyed-mutex.js';
import { addVersion, effectiveDeleteVersionAfter, emptyConfig, newKeyMetadata } from '../../src/kv/versioned/records.js';
import { multiErrorMessage } from '../../src/kv/custom-metadata.js';
import { lookupVersion } from '../../src/kv/versioned/version-lookup.js';
import type { VersionedKvStore } from '../../src/kv/versioned/store.js';

describe('applyMergePatch (RFC 7396)', () => {
  it('follows the RFC examples', () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, result] of cases) expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('does not modify its inputs', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { b: null } };
    applyMergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { b: null } });
  });
});

describe('subkeysOf', () => {
  it('nulls leaves and empty objects, and stops at the depth limit', () => {
    const data = { a: { b: { c: 1 } }, e: {}, f: [{ g: 1 }] };
    expect(subkeysOf(data, 0)).toEqual({ a: { b: { c: null } }, e: null, f: null });
    expect(subkeysOf(data, 2)).toEqual({ a: { b: null }, e: null, f: null });
    expect(subkeysOf(data, -1)).toEqual({ a: null, e: null, f: null });
  });
});

describe('Go formatting', () => {
  it('formats RFC3339Nano without trailing zeros', () => {
    expect(formatRfc3339Nano(Date.parse('2018-03-22T02:24:06.945Z'))).toBe('2018-03-22T02:24:06.945Z');
    expect(formatRfc3339Nano(Date.parse('2018-03-22T02:24:06.900Z'))).toBe('2018-03-22T02:24:06.9Z');
    expect(formatRfc3339Nano(Date.parse('2018-03-22T02:24:06.000Z'))).toBe('2018-03-22T02:24:06Z');
  });

  it('formats durations like time.Duration.String()', () => {
    expect(goDurationString(0)).toBe('0s');
    expect(goDurationString(12319)).toBe('3h25m19s');
    expect(goDurationString(-1)).toBe('-1s');
  });

  it('quotes like %q and knows printable runes', () => {
    expect(goQuote('a"b\\c\n\t\u0000\u007f')).toBe('"a\\"b\\\\c\\n\\t\\x00\\x7f"');
    expect(goQuote('héllo €')).toBe('"héllo €"');
    expect(goQuote('\u00a0')).toBe('"\\u00a0"');
    expect(isGoPrintable('Hello, world! ünïcødé €$')).toBe(true);
    expect(isGoPrintable('tab\there')).toBe(false);
    expect(isGoPrintable('nbsp\u00a0')).toBe(false);
  });
});

describe('WeakDecode', () => {
  it('decodes ints the way mapstructure does', () => {
    expect(weakDecodeInt(3)).toBe(3);
    expect(weakDecodeInt(3.9)).toBe(3);
    expect(weakDecodeInt('42')).toBe(42);
    expect(weakDecodeInt('-7')).toBe(-7);
    expect(weakDecodeInt('0x10')).toBe(16);
    expect(weakDecodeInt('')).toBe(0);
    expect(weakDecodeInt(null)).toBe(0);
    expect(weakDecodeInt(true)).toBe(1);
    expect(weakDecodeInt('1.5')).toBeUndefined();
    expect(weakDecodeInt('abc')).toBeUndefined();
    expect(weakDecodeInt('08')).toBeUndefined();
    expect(weakDecodeInt({})).toBeUndefined();
  });

  it('decodes strings the way mapstructure does', () => {
    expect(weakDecodeString(1.5)).toEqual({ ok: true, value: '1.5' });
    expect(weakDecodeString(1e21)).toEqual({ ok: true, value: '1000000000000000000000' });
    expect(weakDecodeString(false)).toEqual({ ok: true, value: '0' });
    expect(weakDecodeString(null)).toEqual({ ok: true, value: '' });
    expect(weakDecodeString([1])).toMatchObject({ ok: false });
  });
});

describe('key paths', () => {
  it('cleans like path.Clean on a rooted path', () => {
    expect(cleanKeyPath('a//b/./c/')).toBe('a/b/c');
    expect(cleanKeyPath('../../a/../b')).toBe('b');
    expect(cleanKeyPath('./')).toBe('');
    expect(listPrefix('')).toBe('');
    expect(listPrefix('a/b')).toBe('a/b/');
    expect(rawListPrefix('a//')).toBe('a//');
    expect(rawListPrefix('a')).toBe('a/');
  });
});

describe('KeyedMutex', () => {
  it('runs critical sections for one key one at a time, in order; other keys are not blocked', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const gate = new Promise<void>((r) => (releaseFirst = r));
    const first = m.run('k', async () => {
      log.push('first start');
      await gate;
      log.push('first end');
    });
    const second = m.run('k', async () => void log.push('second'));
    const other = m.run('other', async () => void log.push('other'));
    await other;
    expect(log).toEqual(['first start', 'other']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(log).toEqual(['first start', 'other', 'first end', 'second']);
    expect(m.activeKeys).toBe(0);
  });

  it('releases the key when a critical section throws', async () => {
    const m = new KeyedMutex();
    await expect(m.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await m.run('k', async () => 'next')).toBe('next');
    expect(m.activeKeys).toBe(0);
  });
});

describe('KV v2 record rules', () => {
  it('addVersion slides the window like Vault (oldest_version quirks included)', () => {
    const meta = newKeyMetadata('k');
    const vm = () => ({ created_time: '2024-01-01T00:00:00Z', deletion_time: '', destroyed: false });
    for (let i = 1; i <= 2; i++) expect(addVersion(meta, vm(), 3)).toEqual({ version: i, purged: [] });
    expect(addVersion(meta, vm(), 3)).toEqual({ version: 3, purged: [] });
    expect(meta.oldest_version).toBe(1);
    expect(addVersion(meta, vm(), 3)).toEqual({ version: 4, purged: [1] });
    expect(Object.keys(meta.versions)).toEqual(['2', '3', '4']);
    expect(meta.created_time).toBe('2024-01-01T00:00:00Z');
  });

  it('effectiveDeleteVersionAfter takes the shorter non-zero, and -1 on the mount disables', () => {
    const meta = newKeyMetadata('k');
    const config = emptyConfig();
    expect(effectiveDeleteVersionAfter(config, meta)).toBe(0);
    config.delete_version_after = 60;
    expect(effectiveDeleteVersionAfter(config, meta)).toBe(60);
    meta.delete_version_after = 30;
    expect(effectiveDeleteVersionAfter(config, meta)).toBe(30);
    meta.delete_version_after = 90;
    expect(effectiveDeleteVersionAfter(config, meta)).toBe(60);
    config.delete_version_after = -1;
    expect(effectiveDeleteVersionAfter(config, meta)).toBe(0);
  });

  it('formats multierror messages', () => {
    expect(multiErrorMessage(['a'])).toBe('1 error occurred:\n\t* a\n\n');
    expect(multiErrorMessage(['a', 'b'])).toBe('2 errors occurred:\n\t* a\n\t* b\n\n');
  });
});

describe('hostile keys', () => {
  it('treats __proto__ as an ordinary key in patches and subkeys', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const merged = applyMergePatch({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(JSON.stringify(merged)).toBe('{"__proto__":{"polluted":true},"a":1}');
    const sub = subkeysOf(JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>, 0);
    expect(JSON.stringify(sub)).toBe('{"__proto__":{"x":null}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('lookupVersion', () => {
  const vm = (destroyed: boolean) => ({ created_time: '2024-01-01T00:00:00Z', deletion_time: '', destroyed });
  const metaWith = (destroyed: boolean) => ({ ...newKeyMetadata('k'), current_version: 1, versions: { '1': vm(destroyed) } });

  it('re-reads metadata when a listed version record vanished under it', async () => {
    const metas = [metaWith(false), metaWith(true)];
    const store = {
      readMetadataShared: async () => metas.shift(),
      readVersionShared: async () => undefined,
    } as unknown as VersionedKvStore;
    const found = await lookupVersion(store, 'k', 0, Date.parse('2024-02-01T00:00:00Z'));
    expect(found.kind).toBe('gone');
  });

  it('fails loudly when metadata keeps naming a record that does not exist', async () => {
    const store = { readMetadataShared: async () => metaWith(false), readVersionShared: async () => undefined } as unknown as VersionedKvStore;
    await expect(lookupVersion(store, 'k', 1, 0)).rejects.toThrow(/could not find version data/);
  });
});
