/**
 * Which rule governs a path: exact > highest-priority wildcard (spec §6.4, vault/acl.go), including
 * every example of Vault's policy documentation.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/acl.js';
import { ROOT_POLICY } from '../../src/policy/builtin.js';
import type { AclOperation } from '../../src/policy/capabilities.js';
import { aclOf, block } from './helpers.js';

/** Each rule grants a distinct capability set, so the capabilities reveal which rule won. */
function winner(rules: string[], path: string): string[] {
  return aclOf(rules.join('\n')).capabilities(path);
}

describe('Vault documentation examples', () => {
  const docsPolicy = [
    block('secret/foo', 'read'),
    block('secret/bar/*', 'read'),
    block('secret/zip-*', 'read'),
    block('secret/+/teamb', 'read'),
    block('secret/+/+/teamb', 'read'),
  ].join('\n');
  const acl = aclOf(docsPolicy);

  it.each([
    // "Permit reading only secret/foo. An attached token cannot read secret/food or secret/foo/bar."
    ['secret/foo', true],
    ['secret/food', false],
    ['secret/foo/bar', false],
    // "could read secret/bar/zip, secret/bar/zip/zap, but not secret/bars/zip"
    ['secret/bar/zip', true],
    ['secret/bar/zip/zap', true],
    ['secret/bars/zip', false],
    // "could read secret/zip-zap or secret/zip-zap/zong, but not secret/zip/zap"
    ['secret/zip-zap', true],
    ['secret/zip-zap/zong', true],
    ['secret/zip/zap', false],
    // "+ ... the teamb path under any top-level path under secret/"
    ['secret/a/teamb', true],
    ['secret/foo/bar/teamb', true],
    ['secret/bar/foo/teamb', true],
    ['secret/teamb', false],
    ['secret/a/b/c/teamb', false],
  ])('read %s → %s', (path, expected) => {
    expect(acl.allowOperation({ path, operation: 'read' }).allowed).toBe(expected);
  });

  it('"secret/*" with an explicit deny on secret/super-secret: the exact deny takes precedence', () => {
    const a = aclOf(block('secret/*', 'create', 'read', 'update', 'patch', 'delete', 'list') + block('secret/super-secret', 'deny'));
    expect(a.allowOperation({ path: 'secret/super-secret', operation: 'read' }).allowed).toBe(false);
    expect(a.allowOperation({ path: 'secret/other', operation: 'read' }).allowed).toBe(true);
    expect(a.capabilities('secret/super-secret')).toEqual(['deny']);
  });

  it('"secret/foo*" also matches "secret/foobar"', () => {
    expect(winner([block('secret/foo*', 'read')], 'secret/foobar')).toEqual(['read']);
  });

  it('"secret/*" beats "secret/+/+/foo/*" (rule 3: fewer + segments)', () => {
    expect(winner([block('secret/*', 'read'), block('secret/+/+/foo/*', 'list')], 'secret/a/b/foo/c')).toEqual(['read']);
  });
});

