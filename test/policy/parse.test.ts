/** Policy text → Policy (vault/policy.go parseACLPolicyWithTemplating), errors, builtins, templates. */
import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/acl.js';
import { DEFAULT_POLICY_TEXT, RESPONSE_WRAPPING_POLICY_TEXT, ROOT_POLICY } from '../../src/policy/builtin.js';
import { PolicyParseError, decodePolicyText, parsePolicy } from '../../src/policy/parse.js';
import { resolveTemplates } from '../../src/policy/templates.js';

function parseError(text: string): string {
  try {
    parsePolicy('p', text);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyParseError);
    return (e as Error).message;
  }
  throw new Error('expected a parse error');
}

describe('HCL policies', () => {
  it('reads every path field', () => {
    const p = parsePolicy(
      'full',
      `
name = "ignored"
path "/secret/data/app/*" {
  comment = "app secrets"
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
  allowed_parameters = { "TTL" = [] "role" = ["a-*", "b"] "*" = [] }
  denied_parameters = { "Policies" = [] }
  required_parameters = ["Name"]
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = "90s"
  mfa_methods = ["totp"]
  subscribe_event_types = ["kv*"]
}`,
    );
    expect(p.name).toBe('full');
    expect(p.templated).toBe(false);
    const [rule] = p.paths;
    expect(rule).toMatchObject({
      rawPath: '/secret/data/app/*',
      key: 'secret/data/app/',
      kind: 'prefix',
      capabilities: ['create', 'read', 'update', 'patch', 'delete', 'list'],
      allowedParameters: { ttl: [], role: ['a-*', 'b'], '*': [] },
      deniedParameters: { policies: [] },
      requiredParameters: ['Name'],
      minWrappingTtl: 1,
      maxWrappingTtl: 90,
      mfaMethods: ['totp'],
      subscribeEventTypes: ['kv*'],
    });
  });

  it.each([
    ['secret/foo', 'secret/foo', 'exact'],
    ['secret/foo*', 'secret/foo', 'prefix'],
    ['*', '', 'prefix'],
    ['secret/+/foo', 'secret/+/foo', 'segment'],
    ['secret/+/foo*', 'secret/+/foo*', 'segment'],
    ['+', '+', 'segment'],
    ['+/x', '+/x', 'segment'],
    ['a+b/c', 'a+b/c', 'exact'],
    ['secret/*/foo', 'secret/*/foo', 'exact'],
  ])('path %s → key %s (%s)', (path, key, kind) => {
    expect(parsePolicy('p', `path "${path}" { capabilities = ["read"] }`).paths[0]).toMatchObject({ key, kind });
  });

  it.each([
    ['read', ['read', 'list']],
    ['write', ['create', 'read', 'update', 'delete', 'list']],
    ['sudo', ['create', 'read', 'update', 'delete', 'list', 'sudo']],
    ['deny', ['deny']],
  ])('legacy policy = "%s" expands to %j', (legacy, caps) => {
    expect(parsePolicy('p', `path "x" { policy = "${legacy}" }`).paths[0]!.capabilities).toEqual(caps);
  });

  it('legacy policy adds to capabilities; deny replaces them', () => {
    expect(parsePolicy('p', 'path "x" {\n policy = "read"\n capabilities = ["update", "sudo"]\n}').paths[0]!.capabilities).toEqual(['update', 'sudo', 'read', 'list']);
    expect(parsePolicy('p', 'path "x" {\n policy = "deny"\n capabilities = ["read"]\n}').paths[0]!.capabilities).toEqual(['deny']);
  });

  it('deny discards every other capability and stops validation', () => {
    const rule = parsePolicy('p', 'path "x" {\n capabilities = ["read", "deny", "bogus"]\n min_wrapping_ttl = "nonsense"\n}').paths[0]!;
    expect(rule.capabilities).toEqual(['deny']);
    expect(rule.capabilityBits).toBe(1);
  });

  it.each([
    [30, 30],
    ['30', 30],
    ['1m30s', 90],
    ['2h', 7200],
    ['1d', 86400],
    ['1500ms', 1.5],
    ['', 0],
  ])('duration %j → %s seconds', (value, seconds) => {
    const v = typeof value === 'number' ? String(value) : JSON.stringify(value);
    expect(parsePolicy('p', `path "x" {\n capabilities = ["read"]\n max_wrapping_ttl = ${v}\n}`).paths[0]!.maxWrappingTtl).toBe(seconds);
  });

  it('blocks keep document order; the same path may repeat', () => {
    const p = parsePolicy('p', 'path "b" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }\npath "b" { capabilities = ["update"] }');
    expect(p.paths.map((r) => r.key)).toEqual(['b', 'a', 'b']);
  });

  it('an empty policy is valid and grants nothing', () => {
    expect(parsePolicy('p', '# nothing\n').paths).toEqual([]);
  });
});

