import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDev, type Spawned } from '../helpers/server.js';

let srv: Spawned & { token: string };
let c: Client;

beforeAll(async () => {
  srv = await startDev();
  c = new Client(srv.addr, srv.token);
});
afterAll(async () => {
  await srv?.kill();
});

describe('dev server', () => {
  it('prints the root token it was given and is unsealed', async () => {
    expect(srv.stdout()).toContain(`Root Token: ${srv.token}`);
    const h = await new Client(srv.addr).get('sys/health');
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ initialized: true, sealed: false, standby: false, enterprise: false, replication_dr_mode: 'disabled' });
    expect(typeof h.body['cluster_id']).toBe('string');
    expect(h.headers.get('content-type')).toBe('application/json');
  });

  it('answers HEAD sys/health with the status and no body', async () => {
    const res = await fetch(`${srv.addr}/v1/sys/health`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('mounts KV v2 at secret/ and reports it to the CLI preflight with a string version', async () => {
    const r = await c.get('sys/internal/ui/mounts/secret/foo');
    expect(r.status).toBe(200);
    const data = r.body['data'] as Record<string, unknown>;
    expect(data['path']).toBe('secret/');
    expect(data['type']).toBe('kv');
    expect(data['options']).toEqual({ version: '2' });
  });

  it('round-trips a KV v2 secret with the full envelope', async () => {
    const w = await c.post('secret/data/app/db', { data: { user: 'alice', pass: 's3cret' } });
    expect(w.status).toBe(200);
    expect(Object.keys(w.body)).toEqual(['request_id', 'lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info', 'warnings', 'auth', 'mount_type']);
    expect((w.body['data'] as Record<string, unknown>)['version']).toBe(1);
    const r = await c.get('secret/data/app/db');
    expect(r.status).toBe(200);
    const data = r.body['data'] as { data: Record<string, string>; metadata: Record<string, unknown> };
    expect(data.data).toEqual({ user: 'alice', pass: 's3cret' });
    expect(data.metadata['version']).toBe(1);
    expect(r.body['mount_type']).toBe('kv');
  });

  it('lists with the LIST verb and with ?list=true, and 404s empty lists', async () => {
    await c.post('secret/data/list-test/a', { data: { x: 1 } });
    await c.post('secret/data/list-test/sub/b', { data: { x: 1 } });
    const l1 = await c.list('secret/metadata/list-test');
    expect(l1.status).toBe(200);
    expect((l1.body['data'] as { keys: string[] }).keys).toEqual(['a', 'sub/']);
    const l2 = await c.get('secret/metadata/list-test?list=true');
    expect((l2.body['data'] as { keys: string[] }).keys).toEqual(['a', 'sub/']);
    const empty = await c.list('secret/metadata/nothing-here');
    expect(empty.status).toBe(404);
    expect(empty.body).toEqual({ errors: [] });
    const bad = await c.get('secret/metadata/list-test?list=maybe');
    expect(bad.status).toBe(400);
  });

  it('404s a missing secret with an empty errors list', async () => {
    const r = await c.get('secret/data/does/not/exist');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ errors: [] });
  });

  it('requires merge-patch content type for PATCH', async () => {
    await c.post('secret/data/patchme', { data: { a: '1', b: '2' } });
    const bad = await c.request('PATCH', 'secret/data/patchme', { data: { a: '9' } });
    expect(bad.status).toBe(415);
    expect((bad.body['errors'] as string[])[0]).toContain('PATCH requires Content-Type of application/merge-patch+json');
    const ok = await c.request('PATCH', 'secret/data/patchme', { data: { a: '9', b: null } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(ok.status).toBe(200);
    const r = await c.get('secret/data/patchme');
    expect((r.body['data'] as { data: unknown }).data).toEqual({ a: '9' });
  });

  it('accepts Authorization: Bearer when no X-Vault-Token is sent', async () => {
    const r = await new Client(srv.addr).request('GET', 'auth/token/lookup-self', undefined, { Authorization: `Bearer ${srv.token}` });
    expect(r.status).toBe(200);
    expect((r.body['data'] as Record<string, unknown>)['policies']).toEqual(['root']);
  });

  it('refuses requests without a token and with a bad token', async () => {
    const anon = await new Client(srv.addr).get('secret/data/app/db');
    expect(anon.status).toBe(403);
    expect(anon.body).toEqual({ errors: ['permission denied'] });
    const bad = await new Client(srv.addr, 'hvs.nope').get('secret/data/app/db');
    expect(bad.status).toBe(403);
    expect((bad.body['errors'] as string[])[0]).toContain('invalid token');
  });

  it('serves Prometheus metrics with Vault names', async () => {
    const r = await fetch(`${srv.addr}/v1/sys/metrics?format=prometheus`, { headers: { 'X-Vault-Token': srv.token } });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('vault_core_unsealed 1');
    expect(text).toContain('vault_core_handle_request');
  });
});
