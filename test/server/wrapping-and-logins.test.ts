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

const wrapped = (ttl: string) => ({ 'X-Vault-Wrap-TTL': ttl });
type WrapInfo = { token: string; accessor: string; ttl: number; creation_time: string; creation_path: string; wrapped_accessor?: string };

describe('response wrapping', () => {
  it('sys/wrapping/wrap requires the header', async () => {
    const r = await root.post('sys/wrapping/wrap', { a: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ errors: ['endpoint requires response wrapping to be used'] });
  });

  it('wraps, looks up without consuming, unwraps exactly once', async () => {
    const w = await root.request<{ wrap_info: WrapInfo; data: unknown; request_id: string }>('POST', 'sys/wrapping/wrap', { secret: 'hunter2' }, wrapped('5m'));
    expect(w.status).toBe(200);
    expect(w.body.data).toBeNull();
    expect(w.body.request_id).toBe('');
    expect(w.body.wrap_info).toMatchObject({ ttl: 300, creation_path: 'sys/wrapping/wrap' });
    const anon = new Client(srv.addr);
    for (let i = 0; i < 2; i++) {
      const l = await anon.post('sys/wrapping/lookup', { token: w.body.wrap_info.token });
      expect(l.status).toBe(200);
      expect(l.body['data']).toMatchObject({ creation_path: 'sys/wrapping/wrap', creation_ttl: 300 });
    }
    const u = await anon.withToken(w.body.wrap_info.token).post('sys/wrapping/unwrap');
    expect(u.status).toBe(200);
    expect(u.body['data']).toEqual({ secret: 'hunter2' });
    const again = await anon.withToken(w.body.wrap_info.token).post('sys/wrapping/unwrap');
    expect(again.status).toBe(400);
    const lookupAfter = await anon.post('sys/wrapping/lookup', { token: w.body.wrap_info.token });
    expect(lookupAfter.body).toEqual({ errors: ['wrapping token is not valid or does not exist'] });
  });

  it('wraps any response (a KV read), unwrapped by another token naming it in the body', async () => {
    await root.post('secret/data/wrapme', { data: { k: 'v' } });
    const w = await root.request<{ wrap_info: WrapInfo }>('GET', 'secret/data/wrapme', undefined, wrapped('60s'));
    expect(w.body.wrap_info.creation_path).toBe('secret/data/wrapme');
    const u = await root.post('sys/wrapping/unwrap', { token: w.body.wrap_info.token });
    expect((u.body['data'] as { data: unknown }).data).toEqual({ k: 'v' });
    expect(u.body['mount_type']).toBe('kv');
    expect((await root.post('sys/wrapping/unwrap', { token: w.body.wrap_info.token })).status).toBe(400);
  });

  it('rewrap issues a new token for the same content and kills the old one', async () => {
    const w = await root.request<{ wrap_info: WrapInfo }>('POST', 'sys/wrapping/wrap', { n: 7 }, wrapped('2m'));
    const r = await root.post<{ wrap_info: WrapInfo }>('sys/wrapping/rewrap', { token: w.body.wrap_info.token });
    expect(r.status).toBe(200);
    expect(r.body.wrap_info.token).not.toBe(w.body.wrap_info.token);
    expect(r.body.wrap_info.ttl).toBe(120);
    expect((await root.post('sys/wrapping/unwrap', { token: w.body.wrap_info.token })).status).toBe(400);
    expect((await root.post('sys/wrapping/unwrap', { token: r.body.wrap_info.token })).body['data']).toEqual({ n: 7 });
  });

  it('wraps token-issuing responses with wrapped_accessor and hands back the auth block', async () => {
    const w = await root.request<{ wrap_info: WrapInfo; auth: unknown }>('POST', 'auth/token/create', { policies: ['default'] }, wrapped('1m'));
    expect(w.body.auth).toBeNull();
    expect(w.body.wrap_info.wrapped_accessor).toMatch(/^[A-Za-z0-9]{24}$/);
    const u = await root.post<{ auth: { client_token: string; accessor: string } }>('sys/wrapping/unwrap', { token: w.body.wrap_info.token });
    expect(u.body.auth.accessor).toBe(w.body.wrap_info.wrapped_accessor);
    expect((await root.withToken(u.body.auth.client_token).get('auth/token/lookup-self')).status).toBe(200);
  });

  it('refuses negative wrap TTLs and enforces policy wrapping limits', async () => {
    expect((await root.request('GET', 'secret/data/wrapme', undefined, wrapped('-1s'))).status).toBe(400);
    await root.put('sys/policies/acl/must-wrap', { policy: 'path "secret/data/wrapme" {\n capabilities = ["read"]\n min_wrapping_ttl = "1s"\n max_wrapping_ttl = "90s"\n}' });
    const t = (await root.post('auth/token/create', { policies: ['must-wrap'] })).body['auth'] as { client_token: string };
    const c = root.withToken(t.client_token);
    expect((await c.get('secret/data/wrapme')).status).toBe(403);
    expect((await c.request('GET', 'secret/data/wrapme', undefined, wrapped('10m'))).status).toBe(403);
    expect((await c.request('GET', 'secret/data/wrapme', undefined, wrapped('30s'))).status).toBe(200);
  });
});