describe('JSON and base64 policies', () => {
  const hcl = 'path "secret/*" {\n  capabilities = ["read", "list"]\n}\npath "sys/mounts" {\n  capabilities = ["read"]\n}\n';
  const json = JSON.stringify({ path: { 'secret/*': { capabilities: ['read', 'list'] }, 'sys/mounts': { capabilities: ['read'] } } });

  it('JSON object form', () => {
    const p = parsePolicy('p', json);
    expect(p.paths.map((r) => [r.key, r.kind, r.capabilities])).toEqual([
      ['secret/', 'prefix', ['read', 'list']],
      ['sys/mounts', 'exact', ['read']],
    ]);
  });

  it('JSON list-of-objects form and node-vault style legacy keywords', () => {
    const p = parsePolicy('p', JSON.stringify({ path: [{ 'secret/*': { policy: 'write' } }, { 'auth/token/*': { policy: 'read' } }] }));
    expect(p.paths.map((r) => [r.key, r.capabilities])).toEqual([
      ['secret/', ['create', 'read', 'update', 'delete', 'list']],
      ['auth/token/', ['read', 'list']],
    ]);
  });

  it('JSON with parameter maps', () => {
    const p = parsePolicy('p', JSON.stringify({ path: { x: { capabilities: ['update'], allowed_parameters: { Foo: ['a', 'b'] }, required_parameters: ['foo'] } } }));
    expect(p.paths[0]).toMatchObject({ allowedParameters: { foo: ['a', 'b'] }, requiredParameters: ['foo'] });
  });

  it('base64 of HCL and of JSON decode to the same rules; raw is the decoded text', () => {
    const fromHcl = parsePolicy('p', Buffer.from(hcl).toString('base64'));
    expect(fromHcl.raw).toBe(hcl);
    expect(fromHcl.paths.map((r) => r.key)).toEqual(['secret/', 'sys/mounts']);
    expect(parsePolicy('p', Buffer.from(json).toString('base64')).paths.map((r) => r.key)).toEqual(['secret/', 'sys/mounts']);
  });

  it('only strict standard base64 is decoded', () => {
    expect(decodePolicyText('abc')).toBe('abc');
    expect(decodePolicyText(hcl)).toBe(hcl);
    expect(decodePolicyText('cGF0aA==')).toBe('path');
    expect(decodePolicyText('cGF0aA==\n')).toBe('path');
    expect(decodePolicyText('cGF0aA')).toBe('cGF0aA'); // unpadded: not Go StdEncoding
  });
});

