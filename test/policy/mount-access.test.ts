/** sys/internal/ui/mounts visibility (hasMountAccess) and sys/internal/ui/resultant-acl. */
import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/acl.js';
import { ROOT_POLICY } from '../../src/policy/builtin.js';
import { aclOf, block } from './helpers.js';

describe('hasMountAccess', () => {
  it.each<[string, string, boolean]>([
    [block('secret/*', 'read'), 'secret/', true],
    [block('secret/data/app', 'read'), 'secret/', true],
    [block('secret/data/app/*', 'list'), 'secret/', true],
    [block('sec*', 'read'), 'secret/', true],
    [block('*', 'read'), 'kv/', true],
    [block('secret/data/app', 'deny'), 'secret/', false],
    [block('secret/data/app', 'subscribe'), 'secret/', false],
    [block('other/*', 'read'), 'secret/', false],
    [block('+/data/*', 'read'), 'secret/', true],
    [block('kv/+/config', 'read'), 'kv/team/', true],
    [block('kv/+/config', 'deny'), 'kv/team/', false],
    [block('kv/x/+', 'read'), 'kv/team/', false],
    [block('auth/+/login', 'update'), 'auth/userpass/', true],
  ])('%s → mount %s: %s', (policy, mount, expected) => {
    expect(aclOf(policy).hasMountAccess(mount)).toBe(expected);
  });

  it('a deny on the mount itself is skipped in favour of a grant beneath it', () => {
    expect(aclOf(block('secret/*', 'deny') + block('secret/data/ok', 'read')).hasMountAccess('secret/')).toBe(true);
  });

  it('root sees every mount', () => {
    expect(compilePolicySet([ROOT_POLICY]).hasMountAccess('anything/')).toBe(true);
  });
});

describe('resultantAcl', () => {
  it('lists exact and glob paths with capabilities and constraints', () => {
    const acl = aclOf(
      `path "secret/data/x" {\n capabilities = ["read", "update"]\n required_parameters = ["a"]\n max_wrapping_ttl = "1m"\n}`,
      block('secret/*', 'list') + block('kv/+/cfg', 'read') + block('kv/+/db*', 'deny'),
    );
    expect(acl.resultantAcl()).toEqual({
      root: false,
      exact_paths: {
        'secret/data/x': { capabilities: ['read', 'update'], required_parameters: ['a'], max_wrapping_ttl: 60 },
        'kv/+/cfg': { capabilities: ['read'] },
      },
      glob_paths: {
        'secret/': { capabilities: ['list'] },
        'kv/+/db': { capabilities: ['deny'] },
      },
    });
  });
});
