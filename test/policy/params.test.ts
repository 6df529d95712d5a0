/** Parameter constraints and response-wrapping TTL bounds (spec §6.5, vault/acl.go). */
import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/acl.js';
import type { AclOperation } from '../../src/policy/capabilities.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { globbedStringsMatch, splitCommaString } from '../../src/policy/params.js';
import { aclOf } from './helpers.js';

const WRITE: AclOperation[] = ['create', 'update'];

function check(acl: ReturnType<typeof aclOf>, path: string, data: Record<string, unknown> | undefined, op: AclOperation = 'update') {
  return acl.allowOperation({ path, operation: op, data });
}

describe('documentation examples', () => {
  it('secret/restricted: "foo" any value, "bar" one of zip/zap, nothing else', () => {
    const acl = aclOf(`
path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
}`);
    const ok = (data: Record<string, unknown>) => check(acl, 'secret/restricted', data, 'create').allowed;
    expect(ok({ foo: 'anything', bar: 'zip' })).toBe(true);
    expect(ok({ bar: 'zap' })).toBe(true);
    expect(ok({ bar: 'nope' })).toBe(false);
    expect(ok({ other: 1 })).toBe(false);
    expect(check(acl, 'secret/restricted', {}, 'create').allowed).toBe(true);
  });

  it('required_parameters: name and id must both be present', () => {
    const acl = aclOf(`path "secret/profile" {\n capabilities = ["create"]\n required_parameters = ["name", "id"]\n}`);
    expect(check(acl, 'secret/profile', { name: 'a', id: 1 }, 'create').allowed).toBe(true);
    expect(check(acl, 'secret/profile', { name: 'a' }, 'create')).toMatchObject({ allowed: false, reason: 'missing required parameter' });
    expect(check(acl, 'secret/profile', undefined, 'create').allowed).toBe(false);
  });

  it('"*" = [] with a restricted key: other parameters are free, bar is restricted', () => {
    const acl = aclOf(`path "secret/foo" {\n capabilities = ["create"]\n allowed_parameters = {\n "bar" = ["zip", "zap"]\n "*" = []\n }\n}`);
    expect(check(acl, 'secret/foo', { anything: 1, bar: 'zip' }, 'create').allowed).toBe(true);
    expect(check(acl, 'secret/foo', { bar: 'zop' }, 'create').allowed).toBe(false);
  });

  it('denied_parameters with [] deny the key; with values deny those values; "*" denies any data', () => {
    const acl = aclOf(`
path "auth/userpass/users/*" {
  capabilities = ["update"]
  denied_parameters = { "token_policies" = [] "policies" = [] }
}
path "auth/token/roles/*" {
  capabilities = ["create", "update"]
  denied_parameters = { "allowed_policies" = ["admin"] }
}
path "transit/keys/*" {
  capabilities = ["create", "update"]
  denied_parameters = { "*" = [] }
}`);
    expect(check(acl, 'auth/userpass/users/bob', { password: 'x' }).allowed).toBe(true);
    expect(check(acl, 'auth/userpass/users/bob', { password: 'x', token_policies: 'a' })).toMatchObject({ allowed: false, reason: 'denied parameter' });
    expect(check(acl, 'auth/token/roles/r', { allowed_policies: 'dev' }).allowed).toBe(true);
    expect(check(acl, 'auth/token/roles/r', { allowed_policies: 'admin' }).allowed).toBe(false);
    expect(check(acl, 'transit/keys/k', { type: 'aes' }).allowed).toBe(false);
    expect(check(acl, 'transit/keys/k', {}).allowed).toBe(true);
  });

  it('value globs: "foo-*" prefix', () => {
    const acl = aclOf(`path "secret/foo" {\n capabilities = ["create"]\n allowed_parameters = { "bar" = ["foo-*"] }\n}`);
    expect(check(acl, 'secret/foo', { bar: 'foo-1' }, 'create').allowed).toBe(true);
    expect(check(acl, 'secret/foo', { bar: 'xfoo-1' }, 'create').allowed).toBe(false);
  });

  it('default values are not considered: denied no_store=false only bites when sent', () => {
    const acl = aclOf(`path "secret/foo" {\n capabilities = ["create"]\n denied_parameters = { "no_store" = [false, "false"] }\n}`);
    expect(check(acl, 'secret/foo', { no_store: false, value: 'bar' }, 'create').allowed).toBe(false);
    expect(check(acl, 'secret/foo', { no_store: 'false' }, 'create').allowed).toBe(false);
    expect(check(acl, 'secret/foo', { value: 'bar' }, 'create').allowed).toBe(true);
  });
});