describe('auth methods over HTTP', () => {
  it('approle: secret-id delivered by wrapping, login, token carries the role policies', async () => {
    expect((await root.post('sys/auth/approle', { type: 'approle' })).status).toBe(204);
    await root.put('sys/policies/acl/app', { policy: 'path "secret/data/app/*" { capabilities = ["read"] }' });
    expect((await root.post('auth/approle/role/web', { token_policies: 'app', token_ttl: '20m', secret_id_num_uses: 2 })).status).toBe(204);
    const roleId = ((await root.get('auth/approle/role/web/role-id')).body['data'] as { role_id: string }).role_id;
    const w = await root.request<{ wrap_info: WrapInfo }>('POST', 'auth/approle/role/web/secret-id', {}, wrapped('2m'));
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    const secretId = ((await new Client(srv.addr, w.body.wrap_info.token).post('sys/wrapping/unwrap')).body['data'] as { secret_id: string }).secret_id;
    const anon = new Client(srv.addr);
    const login = await anon.post<{ auth: { client_token: string; policies: string[]; lease_duration: number; orphan: boolean; metadata: Record<string, string>; token_type: string } }>('auth/approle/login', { role_id: roleId, secret_id: secretId });
    expect(login.status, login.text).toBe(200);
    expect(login.body.auth).toMatchObject({ policies: ['app', 'default'], lease_duration: 1200, orphan: true, token_type: 'service', metadata: { role_name: 'web' } });
    await root.post('secret/data/app/x', { data: { ok: true } });
    expect((await anon.withToken(login.body.auth.client_token).get('secret/data/app/x')).status).toBe(200);
    expect((await anon.withToken(login.body.auth.client_token).get('secret/data/other')).status).toBe(403);
    const bad = await anon.post('auth/approle/login', { role_id: roleId, secret_id: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ errors: ['invalid role or secret ID'] });
  });

  it('userpass: login, and the same error for an unknown user and a wrong password', async () => {
    expect((await root.post('sys/auth/userpass', { type: 'userpass' })).status).toBe(204);
    expect((await root.post('auth/userpass/users/alice', { password: 'correct horse', token_policies: ['app'] })).status).toBe(204);
    const anon = new Client(srv.addr);
    const ok = await anon.post<{ auth: { policies: string[]; metadata: Record<string, string> } }>('auth/userpass/login/alice', { password: 'correct horse' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.auth).toMatchObject({ policies: ['app', 'default'], metadata: { username: 'alice' } });
    const wrong = await anon.post('auth/userpass/login/alice', { password: 'nope' });
    const unknown = await anon.post('auth/userpass/login/mallory', { password: 'nope' });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('login tokens show in sys/auth listing and their mount can be disabled, revoking them', async () => {
    const auths = await root.get('sys/auth');
    expect(auths.body['approle/']).toMatchObject({ type: 'approle' });
    const login = await new Client(srv.addr).post<{ auth: { client_token: string } }>('auth/userpass/login/alice', { password: 'correct horse' });
    expect((await root.delete('sys/auth/userpass')).status).toBe(204);
    expect((await root.withToken(login.body.auth.client_token).get('auth/token/lookup-self')).status).toBe(403);
  });
});