describe('parse errors (message after "failed to parse policy: ")', () => {
  it.each([
    ['unknown top-level key', 'foo = "bar"\npath "x" { capabilities = ["read"] }', '1 error occurred:\n\t* invalid key "foo" on line 1\n\n'],
    ['unknown top-level block (no "=": line 0, as HCL1 reports)', 'paths "x" {\n capabilities = ["read"]\n}', '1 error occurred:\n\t* invalid key "paths" on line 0\n\n'],
    [
      'several unknown keys',
      'a = 1\nb = 2\n',
      '2 errors occurred:\n\t* invalid key "a" on line 1\n\t* invalid key "b" on line 2\n\n',
    ],
    ['unknown path key', 'path "secret/x" {\n  capabilities = ["read"]\n  capability = ["list"]\n}', '1 error occurred:\n\t* path "secret/x": invalid key "capability" on line 3\n\n'],
    ['bad capability', 'path "secret/x" { capabilities = ["read", "write"] }', 'path "secret/x": invalid capability "write"'],
    ['bad legacy policy', 'path "secret/x" { policy = "admin" }', 'path "secret/x": invalid policy "admin"'],
    ['+* forbidden', 'path "/secret/+*" { capabilities = ["read"] }', `path "secret/+*": invalid use of wildcards ('+*' is forbidden)`],
    ['bad duration', 'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = "soon"\n}', 'error parsing min_wrapping_ttl: time: invalid duration "soon"'],
    ['max < min', 'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = "2m"\n max_wrapping_ttl = "1m"\n}', 'max_wrapping_ttl cannot be less than min_wrapping_ttl'],
    ['unbalanced template', 'path "secret/{{identity.entity.id" { capabilities = ["read"] }', 'failed to validate policy templating: unbalanced templating characters'],
    ['path body not an object', '{"path": "y"}', 'path "path": cannot check HCL keys of type *ast.LiteralType'],
    ['JSON path without labels is labelled "path"', '{"path": {"x": "y"}}', '1 error occurred:\n\t* path "path": invalid key "x" on line 1\n\n'],
  ])('%s', (_name, text, message) => {
    expect(parseError(text)).toBe(message);
  });

  it('HCL syntax errors carry the line and column', () => {
    const message = parseError('path "secret/x" {\n  capabilities = ["read"\n}\n');
    expect(message).toMatch(/^At 3:\d+: /);
  });

  it('invalid JSON carries the line', () => {
    expect(parseError('{\n"path": {\n  "x": {"capabilities": ["read" "list"]}\n}\n}')).toMatch(/^At 3:\d+: /);
  });

  it('capabilities must be a list', () => {
    expect(parseError('path "x" {\n capabilities = "read"\n}')).toMatch(/^path "x": At 2:\d+: unknown slice type/);
  });

  it('control group factors are validated', () => {
    expect(parseError('path "x" {\n capabilities = ["read"]\n control_group = {\n ttl = "1h"\n }\n}')).toBe('no control group factors provided');
    expect(
      parseError('path "x" {\n capabilities = ["read"]\n control_group = {\n factor "ops" {\n identity {\n group_names = ["ops"]\n approvals = 0\n }\n }\n }\n}'),
    ).toBe('must provide more than one identity group and approvals > 0');
    const ok = parsePolicy('p', 'path "x" {\n capabilities = ["read", "delete"]\n control_group = {\n ttl = "4h"\n factor "ops" {\n identity {\n group_names = ["ops"]\n approvals = 2\n }\n controlled_capabilities = ["delete"]\n }\n }\n}');
    expect(ok.paths[0]!.controlGroup).toEqual({ ttl: 14400, factors: [{ name: 'ops', groupIds: [], groupNames: ['ops'], approvals: 2, controlledCapabilities: ['delete'] }] });
  });
});

