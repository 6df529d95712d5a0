import { describe, expect, it } from 'vitest';
import { createAppRoleBackend } from '../../src/auth/approle/backend.js';
import { AuthHarness, loginAuth, ok } from './harness.js';

async function setup(role: Record<string, unknown> = {}): Promise<{ h: AuthHarness; roleId: string }> {
  const h = new AuthHarness((ctx) => createAppRoleBackend(ctx));
  await ok(h.write('role/web', { token_policies: 'app,Dev', token_ttl: '1h', token_max_ttl: '4h', ...role }));
  const roleId = (await ok(h.read('role/web/role-id')))['role_id'] as string;
  return { h, roleId };
}

const secretId = async (h: AuthHarness, data: Record<string, unknown> = {}): Promise<{ secret_id: string; secret_id_accessor: string }> =>
  (await ok(h.write('role/web/secret-id', data))) as { secret_id: string; secret_id_accessor: string };

describe('approle roles', () => {
  it('creates, reads, lists and deletes roles with tokenutil fields', async () => {
    const { h, roleId } = await setup({ secret_id_num_uses: 3, secret_id_ttl: '10m', token_bound_cidrs: '10.0.0.0/8,127.0.0.1' });
    expect(roleId).toMatch(/^[0-9a-f-]{36}$/);
    const r = await h.read('role/web');
    expect(r.data).toMatchObject({
      bind_secret_id: true,
      secret_id_num_uses: 3,
      secret_id_ttl: 600,
      local_secret_ids: false,
      token_policies: ['app', 'Dev'],
      token_ttl: 3600,
      token_max_ttl: 14400,
      token_bound_cidrs: ['10.0.0.0/8', '127.0.0.1'],
      token_type: 'default',
    });
    expect((await h.list('role')).data).toEqual({ keys: ['web'] });
    expect((await h.delete('role/web')).status).toBe(204);
    expect((await h.read('role/web')).status).toBe(404);
    expect((await h.list('role')).status).toBe(404);
  });

  it('accepts legacy policies/period, maps default-service with a warning, and rejects bad values', async () => {
    const { h } = await setup();
    const w = await h.write('role/legacy', { policies: 'B,a,a', period: 60, token_type: 'default-service' });
    expect(w.warnings).toEqual(['default-service has no useful meaning; adjusting to service']);
    expect((await h.read('role/legacy')).data).toMatchObject({ token_policies: ['a', 'b'], policies: ['a', 'b'], token_period: 60, period: 60, token_type: 'service' });
    expect((await h.write('role/x', { token_type: 'weird' })).error).toBe(`invalid 'token_type' value "weird"`);
    expect((await h.write('role/x', { token_ttl: '5h', token_max_ttl: '1h' })).error).toBe("'token_ttl' cannot be greater than 'token_max_ttl'");
    expect((await h.write('role/x', { secret_id_num_uses: -1 })).error).toBe('secret_id_num_uses cannot be negative');
    expect((await h.write('role/x', { bind_secret_id: false })).error).toBe('at least one constraint should be enabled on the role');
    expect((await h.write('role/x', { secret_id_bound_cidrs: 'nonsense' })).error).toBe('invalid CIDR blocks');
    expect((await h.write('role/x', { token_type: 'batch', token_num_uses: 2 })).status).toBe(400);
    expect((await h.write('role/web', { local_secret_ids: true })).error).toBe('local_secret_ids can only be modified during role creation');
  });

  it('lets a custom role_id be set, refuses one already in use, and moves the index', async () => {
    const { h } = await setup();
    await ok(h.write('role/other', { role_id: 'fixed-id' }));
    expect((await h.write('role/web/role-id', { role_id: 'fixed-id' })).error).toBe('role_id already in use');
    await ok(h.write('role/other/role-id', { role_id: 'new-id' }));
    const s = await ok(h.write('role/other/secret-id'));
    expect((await h.write('login', { role_id: 'fixed-id', secret_id: s['secret_id'] })).error).toBe('invalid role or secret ID');
    expect((await h.write('login', { role_id: 'new-id', secret_id: s['secret_id'] })).status).toBe(200);
  });

  it('exposes single properties at their own paths', async () => {
    const { h } = await setup();
    await ok(h.write('role/web/secret-id-num-uses', { secret_id_num_uses: 7 }));
    expect((await h.read('role/web/secret-id-num-uses')).data).toEqual({ secret_id_num_uses: 7 });
    await ok(h.write('role/web/policies', { token_policies: 'X,y' }));
    expect((await h.read('role/web/policies')).data).toEqual({ token_policies: ['x', 'y'] });
    await ok(h.delete('role/web/policies'));
    expect((await h.read('role/web/policies')).data).toEqual({ token_policies: [] });
    expect((await h.write('role/web/token-ttl', {})).error).toBe('missing token_ttl');
    expect((await h.read('role/web/local-secret-ids')).data).toEqual({ local_secret_ids: false });
  });
});

