import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDev, type Spawned } from '../helpers/server.js';

let srv: Spawned & { token: string };
let root: Client;

beforeAll(async () => {
  srv = await startDev();
  root = new Client(srv.addr, srv.token);
});
afterAll(async () => {
  await srv?.kill();
});

async function createToken(c: Client, body: Record<string, unknown>): Promise<{ token: string; accessor: string; auth: Record<string, unknown> }> {
  const r = await c.post('auth/token/create', body);
  expect(r.status, r.text).toBe(200);
  const auth = r.body['auth'] as Record<string, unknown>;
  return { token: auth['client_token'] as string, accessor: auth['accessor'] as string, auth };
}

describe('policies', () => {
  it('writes, reads and lists ACL policies in HCL', async () => {
    const policy = 'path "secret/data/app/*" {\n  capabilities = ["create", "read", "update"]\n}\npath "secret/metadata/app/*" {\n  capabilities = ["list"]\n}\n';
    expect((await root.put('sys/policies/acl/app-reader', { policy })).status).toBe(204);
    const r = await root.get('sys/policies/acl/app-reader');
    expect(r.body['data']).toEqual({ name: 'app-reader', policy });
    const l = await root.list('sys/policies/acl');
    expect((l.body['data'] as { keys: string[] }).keys).toEqual(expect.arrayContaining(['app-reader', 'default', 'root']));
  });

  it('accepts the legacy sys/policy endpoint with `rules` and a JSON policy (node-vault)', async () => {
    const rules = JSON.stringify({ path: { 'secret/data/json/*': { capabilities: ['read'] } } });
    expect((await root.put('sys/policy/json-policy', { rules })).status).toBe(204);
    const r = await root.get('sys/policy/json-policy');
    expect(r.body['rules']).toBe(rules);
    expect((r.body['data'] as Record<string, unknown>)['rules']).toBe(rules);
  });

  it('refuses a malformed policy with a line number and stores nothing', async () => {
    const r = await root.put('sys/policies/acl/broken', { policy: 'path "secret/*" {\n  capabilities = ["read"\n' });
    expect(r.status).toBe(400);
    expect((r.body['errors'] as string[])[0]).toMatch(/^failed to parse policy: .*\d/);
    expect((await root.get('sys/policies/acl/broken')).status).toBe(404);
    const unknownCap = await root.put('sys/policies/acl/broken', { policy: 'path "a" { capabilities = ["fly"] }' });
    expect(unknownCap.status).toBe(400);
  });

  it('cannot touch root or delete default', async () => {
    expect((await root.put('sys/policies/acl/root', { policy: 'path "*" { capabilities = ["read"] }' })).status).toBe(400);
    const d = await root.delete('sys/policies/acl/default');
    expect(d.status).toBe(400);
    expect(d.body).toEqual({ errors: ['cannot delete default policy'] });
  });

  it('enforces a narrow policy: allowed inside, 403 outside', async () => {
    await root.post('secret/data/app/one', { data: { k: 'v' } });
    await root.post('secret/data/other/two', { data: { k: 'v' } });
    const { token } = await createToken(root, { policies: ['app-reader'] });
    const c = root.withToken(token);
    expect((await c.get('secret/data/app/one')).status).toBe(200);
    expect((await c.post('secret/data/app/new', { data: { a: 'b' } })).status).toBe(200);
    const denied = await c.get('secret/data/other/two');
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ errors: ['permission denied'] });
    expect((await c.delete('secret/data/app/one')).status).toBe(403);
    expect((await c.get('sys/mounts')).status).toBe(403);
    expect((await c.put('sys/policies/acl/evil', { policy: 'path "*" { capabilities = ["sudo"] }' })).status).toBe(403);
    // The default policy lets a token look itself up.
    expect((await c.get('auth/token/lookup-self')).status).toBe(200);
  });

  it('reports capabilities', async () => {
    const { token } = await createToken(root, { policies: ['app-reader'] });
    const r = await root.post('sys/capabilities', { token, paths: ['secret/data/app/x', 'secret/data/nope'] });
    expect(r.status).toBe(200);
    expect(r.body['secret/data/app/x']).toEqual(['create', 'read', 'update']);
    expect(r.body['secret/data/nope']).toEqual(['deny']);
    const self = await root.post('sys/capabilities-self', { path: 'anything' });
    expect(self.body['capabilities']).toEqual(['root']);
  });

  it('applies a policy change to existing tokens at once', async () => {
    await root.put('sys/policies/acl/flip', { policy: 'path "secret/data/flip" { capabilities = ["read"] }' });
    await root.post('secret/data/flip', { data: { a: 1 } });
    const { token } = await createToken(root, { policies: ['flip'] });
    const c = root.withToken(token);
    expect((await c.get('secret/data/flip')).status).toBe(200);
    await root.put('sys/policies/acl/flip', { policy: 'path "secret/data/flip" { capabilities = ["deny"] }' });
    expect((await c.get('secret/data/flip')).status).toBe(403);
  });
});