describe('identity templates', () => {
  const text = `
path "secret/data/{{identity.entity.id}}/*" { capabilities = ["read"] }
path "secret/data/groups/{{identity.groups.names.eng.id}}/*" { capabilities = ["list"] }
path "k8s/{{identity.entity.aliases.auth_kubernetes_1.metadata.service_account_namespace}}/*" { capabilities = ["update"] }
path "plain" { capabilities = ["read"] }
`;

  it('templated blocks are kept unresolved and never match before resolution', () => {
    const p = parsePolicy('t', text);
    expect(p.templated).toBe(true);
    expect(p.paths.map((r) => r.templated)).toEqual([true, true, true, false]);
    const acl = compilePolicySet([p]);
    expect(acl.capabilities('secret/data/{{identity.entity.id}}/x')).toEqual(['deny']);
    expect(acl.capabilities('plain')).toEqual(['read']);
  });

  it('resolution substitutes entity, group and alias values', () => {
    const p = resolveTemplates(parsePolicy('t', text), {
      entity: { id: 'e-1', name: 'alice', aliases: [{ mountAccessor: 'auth_kubernetes_1', id: 'a', name: 'sa', metadata: { service_account_namespace: 'prod' } }] },
      groups: [{ id: 'g-9', name: 'eng' }],
    });
    expect(p.templated).toBe(false);
    expect(p.paths.map((r) => r.key)).toEqual(['secret/data/e-1/', 'secret/data/groups/g-9/', 'k8s/prod/', 'plain']);
    const acl = compilePolicySet([p]);
    expect(acl.capabilities('secret/data/e-1/x')).toEqual(['read']);
    expect(acl.capabilities('k8s/prod/thing')).toEqual(['update']);
  });

  it('blocks that cannot be resolved are dropped', () => {
    expect(resolveTemplates(parsePolicy('t', text), {}).paths.map((r) => r.key)).toEqual(['plain']);
    const partial = resolveTemplates(parsePolicy('t', text), { entity: { id: 'e-1', name: '' } });
    expect(partial.paths.map((r) => r.key)).toEqual(['secret/data/e-1/', 'plain']);
  });
});

describe('built-in policies', () => {
  it('default policy text is Vault\'s and parses', () => {
    expect(DEFAULT_POLICY_TEXT.startsWith('\n# Allow tokens to look up their own properties\npath "auth/token/lookup-self" {\n    capabilities = ["read"]\n}\n')).toBe(true);
    expect(DEFAULT_POLICY_TEXT.endsWith('path "identity/oidc/provider/+/authorize" {\n\tcapabilities = ["read", "update"]\n}\n')).toBe(true);
    const p = parsePolicy('default', DEFAULT_POLICY_TEXT);
    expect(p.paths).toHaveLength(18);
    expect(p.templated).toBe(true);
  });

  it('default policy grants what spec §4.5 lists', () => {
    const acl = compilePolicySet([resolveTemplates(parsePolicy('default', DEFAULT_POLICY_TEXT), { entity: { id: 'eid', name: 'ename' } })]);
    const can = (path: string, operation: 'read' | 'update' | 'create' | 'delete' | 'list') => acl.allowOperation({ path, operation }).allowed;
    expect(can('auth/token/lookup-self', 'read')).toBe(true);
    for (const p of [
      'auth/token/renew-self',
      'auth/token/revoke-self',
      'sys/capabilities-self',
      'sys/leases/renew',
      'sys/renew',
      'sys/leases/lookup',
      'sys/wrapping/wrap',
      'sys/wrapping/lookup',
      'sys/wrapping/unwrap',
      'sys/tools/hash',
      'sys/tools/hash/sha2-256',
      'sys/control-group/request',
    ]) {
      expect(can(p, 'update'), p).toBe(true);
    }
    expect(can('identity/entity/id/eid', 'read')).toBe(true);
    expect(can('identity/entity/id/other', 'read')).toBe(false);
    expect(can('identity/entity/name/ename', 'read')).toBe(true);
    expect(can('sys/internal/ui/resultant-acl', 'read')).toBe(true);
    for (const op of ['create', 'read', 'update', 'delete', 'list'] as const) expect(can('cubbyhole/secret', op)).toBe(true);
    expect(acl.capabilities('identity/oidc/provider/default/authorize')).toEqual(['read', 'update']);
    expect(can('secret/anything', 'read')).toBe(false);
    expect(can('auth/token/lookup-self', 'update')).toBe(false);
  });

  it('response-wrapping policy parses', () => {
    expect(parsePolicy('response-wrapping', RESPONSE_WRAPPING_POLICY_TEXT).paths.map((r) => r.key)).toEqual(['cubbyhole/response', 'sys/wrapping/unwrap']);
  });

  it('root has no rules and compiles to an all-allowing ACL', () => {
    expect(ROOT_POLICY.paths).toEqual([]);
    const acl = compilePolicySet([ROOT_POLICY]);
    expect(acl.isRoot).toBe(true);
    expect(acl.resultantAcl()).toEqual({ root: true });
  });
});