describe('priority ranking (spec §6.4 step 3, vault/acl.go comparator)', () => {
  it.each([
    // (a) later first wildcard wins
    ['foo/a* over foo/+', [block('foo/a*', 'read'), block('foo/+', 'list')], 'foo/abc', ['read']],
    ['foo/bar/+/baz over foo/+/bar/baz', [block('foo/bar/+/baz', 'read'), block('foo/+/bar/baz', 'list')], 'foo/bar/bar/baz', ['read']],
    ['longest * prefix over a shorter one', [block('a/*', 'list'), block('a/b/*', 'read')], 'a/b/c', ['read']],
    ['a later + beats an earlier * prefix', [block('a/*', 'list'), block('a/b/+', 'read')], 'a/b/c', ['read']],
    ['a * prefix ending later beats an earlier +', [block('a/+/c', 'list'), block('a/b/*', 'read')], 'a/b/c', ['read']],
    // (b) not ending in * beats ending in *
    ['foo/+ over foo/*', [block('foo/*', 'list'), block('foo/+', 'read')], 'foo/x', ['read']],
    ['foo/+/bar over foo/+/ba*', [block('foo/+/ba*', 'list'), block('foo/+/bar', 'read')], 'foo/x/bar', ['read']],
    // (c) fewer + segments
    ['x/+/a+ (1 +) over x/+/+ (2 +)', [block('x/+/+', 'list'), block('x/+/a+', 'read')], 'x/1/a+', ['read']],
    ['foo/+/bar/* (1 +) over foo/+/+/* (2 +)', [block('foo/+/+/*', 'list'), block('foo/+/bar/*', 'read')], 'foo/x/bar/y', ['read']],
    // (d) longer pattern
    ['foo/+/bar/ba* over foo/+/bar/b*', [block('foo/+/bar/b*', 'list'), block('foo/+/bar/ba*', 'read')], 'foo/x/bar/bax', ['read']],
    // (e) lexicographically greater
    ['all else equal: x/+/b/+ over x/+/+/c (greater bytes)', [block('x/+/+/c', 'list'), block('x/+/b/+', 'read')], 'x/1/b/c', ['read']],
    ['all else equal: foo/+/a/+ over foo/+/+/b', [block('foo/+/a/+', 'list'), block('foo/+/+/b', 'read')], 'foo/x/a/b', ['list']],
  ])('%s', (_name, rules, path, expected) => {
    expect(winner(rules, path)).toEqual(expected);
  });

  it('an exact rule beats every wildcard, even a broader grant', () => {
    expect(winner([block('a/b', 'read'), block('a/*', 'sudo', 'read', 'list'), block('a/+', 'update')], 'a/b')).toEqual(['read']);
  });

  it('only the best match applies: a more specific rule without the capability hides a broader grant', () => {
    const acl = aclOf(block('secret/*', 'read'), block('secret/app/*', 'list'));
    expect(acl.allowOperation({ path: 'secret/app/x', operation: 'read' }).allowed).toBe(false);
    expect(acl.allowOperation({ path: 'secret/other/x', operation: 'read' }).allowed).toBe(true);
  });

  it('a more specific deny overrides a broader grant; a broader deny does not override a specific grant', () => {
    const acl = aclOf(block('secret/*', 'read'), block('secret/private/*', 'deny'), block('secret/private/ok', 'read'));
    expect(acl.capabilities('secret/private/x')).toEqual(['deny']);
    expect(acl.capabilities('secret/private/ok')).toEqual(['read']);
    expect(acl.capabilities('secret/public')).toEqual(['read']);
  });

  it('a block with no capabilities still wins the match and grants nothing', () => {
    const acl = aclOf(block('secret/*', 'read'), 'path "secret/empty" {}\n');
    expect(acl.capabilities('secret/empty')).toEqual(['deny']);
  });

  it('"*" alone matches every path, "+" alone one segment', () => {
    const acl = aclOf(block('*', 'read'), block('+', 'list'));
    expect(acl.capabilities('anything/at/all')).toEqual(['read']);
    expect(acl.capabilities('single')).toEqual(['list']);
  });
});

describe('segment (+) matching', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/c/d', false],
    ['a/+/c', 'a/c', false],
    ['a/+/c', 'a//c', true],
    ['a/+', 'a/', true],
    ['a/+/', 'a/b/', true],
    ['a/+/', 'a/b', false],
    ['+/b', 'x/b', true],
    ['a/+/c*', 'a/b/cde/f/g', true],
    ['a/+/c*', 'a/b/c', true],
    ['a/+/c*', 'a/b/d', false],
    ['a/+/c*', 'a/b', false],
    ['a/+/*', 'a/b/', true],
    ['a/+/*', 'a/b/anything/deeper', true],
    ['a/+/*', 'a/b', false],
    ['a/+bar/c', 'a/+bar/c', true],
    ['a/+bar/c', 'a/xbar/c', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(aclOf(block(pattern, 'read')).allowOperation({ path, operation: 'read' }).allowed).toBe(expected);
  });

  it('many literal siblings (map-indexed trie node) still match correctly', () => {
    const rules = Array.from({ length: 20 }, (_, i) => block(`kv/+/team${i}/+`, i % 2 === 0 ? 'read' : 'list'));
    const acl = aclOf(rules.join('\n'));
    expect(acl.capabilities('kv/x/team4/y')).toEqual(['read']);
    expect(acl.capabilities('kv/x/team7/y')).toEqual(['list']);
    expect(acl.capabilities('kv/x/team70/y')).toEqual(['deny']);
  });
});

describe('LIST and trailing slashes', () => {
  it('exact rule without the trailing slash grants LIST on path/', () => {
    const acl = aclOf(block('sys/policies/acl', 'list'));
    expect(acl.allowOperation({ path: 'sys/policies/acl/', operation: 'list' }).allowed).toBe(true);
    // Only LIST gets the fallback.
    expect(acl.allowOperation({ path: 'sys/policies/acl/', operation: 'read' }).allowed).toBe(false);
  });

  it('VAULT-3825: a + rule without the trailing slash grants LIST on path/', () => {
    const acl = aclOf(block('+/sys/policies/acl', 'list'));
    expect(acl.allowOperation({ path: 'ns1/sys/policies/acl/', operation: 'list' }).allowed).toBe(true);
    expect(acl.allowOperation({ path: 'ns1/sys/policies/acl', operation: 'list' }).allowed).toBe(true);
  });

  it('a more specific deny on the slash form is not bypassed through the trimmed form', () => {
    const acl = aclOf(block('kv1/+', 'list', 'read'), block('kv1/private/*', 'deny'));
    expect(acl.allowOperation({ path: 'kv1/private/', operation: 'list' }).allowed).toBe(false);
    expect(acl.capabilities('kv1/private/')).toEqual(['deny']);
    expect(acl.allowOperation({ path: 'kv1/public/', operation: 'list' }).allowed).toBe(true);
  });

  it('a more specific list grant beats a less specific deny', () => {
    const acl = aclOf(block('kv1/*', 'deny'), block('kv1/team/+', 'list'));
    expect(acl.allowOperation({ path: 'kv1/team/x/', operation: 'list' }).allowed).toBe(true);
  });

  it('for LIST the list-granting candidate wins over a more specific rule without list', () => {
    const acl = aclOf(block('kv/+', 'list'), block('kv/app/*', 'read'));
    expect(acl.allowOperation({ path: 'kv/app/', operation: 'list' }).allowed).toBe(true);
    expect(acl.allowOperation({ path: 'kv/app/x', operation: 'read' }).allowed).toBe(true);
  });

  it('neither deny nor list: the most specific candidate decides (and refuses LIST)', () => {
    const acl = aclOf(block('kv/*', 'read'));
    expect(acl.allowOperation({ path: 'kv/dir/', operation: 'list' }).allowed).toBe(false);
    expect(acl.capabilities('kv/dir/')).toEqual(['read']);
  });
});

