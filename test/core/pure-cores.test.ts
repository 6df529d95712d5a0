import { describe, expect, it } from 'vitest';
import { computeTtl, minPositive } from '../../src/core/ttl.js';
import { field, parseFields, parseGoBool } from '../../src/core/fields.js';
import { decodeBody, assertJsonLimits } from '../../src/api/request-body.js';
import { MountTable, newMountEntry, normaliseMountPath } from '../../src/core/mount-table.js';
import { LogicalError } from '../../src/core/logical.js';
import { apiPath } from '../../src/api/http.js';
import { normalisePolicies } from '../../src/core/core.js';

describe('computeTtl', () => {
  it('uses the default when nothing is requested', () => {
    expect(computeTtl({ requested: 0, defaultTtl: 100, maxTtl: 1000 })).toEqual({ ttl: 100, warnings: [] });
  });
  it('caps at the max with Vault’s warning', () => {
    const r = computeTtl({ requested: 5000, defaultTtl: 100, maxTtl: 1000 });
    expect(r.ttl).toBe(1000);
    expect(r.warnings[0]).toContain('exceeded the effective max_ttl');
  });
  it('explicit max wins when smaller', () => {
    expect(computeTtl({ requested: 500, defaultTtl: 100, maxTtl: 1000, explicitMaxTtl: 200 }).ttl).toBe(200);
  });
  it('periodic tokens get the period, capped only by explicit max', () => {
    expect(computeTtl({ requested: 5, defaultTtl: 100, maxTtl: 10, period: 3600 }).ttl).toBe(3600);
    expect(computeTtl({ requested: 5, defaultTtl: 100, maxTtl: 10, period: 3600, explicitMaxTtl: 60 }).ttl).toBe(60);
  });
  it('minPositive ignores zeros', () => {
    expect(minPositive(0, 5, 3)).toBe(3);
    expect(minPositive(0, 0)).toBe(0);
  });
});

describe('field types', () => {
  const fields = { b: field.bool(), i: field.int(), d: field.duration(), l: field.commaStringSlice(), s: field.string(), m: field.stringMap() };
  it('accepts Vault’s lenient spellings', () => {
    const { values, present, warnings } = parseFields(fields, { b: 'true', i: '42', d: '2160h0m0s', l: 'a, b,c', s: 7, m: { k: 1 }, extra: 1 });
    expect(values).toEqual({ b: true, i: 42, d: 2160 * 3600, l: ['a', 'b', 'c'], s: '7', m: { k: '1' } });
    expect([...present].sort()).toEqual(['b', 'd', 'i', 'l', 'm', 's']);
    expect(warnings).toEqual(['Endpoint ignored these unrecognized parameters: [extra]']);
  });
  it('gives zero values for absent fields', () => {
    expect(parseFields(fields, {}).values).toEqual({ b: false, i: 0, d: 0, l: [], s: '', m: {} });
  });
  it('refuses junk with the field name', () => {
    expect(() => parseFields(fields, { i: '4x' })).toThrow(/field "i"/);
    expect(() => parseFields(fields, { b: 'yes' })).toThrow(LogicalError);
    expect(() => parseFields(fields, { d: 'soon' })).toThrow(/field "d"/);
    expect(() => parseFields(fields, { s: { a: 1 } })).toThrow(/field "s"/);
  });
  it('parses booleans like Go', () => {
    expect(parseGoBool('T')).toBe(true);
    expect(parseGoBool('0')).toBe(false);
    expect(parseGoBool('yes')).toBeUndefined();
  });
});

describe('request bodies', () => {
  it('decodes JSON objects and empty bodies', () => {
    expect(decodeBody(Buffer.from('{"a":1}'), 'application/json')).toEqual({ a: 1 });
    expect(decodeBody(Buffer.from('  '), undefined)).toEqual({});
    expect(decodeBody(Buffer.from('null'), undefined)).toEqual({});
  });
  it('decodes form bodies only when declared and not JSON-looking', () => {
    expect(decodeBody(Buffer.from('a=1&b=2'), 'application/x-www-form-urlencoded')).toEqual({ a: '1', b: '2' });
    expect(decodeBody(Buffer.from('{"a":1}'), 'application/x-www-form-urlencoded')).toEqual({ a: 1 });
  });
  it('refuses non-objects, bad JSON and hostile shapes', () => {
    expect(() => decodeBody(Buffer.from('[1]'), undefined)).toThrow(/JSON object/);
    expect(() => decodeBody(Buffer.from('{"a":'), undefined)).toThrow(/failed to parse JSON input/);
    expect(() => assertJsonLimits(JSON.parse('['.repeat(501) + ']'.repeat(501)))).toThrow(/nesting depth/);
    expect(() => assertJsonLimits({ s: 'x'.repeat(1024 * 1024 + 1) })).toThrow(/maximum length/);
    expect(() => assertJsonLimits(Array.from({ length: 10_001 }, () => 0))).toThrow(/maximum of 10000/);
  });
});

describe('API paths', () => {
  it('strips /v1/ and decodes', () => {
    expect(apiPath('/v1/secret/data/a%20b?x=1')).toBe('secret/data/a b');
  });
  it('refuses dot segments and control characters', () => {
    expect(() => apiPath('/v1/secret/../sys')).toThrow(/'\.\.'/);
    expect(() => apiPath('/v1/secret/./x')).toThrow();
    expect(() => apiPath('/v1/secret/%2e%2e/sys')).toThrow();
    expect(() => apiPath('/v1/secret/a%00b')).toThrow(/non-printable/);
  });
});

describe('mount table', () => {
  const t = new MountTable([newMountEntry('mounts', 'secret/', 'kv'), newMountEntry('mounts', 'secret/team/', 'kv'), newMountEntry('auth', 'token/', 'token')]);
  it('routes by the longest prefix', () => {
    expect(t.match('secret/team/x')?.path).toBe('secret/team/');
    expect(t.match('secret/other')?.path).toBe('secret/');
    expect(t.match('auth/token/create')?.type).toBe('token');
    expect(t.match('nothing/here')).toBeUndefined();
  });
  it('refuses overlapping and protected mounts', () => {
    expect(() => t.assertMountable('secret/team/deeper/', 'mounts')).toThrow(/already in use/);
    expect(() => t.assertMountable('sec/', 'mounts')).not.toThrow();
    expect(() => t.assertMountable('sys/foo/', 'mounts')).toThrow(/cannot mount/);
  });
  it('normalises mount paths', () => {
    expect(normaliseMountPath('/foo')).toBe('foo/');
    expect(() => normaliseMountPath('a/../b')).toThrow();
  });
});

describe('policy normalisation', () => {
  it('lower-cases, dedupes, sorts and adds default', () => {
    expect(normalisePolicies(['B', 'a', 'b'], false)).toEqual(['a', 'b', 'default']);
    expect(normalisePolicies(['a'], true)).toEqual(['a']);
    expect(normalisePolicies(['root', 'a'], false)).toEqual(['root']);
  });
});
