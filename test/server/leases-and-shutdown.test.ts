import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { Client, startDev, type Spawned } from '../helpers/server.js';

describe('leases over HTTP', () => {
  let srv: Spawned & { token: string };
  let root: Client;
  beforeAll(async () => {
    srv = await startDev();
    root = new Client(srv.addr, srv.token);
  });
  afterAll(async () => {
    await srv?.kill();
  });

  it('lists, looks up, refuses to renew and revokes token leases', async () => {
    const made = await root.post('auth/token/create', { policies: ['default'], ttl: '1h' });
    const token = (made.body['auth'] as { client_token: string }).client_token;
    const list = await root.list<{ data: { keys: string[] } }>('sys/leases/lookup/auth/token/create/');
    expect(list.status).toBe(200);
    expect(list.body.data.keys.length).toBeGreaterThanOrEqual(1);
    const leaseId = `auth/token/create/${list.body.data.keys[0]}`;
    const look = await root.put<{ data: Record<string, unknown> }>('sys/leases/lookup', { lease_id: leaseId });
    expect(look.status).toBe(200);
    expect(look.body.data).toMatchObject({ id: leaseId, renewable: true });
    expect(look.body.data['ttl']).toBeGreaterThan(3500);
    const renew = await root.put('sys/leases/renew', { lease_id: leaseId });
    expect(renew.status).toBe(400);
    expect(renew.body).toEqual({ errors: ['tokens cannot be renewed through this endpoint'] });
    expect((await root.put('sys/leases/lookup', { lease_id: 'nope/nothing' })).status).toBe(400);

    expect((await root.put('sys/leases/revoke-prefix/auth/token/create')).status).toBe(204);
    expect((await root.withToken(token).get('auth/token/lookup-self')).status).toBe(403);
    expect((await root.list('sys/leases/lookup/auth/token/create/')).status).toBe(404);
  });

  it('refuses new leases past a lease-count quota with 429, and frees slots on revocation', async () => {
    await root.put('sys/leases/revoke-prefix/auth/token/create');
    expect((await root.post('sys/quotas/lease-count/tokens', { path: 'auth/token/', max_leases: 2 })).status).toBe(204);
    const q = await root.get('sys/quotas/lease-count/tokens');
    expect(q.body['data']).toMatchObject({ name: 'tokens', path: 'auth/token/', type: 'lease-count', max_leases: 2 });
    const t1 = await root.post('auth/token/create', { policies: ['default'], ttl: '1h' });
    await root.post('auth/token/create', { policies: ['default'], ttl: '1h' });
    const over = await root.post('auth/token/create', { policies: ['default'], ttl: '1h' });
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ errors: ['lease count quota exceeded'] });
    // The refused request left no token behind.
    expect((await root.list<{ data: { keys: string[] } }>('auth/token/accessors')).body.data.keys.length).toBe(3); // root + 2
    await root.post('auth/token/revoke', { token: (t1.body['auth'] as { client_token: string }).client_token });
    expect((await root.post('auth/token/create', { policies: ['default'], ttl: '1h' })).status).toBe(200);
    expect((await root.delete('sys/quotas/lease-count/tokens')).status).toBe(204);
    expect((await root.post('auth/token/create', { policies: ['default'], ttl: '1h' })).status).toBe(200);
    expect((await root.post('sys/quotas/lease-count/bad', { path: 'nomount/', max_leases: 1 })).status).toBe(400);
  });

  it('needs sudo to list leases', async () => {
    await root.put('sys/policies/acl/lease-reader', { policy: 'path "sys/leases/lookup/*" { capabilities = ["list"] }' });
    const made = await root.post('auth/token/create', { policies: ['lease-reader'] });
    const c = root.withToken((made.body['auth'] as { client_token: string }).client_token);
    expect((await c.list('sys/leases/lookup/auth/')).status).toBe(403);
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request after SIGTERM, then exits 0', async () => {
    const srv = await startDev();
    const url = new URL(srv.addr);
    const body = JSON.stringify({ data: { drained: 'yes' } });
    const pending = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: '/v1/secret/data/drain', method: 'POST', headers: { 'X-Vault-Token': srv.token, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      // Half the body now, the rest after the server has been told to stop.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        srv.proc.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const res = await pending;
    expect(res.status).toBe(200);
    const exit = await srv.exited;
    expect(exit.code).toBe(0);
    expect(srv.stderr()).toContain('shutdown complete');
  });
});
