/** Signing test JWTs with node:crypto, and a local HTTPS server for JWKS / TokenReview endpoints. */
import { createHmac, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverIdentity } from './pki.js';

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signJwt(alg: string, key: KeyObject, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64url({ alg, typ: 'JWT', ...header })}.${b64url(claims)}`;
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  const opts = alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${sign(hash, Buffer.from(input), opts).toString('base64url')}`;
}

/** `alg: none` with an empty signature. */
export const unsignedJwt = (claims: Record<string, unknown>): string => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;

/** HS256 "signed" with `secret` (e.g. a public key PEM: the algorithm-confusion attack). */
export function hmacJwt(secret: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT', ...header })}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export interface TestHttpsServer {
  url: string;
  caPem: string;
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

/** An HTTPS server on a free loopback port with a certificate from a fresh test CA. */
export async function startHttpsServer(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<TestHttpsServer> {
  const { ca, server: id } = await serverIdentity();
  const requests: TestHttpsServer['requests'] = [];
  const server: Server = createServer({ key: id.keyPem, cert: id.pem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://localhost:${port}`,
    caPem: ca.pem,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