describe('approle secret IDs', () => {
  it('never stores the secret ID or accessor in the clear', async () => {
    const { h } = await setup();
    const s = await secretId(h, { metadata: '{"env":"prod"}' });
    const dump = h.store.dump();
    expect(dump).not.toContain(s.secret_id);
    expect(dump).not.toContain(s.secret_id_accessor.slice(0, 8) + '"'); // accessor only inside its own entry value
    expect([...h.store.entries.keys()].some((k) => k.includes(s.secret_id))).toBe(false);
    expect([...h.store.entries.keys()].some((k) => k.includes(s.secret_id_accessor))).toBe(false);
  });

  it('issues, lists, looks up and destroys by secret ID and by accessor', async () => {
    const { h } = await setup();
    const a = await secretId(h, { metadata: 'k1=v1,k2=v2', cidr_list: '127.0.0.0/8' });
    const b = await secretId(h);
    const keys = (await h.list('role/web/secret-id')).data?.['keys'] as string[];
    expect(keys.sort()).toEqual([a.secret_id_accessor, b.secret_id_accessor].sort());
    const look = await h.write('role/web/secret-id/lookup', { secret_id: a.secret_id });
    expect(look.data).toMatchObject({
      secret_id_accessor: a.secret_id_accessor,
      metadata: { k1: 'v1', k2: 'v2' },
      cidr_list: ['127.0.0.0/8'],
      secret_id_num_uses: 0,
      expiration_time: '0001-01-01T00:00:00Z',
      creation_time: '2024-03-01T12:00:00Z',
    });
    expect((await h.write('role/web/secret-id-accessor/lookup', { secret_id_accessor: b.secret_id_accessor })).data).toMatchObject({ secret_id_accessor: b.secret_id_accessor });
    await ok(h.write('role/web/secret-id/destroy', { secret_id: a.secret_id }));
    await ok(h.write('role/web/secret-id-accessor/destroy', { secret_id_accessor: b.secret_id_accessor }));
    // Vault answers a lookup of an unknown secret ID with an empty response (204).
    expect((await h.write('role/web/secret-id/lookup', { secret_id: a.secret_id })).status).toBe(204);
    expect((await h.list('role/web/secret-id')).status).toBe(404);
    expect((await h.write('role/web/secret-id-accessor/lookup', { secret_id_accessor: b.secret_id_accessor })).status).toBe(404);
  });

  it('takes custom secret IDs, refusing duplicates', async () => {
    const { h, roleId } = await setup();
    const c = await ok(h.write('role/web/custom-secret-id', { secret_id: 'my-own-secret' }));
    expect(c['secret_id']).toBe('my-own-secret');
    expect((await h.write('role/web/custom-secret-id', { secret_id: 'my-own-secret' })).status).toBe(400);
    expect((await h.write('login', { role_id: roleId, secret_id: 'my-own-secret' })).status).toBe(200);
  });

  it('keeps per-secret-ID num_uses and ttl within the role limits', async () => {
    const { h } = await setup({ secret_id_num_uses: 5, secret_id_ttl: '1h' });
    expect((await h.write('role/web/secret-id', { num_uses: 6 })).error).toBe("num_uses cannot be higher than the role's secret_id_num_uses");
    expect((await h.write('role/web/secret-id', { num_uses: 0 })).error).toBe("num_uses cannot be higher than the role's secret_id_num_uses");
    expect((await h.write('role/web/secret-id', { ttl: '2h' })).error).toBe("ttl cannot be longer than the role's secret_id_ttl");
    expect(await ok(h.write('role/web/secret-id', { num_uses: 2, ttl: '30m' }))).toMatchObject({ secret_id_num_uses: 2, secret_id_ttl: 1800 });
    expect((await h.write('role/web/secret-id', { cidr_list: '10.0.0.0/8' })).status).toBe(200);
  });

  it('refuses secret-ID CIDRs outside the role CIDRs and secret IDs for roles without bind_secret_id', async () => {
    const { h } = await setup({ secret_id_bound_cidrs: '10.0.0.0/8' });
    expect((await h.write('role/web/secret-id', { cidr_list: '192.168.0.0/16' })).error).toMatch(/failed to verify subset relationship/);
    expect((await h.write('role/web/secret-id', { cidr_list: '10.1.0.0/16' })).status).toBe(200);
    await ok(h.write('role/open', { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.1/32' }));
    expect((await h.write('role/open/secret-id')).error).toBe('bind_secret_id is not set on the role');
  });

  it('tidy removes expired secret IDs', async () => {
    const { h } = await setup({ secret_id_ttl: '1m' });
    await secretId(h);
    h.advance(61);
    const t = await ok(h.write('tidy/secret-id'));
    expect(t['removed']).toBe(1);
    expect((await h.list('role/web/secret-id')).status).toBe(404);
  });
});

describe('approle login', () => {
  it('logs in with role and secret metadata, alias = role_id, token params from the role', async () => {
    const { h, roleId } = await setup({ token_bound_cidrs: '127.0.0.0/8' });
    expect(h.isUnauthenticated('login')).toBe(true);
    const s = await secretId(h, { metadata: '{"env":"prod"}' });
    const r = await h.write('login', { role_id: roleId, secret_id: s.secret_id });
    expect(r.status).toBe(200);
    expect(r.response?.auth).toEqual({
      policies: ['app', 'Dev'],
      tokenPolicies: ['app', 'Dev'],
      ttl: 3600,
      maxTtl: 14400,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 0,
      noDefaultPolicy: false,
      tokenType: 'default',
      renewable: true,
      boundCidrs: ['127.0.0.0/8'],
      metadata: { env: 'prod', role_name: 'web' },
      alias: { name: roleId, metadata: { env: 'prod', role_name: 'web' } },
      internalData: { role_name: 'web' },
    });
  });

  it('binds the token to the secret ID token_bound_cidrs when set', async () => {
    const { h, roleId } = await setup({ token_bound_cidrs: '127.0.0.0/8' });
    const s = await secretId(h, { token_bound_cidrs: '127.0.0.1/32' });
    const r = await h.write('login', { role_id: roleId, secret_id: s.secret_id });
    expect(r.response?.auth?.boundCidrs).toEqual(['127.0.0.1']);
  });

  it('rejects missing fields, unknown role IDs and wrong secret IDs with Vault messages', async () => {
    const { h, roleId } = await setup();
    await secretId(h);
    expect((await h.write('login', { secret_id: 'x' })).error).toBe('missing role_id');
    expect((await h.write('login', { role_id: roleId })).error).toBe('missing secret_id');
    expect(await h.write('login', { role_id: 'nope', secret_id: 'x' })).toMatchObject({ status: 400, error: 'invalid role or secret ID' });
    expect(await h.write('login', { role_id: roleId, secret_id: 'wrong' })).toMatchObject({ status: 400, error: 'invalid role or secret ID' });
  });

  it('rejects an expired secret ID', async () => {
    const { h, roleId } = await setup({ secret_id_ttl: '10m' });
    const s = await secretId(h);
    h.advance(599);
    expect((await h.write('login', { role_id: roleId, secret_id: s.secret_id })).status).toBe(200);
    h.advance(2);
    expect(await h.write('login', { role_id: roleId, secret_id: s.secret_id })).toMatchObject({ status: 400, error: 'invalid role or secret ID' });
  });

  it('uses a secret ID up exactly num_uses times, even under concurrent logins', async () => {
    const { h, roleId } = await setup({ secret_id_num_uses: 3 });
    const s = await secretId(h);
    const results = await Promise.all(Array.from({ length: 8 }, () => h.write('login', { role_id: roleId, secret_id: s.secret_id })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.error === 'invalid role or secret ID')).toHaveLength(5);
    expect((await h.list('role/web/secret-id')).status).toBe(404);
  });

  it('enforces secret-ID and role CIDR bindings without spending a use on refusal', async () => {
    const { h, roleId } = await setup({ secret_id_num_uses: 1 });
    const s = await secretId(h, { cidr_list: '10.0.0.0/8' });
    const refused = await h.write('login', { role_id: roleId, secret_id: s.secret_id }, { remoteAddress: '192.168.1.5' });
    expect(refused).toMatchObject({ status: 400, error: 'source address "192.168.1.5" unauthorized through CIDR restrictions on the secret ID' });
    expect((await h.write('login', { role_id: roleId, secret_id: s.secret_id }, { remoteAddress: '::ffff:10.1.2.3' })).status).toBe(200);

    await ok(h.write('role/net', { secret_id_bound_cidrs: '172.16.0.0/12' }));
    const netRoleId = (await ok(h.read('role/net/role-id')))['role_id'];
    const s2 = await ok(h.write('role/net/secret-id'));
    expect((await h.write('login', { role_id: netRoleId, secret_id: s2['secret_id'] })).error).toBe(
      'source address "127.0.0.1" unauthorized by CIDR restrictions on the role',
    );
    expect((await h.write('login', { role_id: netRoleId, secret_id: s2['secret_id'] }, { remoteAddress: '172.20.0.1' })).status).toBe(200);
  });

  it('logs in without a secret ID when bind_secret_id is off, within the role CIDRs', async () => {
    const { h } = await setup();
    await ok(h.write('role/open', { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.1/32' }));
    const id = (await ok(h.read('role/open/role-id')))['role_id'];
    expect((await h.write('login', { role_id: id })).status).toBe(200);
    expect((await h.write('login', { role_id: id }, { remoteAddress: '10.0.0.1' })).status).toBe(400);
  });

  it('locks a role ID after 5 failed logins for 15 minutes, then lets it in again', async () => {
    const { h, roleId } = await setup();
    const s = await secretId(h);
    for (let i = 0; i < 5; i++) expect((await h.write('login', { role_id: roleId, secret_id: 'bad' })).status).toBe(400);
    expect(await h.write('login', { role_id: roleId, secret_id: s.secret_id })).toMatchObject({ status: 403, error: 'permission denied' });
    h.advance(15 * 60 + 1);
    expect((await h.write('login', { role_id: roleId, secret_id: s.secret_id })).status).toBe(200);
  });

  it('deleting a role removes its secret IDs', async () => {
    const { h, roleId } = await setup();
    const s = await secretId(h);
    await ok(h.delete('role/web'));
    expect([...h.store.entries.keys()].filter((k) => k.includes('secret_id/') || k.includes('accessor/'))).toEqual([]);
    expect((await h.write('login', { role_id: roleId, secret_id: s.secret_id })).status).toBe(400);
  });
});

describe('approle renewal', () => {
  it('renews while the role exists, with its current TTLs; refuses once it is deleted (Vault: plain error, 500)', async () => {
    const { h, roleId } = await setup();
    const s = await secretId(h);
    const auth = await loginAuth(h.write('login', { role_id: roleId, secret_id: s.secret_id }));
    expect(await h.renew(auth)).toEqual({ status: 200, ttls: { ttl: 3600, maxTtl: 14400 } });
    await ok(h.write('role/web', { token_ttl: '10m', token_max_ttl: '2h' }));
    expect((await h.renew(auth)).ttls).toEqual({ ttl: 600, maxTtl: 7200 });
    await ok(h.delete('role/web'));
    expect(await h.renew(auth)).toEqual({ status: 500, error: 'role "web" does not exist during renewal' });
  });

  it('does not re-check policies, as Vault\'s approle does not', async () => {
    const { h, roleId } = await setup();
    const s = await secretId(h);
    const auth = await loginAuth(h.write('login', { role_id: roleId, secret_id: s.secret_id }));
    await ok(h.write('role/web/policies', { token_policies: 'other' }));
    expect((await h.renew(auth)).status).toBe(200);
  });

  it('refuses a token without the role name in its internal data', async () => {
    const { h } = await setup();
    expect(await h.renew({ policies: ['app'], internalData: {} })).toEqual({ status: 500, error: 'failed to fetch role_name during renewal' });
  });
});