describe('tokens', () => {
  it('creates tokens with Vault auth block shape and looks them up', async () => {
    const { token, accessor, auth } = await createToken(root, { policies: ['app-reader'], ttl: '1h', meta: { team: 'a' } });
    expect(token).toMatch(/^hvs\./);
    expect(auth).toMatchObject({ policies: ['app-reader', 'default'], token_policies: ['app-reader', 'default'], metadata: { team: 'a' }, lease_duration: 3600, renewable: true, token_type: 'service', orphan: false, entity_id: '' });
    const l = await root.post('auth/token/lookup', { token });
    expect(l.body['data']).toMatchObject({ id: token, accessor, policies: ['app-reader', 'default'], display_name: 'token', path: 'auth/token/create', creation_ttl: 3600, type: 'service' });
    const la = await root.post('auth/token/lookup-accessor', { accessor });
    expect((la.body['data'] as Record<string, unknown>)['id']).toBe('');
  });

  it('refuses policies the parent does not hold', async () => {
    await root.put('sys/policies/acl/app-creator', { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
    const { token } = await createToken(root, { policies: ['app-reader', 'app-creator'] });
    const r = await root.withToken(token).post('auth/token/create', { policies: ['flip'] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ errors: ['child policies must be subset of parent'] });
  });

  it('revoking a parent revokes its children and grandchildren', async () => {
    await root.put('sys/policies/acl/creator', { policy: 'path "auth/token/create" { capabilities = ["update"] }' });
    const parent = await createToken(root, { policies: ['creator'] });
    const child = await createToken(root.withToken(parent.token), { policies: ['creator'] });
    const grandchild = await createToken(root.withToken(child.token), { policies: ['creator'] });
    const orphan = await createToken(root, { policies: ['creator'], no_parent: true });
    expect(orphan.auth['orphan']).toBe(true);
    expect((await root.post('auth/token/revoke', { token: parent.token })).status).toBe(204);
    for (const t of [parent, child, grandchild]) {
      expect((await root.withToken(t.token).get('auth/token/lookup-self')).status).toBe(403);
    }
    expect((await root.withToken(orphan.token).get('auth/token/lookup-self')).status).toBe(200);
  });

  it('revoke-orphan keeps the children alive as orphans', async () => {
    const parent = await createToken(root, { policies: ['creator'] });
    const child = await createToken(root.withToken(parent.token), { policies: ['creator'] });
    expect((await root.post('auth/token/revoke-orphan', { token: parent.token })).status).toBe(204);
    const l = await root.withToken(child.token).get('auth/token/lookup-self');
    expect(l.status).toBe(200);
    expect((l.body['data'] as Record<string, unknown>)['orphan']).toBe(true);
  });

  it('expires a token at its TTL', async () => {
    const { token } = await createToken(root, { policies: ['default'], ttl: '1s' });
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await root.withToken(token).get('auth/token/lookup-self')).status;
    }
    expect(status).toBe(403);
  });

  it('limits uses with num_uses', async () => {
    const { token } = await createToken(root, { policies: ['default'], num_uses: 2 });
    const c = root.withToken(token);
    expect((await c.get('auth/token/lookup-self')).status).toBe(200);
    expect((await c.get('auth/token/lookup-self')).status).toBe(200);
    expect((await c.get('auth/token/lookup-self')).status).toBe(403);
  });

  it('creates batch tokens that work but cannot be renewed', async () => {
    const r = await root.post('auth/token/create', { policies: ['app-reader'], type: 'batch', ttl: '10m' });
    expect(r.status).toBe(200);
    const auth = r.body['auth'] as Record<string, unknown>;
    expect(auth['client_token']).toMatch(/^hvb\./);
    expect(auth['token_type']).toBe('batch');
    expect(auth['accessor']).toBe('');
    const c = root.withToken(auth['client_token'] as string);
    expect((await c.get('secret/data/app/one')).status).toBe(200);
    expect((await c.put('auth/token/renew-self')).status).toBe(400);
  });

  it('renews within the max TTL and caps explicit_max_ttl', async () => {
    const { token } = await createToken(root, { policies: ['default'], ttl: '1m', explicit_max_ttl: '2m' });
    const r = await root.withToken(token).put('auth/token/renew-self', { increment: '10m' });
    expect(r.status).toBe(200);
    const auth = r.body['auth'] as Record<string, number>;
    expect(auth['lease_duration']).toBeLessThanOrEqual(120);
    expect(auth['lease_duration']).toBeGreaterThan(60);
    expect(r.body['warnings']).not.toBeNull();
  });

  it('creates tokens from roles', async () => {
    expect((await root.post('auth/token/roles/svc', { allowed_policies: ['app-reader'], orphan: true, token_period: '1h' })).status).toBe(204);
    const r = await root.post('auth/token/create/svc', {});
    expect(r.status, r.text).toBe(200);
    const auth = r.body['auth'] as Record<string, unknown>;
    expect(auth['orphan']).toBe(true);
    expect(auth['policies']).toEqual(['app-reader', 'default']);
    expect(auth['lease_duration']).toBe(3600);
    const bad = await root.post('auth/token/create/svc', { policies: ['flip'] });
    expect(bad.status).toBe(400);
  });
});

