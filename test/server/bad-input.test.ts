import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
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

/** Sends a request with a raw, un-normalised path (fetch would resolve `..`). */
function rawRequest(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const url = new URL(srv.addr);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers: { 'X-Vault-Token': srv.token } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bad input gets a Vault-style 4xx and writes nothing', () => {
  it('malformed JSON', async () => {
    const r = await c.request('POST', 'secret/data/bad', '{"data": {', { 'Content-Type': 'application/json' });
    expect(r.status).toBe(400);
    expect((r.body['errors'] as string[])[0]).toMatch(/^failed to parse JSON input/);
    expect((await c.get('secret/data/bad')).status).toBe(404);
  });

  it('a JSON body that is not an object', async () => {
    const r = await c.request('POST', 'secret/data/bad', '[1,2,3]');
    expect(r.status).toBe(400);
  });

  it('wrong field types', async () => {
    const r = await c.post('auth/token/create', { ttl: 'forever' });
    expect(r.status).toBe(400);
    expect((r.body['errors'] as string[])[0]).toContain('"ttl"');
    const n = await c.post('auth/token/create', { num_uses: 'many' });
    expect(n.status).toBe(400);
    const cas = await c.post('secret/data/typed', { data: { a: 1 }, options: { cas: 'x' } });
    expect(cas.status).toBe(400);
    expect((await c.get('secret/data/typed')).status).toBe(404);
  });

  it('accepts string-typed numbers, booleans and Go durations as Vault does', async () => {
    const r = await c.post('auth/token/create', { ttl: '2160h0m0s', num_uses: '3', renewable: 'true', policies: 'default' });
    expect(r.status, r.text).toBe(200);
    expect((r.body['auth'] as Record<string, unknown>)['num_uses']).toBe(3);
  });

  it('ignores unknown fields with a warning', async () => {
    const r = await c.post('auth/token/create', { policies: ['default'], frobnicate: true });
    expect(r.status).toBe(200);
    expect(r.body['warnings']).toEqual(expect.arrayContaining([expect.stringContaining('frobnicate')]));
  });

  it('oversized bodies get 413', async () => {
    const big = 'x'.repeat(33 * 1024 * 1024);
    const r = await c.request('POST', 'secret/data/huge', JSON.stringify({ data: { big } }));
    expect(r.status).toBe(413);
    expect((await c.get('secret/data/huge')).status).toBe(404);
  });

  it('deeply nested JSON is refused', async () => {
    const deep = '{"data":' + '{"a":'.repeat(600) + '1' + '}'.repeat(600) + '}';
    const r = await c.request('POST', 'secret/data/deep', deep);
    expect(r.status).toBe(400);
    expect((await c.get('secret/data/deep')).status).toBe(404);
  });

  it('unknown paths and mounts', async () => {
    const r = await c.get('nosuchmount/foo');
    expect(r.status).toBe(404);
    expect((r.body['errors'] as string[])[0]).toContain('no handler for route');
    const s = await c.get('sys/definitely-not-a-path');
    expect(s.status).toBe(404);
    const other = await fetch(`${srv.addr}/not-v1`);
    expect(other.status).toBe(404);
  });

  it('`..` and `.` path segments are refused, not resolved', async () => {
    const r = await rawRequest('/v1/secret/data/../../sys/mounts');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).errors[0]).toContain("'..'");
    const dot = await rawRequest('/v1/secret/./data/x');
    expect(dot.status).toBe(400);
  });

  it('unsupported methods get 405', async () => {
    const r = await c.request('OPTIONS', 'secret/data/x');
    expect(r.status).toBe(405);
  });

  it('an unsupported operation on a known path gets 405', async () => {
    const r = await c.delete('sys/capabilities');
    expect(r.status).toBe(405);
  });

  it('negative or junk wrap TTLs are refused', async () => {
    const neg = await c.request('GET', 'secret/data/x', undefined, { 'X-Vault-Wrap-TTL': '-5s' });
    expect(neg.status).toBe(400);
    expect(neg.body).toEqual({ errors: ['requested wrap ttl cannot be negative'] });
    const junk = await c.request('GET', 'secret/data/x', undefined, { 'X-Vault-Wrap-TTL': 'soon' });
    expect(junk.status).toBe(400);
  });

  it('health with junk codes answers 400', async () => {
    const r = await c.get('sys/health?activecode=abc');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ errors: [] });
  });

  it('garbage unseal input on an unsealed server', async () => {
    const r = await c.put('sys/unseal', {});
    expect(r.status).toBe(400);
    expect((r.body['errors'] as string[])[0]).toContain("'key' must be specified");
  });
});
