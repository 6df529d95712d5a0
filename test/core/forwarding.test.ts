import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardToActive } from '../../src/api/forwarding.js';

// A stand-in "active node": a real HTTP server whose behaviour each test picks by path.
let server: Server;
let addr = '';
let received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(`${req.method} ${req.url} ${body} fwd=${req.headers['x-coffer-forwarded'] ?? ''}`);
      if (req.url?.startsWith('/v1/die')) {
        req.socket.destroy(); // delivered, then the node vanishes before answering
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json', 'x-extra': 'kept' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const active = (api_addr: string) => ({ node_id: 'n1', api_addr, cluster_addr: '', active_time: '' });
const post = (rawUrl: string, extra: Record<string, string> = {}) => ({ method: 'POST', rawUrl, headers: { 'x-vault-token': 't', ...extra }, body: Buffer.from('{"a":1}'), noForward: false });

describe('standby → active forwarding', () => {
  it('relays the request once, marked as forwarded, and returns the answer verbatim', async () => {
    received = [];
    const res = await forwardToActive(active(addr), post('/v1/kv/data/x'));
    expect(res.status).toBe(201);
    expect(res.headers.get('x-extra')).toBe('kept');
    expect(await res.json()).toEqual({ ok: true });
    expect(received).toEqual(['POST /v1/kv/data/x {"a":1} fwd=1']);
  });

  it('answers 500 (outcome unknown), never a redirect, when the active node fails after delivery', async () => {
    received = [];
    const res = await forwardToActive(active(addr), post('/v1/die'));
    expect(received).toHaveLength(1); // it did reach the active node
    expect(res.status).toBe(500);
    const body = (await res.json()) as { errors: string[] };
    expect(body.errors[0]).toMatch(/may or may not have been applied/);
  });

  it('redirects (307) when the active node cannot be connected to: nothing was delivered', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const res = await forwardToActive(active(`http://127.0.0.1:${port}`), post('/v1/kv/data/x'));
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(`http://127.0.0.1:${port}/v1/kv/data/x`);
  });

  it('does not forward twice, and 503s when no node is active', async () => {
    expect((await forwardToActive(active(addr), post('/v1/kv/data/x', { 'x-coffer-forwarded': '1' }))).status).toBe(503);
    expect((await forwardToActive(undefined, post('/v1/kv/data/x'))).status).toBe(503);
  });
});