describe('mounts', () => {
  it('mounts, tunes, lists and unmounts, with 409 on conflicts', async () => {
    expect((await root.post('sys/mounts/team/kv', { type: 'kv-v2' })).status).toBe(204);
    const conflict = await root.post('sys/mounts/team', { type: 'kv' });
    expect(conflict.status).toBe(409);
    expect((conflict.body['errors'] as string[])[0]).toContain('path is already in use at team/kv/');
    const m = await root.get('sys/mounts');
    expect(m.body['team/kv/']).toMatchObject({ type: 'kv', options: { version: '2' } });
    expect((m.body['data'] as Record<string, unknown>)['secret/']).toBeDefined();
    const numTtl = await root.post('sys/mounts/numttl', { type: 'kv', config: { default_lease_ttl: 60 } });
    expect(numTtl.status).toBe(400);
    expect((await root.post('sys/mounts/team/kv/tune', { default_lease_ttl: '1h', max_lease_ttl: '2h' })).status).toBe(204);
    const t = await root.get('sys/mounts/team/kv/tune');
    expect(t.body).toMatchObject({ default_lease_ttl: 3600, max_lease_ttl: 7200 });
    expect((await root.post('sys/mounts/sys2', { type: 'nope' })).status).toBe(400);
    expect((await root.post('sys/mounts/sys/x', { type: 'kv' })).status).toBe(403);
    expect((await root.delete('sys/mounts/team/kv')).status).toBe(204);
    expect((await root.get('team/kv/data/x')).status).toBe(404);
  });
});