describe('value matching (Vault valuePermissionsPolicy style)', () => {
  const acl = aclOf(`
path "dev" {
  capabilities = ["create", "update"]
  allowed_parameters = { "allow" = ["good"] }
}
path "both" {
  capabilities = ["create", "update"]
  allowed_parameters = { "allow" = ["good"] "ALLOW_multi" = ["good", "good1", "*good3"] }
  denied_parameters = { "Deny" = ["bad*"] }
}
path "types" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "map" = [{ "good" = "one" }]
    "bool" = [false]
    "int" = [1]
    "list" = [["a", "b"]]
  }
}
path "star" {
  capabilities = ["create", "update"]
  allowed_parameters = { "*" = [] }
  denied_parameters = { "bar" = [true] }
}`);

  it.each<[string, Record<string, unknown>, boolean]>([
    ['dev', { allow: 'good' }, true],
    ['dev', { allow: 'bad' }, false],
    ['both', { aLLow: 'good' }, true],
    ['both', { deny: 'bad' }, false],
    ['both', { DENY: 'bad glob' }, false],
    ['both', { deny: 'good' }, false], // not in allowed list
    ['both', { allow: 'good', deny: 'bad' }, false],
    ['both', { allow_multi: 'good1' }, true],
    ['both', { allow_multi: 'glob good3' }, true],
    ['both', { allow_multi: 'glob good2' }, false],
    ['both', { allow_multi: 'good1', allow: 'good' }, true],
    ['both', { neither: 'x' }, false],
    ['types', { map: { good: 'one' } }, true],
    ['types', { map: { bad: 'one' } }, false],
    ['types', { bool: false }, true],
    ['types', { bool: true }, false],
    // Vault compares policy ints with json.Number request values: never equal.
    ['types', { int: 1 }, false],
    ['types', { list: ['a', 'b'] }, true],
    ['star', { anything: true }, true],
    ['star', { bar: false }, true],
    ['star', { bar: true }, false],
  ])('%s %j → %s', (path, data, expected) => {
    for (const op of WRITE) expect(check(acl, path, data, op).allowed).toBe(expected);
  });

  it('parameter constraints apply to read, create, update, patch — not delete or list', () => {
    const a = aclOf(`path "x" {\n capabilities = ["read", "create", "update", "patch", "delete", "list"]\n allowed_parameters = { "ok" = [] }\n}`);
    for (const op of ['read', 'create', 'update', 'patch'] as const) expect(check(a, 'x', { bad: 1 }, op).allowed).toBe(false);
    for (const op of ['delete', 'list'] as const) expect(check(a, 'x', { bad: 1 }, op).allowed).toBe(true);
  });

  it('null matches only null', () => {
    const a = aclOf(`path "x" {\n capabilities = ["update"]\n allowed_parameters = { "v" = ["a"] }\n}`);
    expect(check(a, 'x', { v: null }).allowed).toBe(false);
  });
});