describe('operations → capabilities', () => {
  const acl = aclOf(
    block('c', 'create'),
    block('r', 'read'),
    block('u', 'update'),
    block('p', 'patch'),
    block('d', 'delete'),
    block('l', 'list'),
    block('rec', 'recover'),
  );
  it.each<[AclOperation, string, boolean]>([
    ['create', 'c', true],
    ['update', 'c', false],
    ['read', 'r', true],
    ['update', 'u', true],
    ['create', 'u', false],
    ['patch', 'p', true],
    ['update', 'p', false],
    ['delete', 'd', true],
    ['list', 'l', true],
    ['read', 'l', false],
    ['renew', 'u', true],
    ['revoke', 'u', true],
    ['rollback', 'u', true],
    ['renew', 'r', false],
    ['recover', 'rec', true],
    ['help', 'nothing/here', true],
    ['alias-lookahead', 'u', false],
    ['resolve-role', 'r', false],
    ['header', 'r', false],
  ])('%s on %s → %s', (operation, path, expected) => {
    expect(acl.allowOperation({ path, operation }).allowed).toBe(expected);
  });

  it('reports the policies that granted the needed capability', () => {
    const two = aclOf(block('x', 'read'), block('x', 'read', 'update'));
    expect(two.allowOperation({ path: 'x', operation: 'read' }).grantingPolicies).toEqual(['p0', 'p1']);
    expect(two.allowOperation({ path: 'x', operation: 'update' }).grantingPolicies).toEqual(['p1']);
  });

  it('leading slashes on the request path are ignored', () => {
    expect(acl.allowOperation({ path: '//r', operation: 'read' }).allowed).toBe(true);
  });
});

describe('sudo and root', () => {
  it('root-protected paths need sudo as well as the capability', () => {
    const acl = aclOf(block('sys/audit/*', 'create', 'update'), block('sys/seal', 'update', 'sudo'));
    const v = acl.allowOperation({ path: 'sys/audit/file', operation: 'update', rootProtected: true });
    expect(v).toMatchObject({ allowed: false, rootPrivs: false, reason: 'sudo required' });
    expect(acl.allowOperation({ path: 'sys/seal', operation: 'update', rootProtected: true })).toMatchObject({ allowed: true, rootPrivs: true });
    // Help is never refused for lack of sudo.
    expect(acl.allowOperation({ path: 'sys/audit/file', operation: 'help', rootProtected: true }).allowed).toBe(true);
  });

  it('sudo alone grants no operation', () => {
    const acl = aclOf(block('sys/rotate', 'sudo'));
    expect(acl.allowOperation({ path: 'sys/rotate', operation: 'update', rootProtected: true })).toMatchObject({ allowed: false, rootPrivs: true });
  });

  it('root allows everything and reports root', () => {
    const acl = aclOf(block('x', 'deny'));
    expect(acl.isRoot).toBe(false);
    const root = compileRoot();
    expect(root.allowOperation({ path: 'sys/seal', operation: 'update', rootProtected: true })).toMatchObject({ allowed: true, rootPrivs: true, isRoot: true });
    expect(root.capabilities('anything')).toEqual(['root']);
  });
});

function compileRoot() {
  return compilePolicySet([ROOT_POLICY]);
}

describe('sys/capabilities output', () => {
  it('is sorted; nothing matching gives ["deny"]', () => {
    const acl = aclOf(block('a/*', 'update', 'sudo', 'read', 'create', 'list', 'delete', 'patch', 'subscribe'));
    expect(acl.capabilities('a/b')).toEqual(['create', 'delete', 'list', 'patch', 'read', 'subscribe', 'sudo', 'update']);
    expect(acl.capabilities('b')).toEqual(['deny']);
  });
});
