/** Merging of blocks with the same path string and kind (spec §6.3, vault/acl.go NewACL). */
import { describe, expect, it } from 'vitest';
import { mergeRuleInto, permissionsFromRule } from '../../src/policy/merge.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { aclOf, block } from './helpers.js';

/** Merges every block of the given policies that has path key `key`. */
function merged(key: string, ...texts: string[]) {
  const rules = texts.flatMap((t, i) => parsePolicy(`p${i}`, t).paths.map((r) => ({ r, name: `p${i}` }))).filter(({ r }) => r.key === key);
  const first = rules[0]!;
  const perms = permissionsFromRule(first.r, first.name);
  for (const { r, name } of rules.slice(1)) mergeRuleInto(perms, r, name);
  return perms;
}

describe('capabilities', () => {
  it('same path in two policies: union', () => {
    const acl = aclOf(block('secret/x', 'read'), block('secret/x', 'list', 'update'));
    expect(acl.capabilities('secret/x')).toEqual(['list', 'read', 'update']);
  });

  it('same path twice in one policy: union', () => {
    expect(aclOf(block('a/*', 'read') + block('a/*', 'delete')).capabilities('a/b')).toEqual(['delete', 'read']);
  });

  it('deny wins regardless of order and clears parameters', () => {
    for (const texts of [
      [block('x', 'read', 'update'), block('x', 'deny')],
      [block('x', 'deny'), block('x', 'read', 'update')],
    ]) {
      expect(aclOf(...texts).capabilities('x')).toEqual(['deny']);
    }
    const m = merged('x', `path "x" {\n capabilities = ["update"]\n allowed_parameters = { "a" = [] }\n denied_parameters = { "b" = [] }\n}`, block('x', 'deny'));
    expect(m.bits).toBe(1);
    expect(m.allowedParameters).toBeUndefined();
    expect(m.deniedParameters).toBeUndefined();
  });

  it('legacy policy = "deny" also wins', () => {
    expect(aclOf(block('x', 'sudo', 'read'), 'path "x" { policy = "deny" }').capabilities('x')).toEqual(['deny']);
  });

  it('different strings never merge: "secret/*" and "secret/+" stay separate rules', () => {
    const acl = aclOf(block('secret/*', 'read'), block('secret/+', 'list'));
    expect(acl.capabilities('secret/a')).toEqual(['list']);
    expect(acl.capabilities('secret/a/b')).toEqual(['read']);
  });

  it('a prefix rule and an exact rule with the same key are different kinds', () => {
    // "a/*" has key "a/" (prefix); "a/" is an exact rule.
    const acl = aclOf(block('a/*', 'read'), block('a/', 'list'));
    expect(acl.capabilities('a/')).toEqual(['list']);
    expect(acl.capabilities('a/b')).toEqual(['read']);
  });
});

describe('parameters and TTLs (Vault mergingPolicies cases)', () => {
  it('denied: [] wins per key, required unioned', () => {
    const m = merged(
      'foo/bar',
      `path "foo/bar" {\n policy = "write"\n denied_parameters = { "zip" = [] }\n required_parameters = ["baz"]\n}`,
      `path "foo/bar" {\n policy = "write"\n denied_parameters = { "baz" = [] }\n required_parameters = ["baz"]\n}`,
    );
    expect(m.deniedParameters).toEqual({ zip: [], baz: [] });
    expect(m.requiredParameters).toEqual(['baz']);
  });

  it('smallest non-zero min/max wrapping TTL each win; allowed keys unioned; required unioned', () => {
    const m = merged(
      'hello/universe',
      `path "hello/universe" {\n policy = "write"\n allowed_parameters = { "foo" = [] }\n required_parameters = ["foo"]\n max_wrapping_ttl = 300\n min_wrapping_ttl = 100\n}`,
      `path "hello/universe" {\n policy = "write"\n allowed_parameters = { "bar" = [] }\n required_parameters = ["bar"]\n max_wrapping_ttl = 200\n min_wrapping_ttl = 50\n}`,
      `path "hello/universe" {\n policy = "write"\n}`,
    );
    expect(m.minWrappingTtl).toBe(50);
    expect(m.maxWrappingTtl).toBe(200);
    expect(m.allowedParameters).toEqual({ foo: [], bar: [] });
    expect(m.requiredParameters).toEqual(['foo', 'bar']);
  });

  it('a zero TTL never overrides a set one', () => {
    const m = merged('t', `path "t" {\n policy = "read"\n max_wrapping_ttl = "60s"\n}`, `path "t" {\n policy = "read"\n}`);
    expect(m.maxWrappingTtl).toBe(60);
    expect(m.minWrappingTtl).toBe(0);
  });

  it('"*" and value lists: [] on either side wins, otherwise values concatenate (new first)', () => {
    const m = merged(
      'value/merge',
      `path "value/merge" {\n policy = "write"\n allowed_parameters = { "test" = [1, 2] "any" = ["x"] }\n denied_parameters = { "test" = [1, 2] }\n}`,
      `path "value/merge" {\n policy = "write"\n allowed_parameters = { "test" = [3, 4] "any" = [] }\n denied_parameters = { "test" = [3, 4] }\n}`,
    );
    expect(m.allowedParameters).toEqual({ test: [3, 4, 1, 2], any: [] });
    expect(m.deniedParameters).toEqual({ test: [3, 4, 1, 2] });
  });

  it('a block without allowed_parameters does not lift another block\'s restriction', () => {
    const acl = aclOf(`path "x" {\n capabilities = ["update"]\n allowed_parameters = { "a" = [] }\n}`, block('x', 'update'));
    expect(acl.allowOperation({ path: 'x', operation: 'update', data: { b: 1 } }).allowed).toBe(false);
  });

  it('mfa methods and subscribe event types are de-duplicated unions', () => {
    const m = merged(
      'e',
      `path "e" {\n capabilities = ["subscribe"]\n mfa_methods = ["b", "a"]\n subscribe_event_types = ["kv*"]\n}`,
      `path "e" {\n capabilities = ["read"]\n mfa_methods = ["a", "c"]\n subscribe_event_types = ["kv*", "pki*"]\n}`,
    );
    expect(m.mfaMethods).toEqual(['a', 'b', 'c']);
    expect(m.subscribeEventTypes).toEqual(['kv*', 'pki*']);
  });

  it('granting policies follow each capability', () => {
    const m = merged('g', block('g', 'read'), block('g', 'read', 'list'));
    expect(m.grantingPolicies[2]).toEqual(['p0', 'p1']); // read
    expect(m.grantingPolicies[5]).toEqual(['p1']); // list
  });
});