describe('list-valued parameters (Vault 1.21)', () => {
  const policy = `
path "auth/token/roles/*" {
  capabilities = ["update"]
  allowed_parameters = { "allowed_policies" = ["dev-*", "ops"] "*" = [] }
  denied_parameters = { "disallowed" = ["root", "admin"] }
}`;
  const acl = aclOf(policy);
  const legacy = compilePolicySet([parsePolicy('p', policy)], { legacyListMatching: true });

  it.each<[unknown, boolean, boolean]>([
    [['dev-a', 'ops'], true, false],
    [['dev-a', 'admin'], false, false],
    ['ops,dev-a', true, false],
    ['ops, dev-a', true, false],
    ['ops,admin', false, false],
    // The docs' globbing caveat: the whole string matches "dev-*" before any splitting.
    ['dev-a,admin', true, true],
    [[], true, false],
    ['ops', true, true],
  ])('allowed: %j → %s (legacy %s)', (value, expected, expectedLegacy) => {
    expect(check(acl, 'auth/token/roles/r', { allowed_policies: value }).allowed).toBe(expected);
    expect(check(legacy, 'auth/token/roles/r', { allowed_policies: value }).allowed).toBe(expectedLegacy);
  });

  it.each<[unknown, boolean, boolean]>([
    [['a', 'admin'], false, true],
    ['a,root', false, true],
    [['a', 'b'], true, true],
    ['admin', false, false],
  ])('denied: %j → allowed %s (legacy %s)', (value, expected, expectedLegacy) => {
    expect(check(acl, 'auth/token/roles/r', { disallowed: value }).allowed).toBe(expected);
    expect(check(legacy, 'auth/token/roles/r', { disallowed: value }).allowed).toBe(expectedLegacy);
  });

  it('policies / token_policies values are compared lower-cased', () => {
    const a = aclOf(`path "auth/userpass/users/*" {\n capabilities = ["update"]\n denied_parameters = { "token_policies" = ["admin"] }\n}`);
    expect(check(a, 'auth/userpass/users/u', { token_policies: 'ADMIN' }).allowed).toBe(false);
    expect(check(a, 'auth/userpass/users/u', { token_policies: ['dev', 'Admin'] }).allowed).toBe(false);
    expect(check(a, 'auth/userpass/users/u', { token_policies: ['dev'] }).allowed).toBe(true);
  });
});

describe('glob and comma helpers', () => {
  it.each([
    ['*', 'anything', false],
    ['*', '*', true],
    ['a*', 'abc', true],
    ['*c', 'abc', true],
    ['*b*', 'abc', true],
    ['*x*', 'abc', false],
    ['abc', 'abc', true],
    ['a', 'ab', false],
  ])('glob %s ~ %s → %s', (pattern, value, expected) => {
    expect(globbedStringsMatch(pattern, value)).toBe(expected);
  });

  it('splits comma strings like parseutil.ParseCommaStringSlice', () => {
    expect(splitCommaString('')).toEqual([]);
    expect(splitCommaString(' a , b,,c ')).toEqual(['a', 'b', '', 'c']);
  });
});

describe('response-wrapping TTL bounds', () => {
  const acl = aclOf(`
path "min" { capabilities = ["update"] min_wrapping_ttl = "100s" }
path "max" { capabilities = ["update"] max_wrapping_ttl = 300 }
path "both" { capabilities = ["update"] min_wrapping_ttl = "1s" max_wrapping_ttl = "90s" }
`);
  it.each<[string, number | undefined, boolean]>([
    ['min', undefined, false],
    ['min', 50, false],
    ['min', 100, true],
    ['min', 450, true],
    ['max', undefined, false],
    ['max', 300, true],
    ['max', 301, false],
    ['both', undefined, false],
    ['both', 1, true],
    ['both', 90, true],
    ['both', 91, false],
  ])('%s with wrap ttl %s → %s', (path, wrapTtl, expected) => {
    const v = acl.allowOperation({ path, operation: 'update', wrapTtl });
    expect(v.allowed).toBe(expected);
    if (!expected) expect(v.reason).toBe('wrapping ttl not allowed');
  });

  it('merged min above merged max refuses every request', () => {
    const merged = aclOf(`path "x" { capabilities = ["update"] min_wrapping_ttl = "100s" }`, `path "x" { capabilities = ["read"] max_wrapping_ttl = "50s" }`);
    for (const wrapTtl of [undefined, 10, 50, 75, 100, 200]) expect(merged.allowOperation({ path: 'x', operation: 'update', wrapTtl }).allowed).toBe(false);
  });
});
