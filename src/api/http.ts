/**
 * The HTTP layer: turns a Vault API request into a CoreRequest and the core's answer into Vault's
 * envelope, status codes and error shapes. Everything client-facing about the wire lives here.
 */
import { Hono, type Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { StandbyError, type Core, type HttpOperation } from '../core/core.js';
import type { RaftCluster } from '../core/raft-cluster.js';
import { forwardToActive } from './forwarding.js';
import { Readable } from 'node:stream';
import { LogicalError } from '../core/logical.js';
import { field, parseFields, parseGoBool } from '../core/fields.js';
import { parseDuration } from '../config/duration.js';
import { decodeBody } from './request-body.js';
import { renderEnvelope, isEmptyResponse, errorBody } from './envelope.js';
import * as lifecycle from './sys-lifecycle.js';
import { quorumEndpoint } from './sys-quorum.js';
import type { Metrics } from '../core/metrics.js';
import type { Logger } from '../util/logger.js';
import { uuid } from '../util/ids.js';

export const DEFAULT_MAX_REQUEST_SIZE = 32 * 1024 * 1024;

export interface HttpOptions {
  core: Core;
  /** Integrated storage: join handshake endpoints and forwarding. */
  cluster?: RaftCluster;
  metrics: Metrics;
  logger: Logger;
  maxRequestSize?: number;
}

type Env = { Bindings: HttpBindings };

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

function errors(status: number, msgs: string[], data?: Record<string, unknown>): Response {
  return new Response(errorBody(msgs, data), { status, headers: JSON_HEADERS });
}

/** Extracts the API path from the raw URL (before any normalisation) and validates it. */
/** Paths needing no decoding or segment checks: the common case, answered without allocation-heavy work. */
const PLAIN_PATH = /^\/v1\/[A-Za-z0-9_\-/]*$/;

export function apiPath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const pathPart = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (PLAIN_PATH.test(pathPart)) return pathPart.slice(4).replace(/^\/+/, '');
  if (!pathPart.startsWith('/v1/')) throw new LogicalError('not found', 404);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart.slice(4));
  } catch {
    throw new LogicalError('invalid path: malformed percent-encoding');
  }
  if (/[\x00-\x1f\x7f]/.test(decoded)) throw new LogicalError('invalid path: contains non-printable characters');
  const segments = decoded.split('/');
  if (segments.some((s) => s === '.' || s === '..')) throw new LogicalError("invalid path: '.' and '..' segments are not allowed");
  return decoded.replace(/^\/+/, '');
}

function queryParams(rawUrl: string): Record<string, string> {
  const i = rawUrl.indexOf('?');
  const out: Record<string, string> = {};
  if (i < 0) return out;
  for (const [k, v] of new URLSearchParams(rawUrl.slice(i + 1))) out[k] = v;
  return out;
}

/**
 * Request headers, lower-cased, read straight from Node's IncomingMessage: touching Hono's
 * `c.req.raw` would materialise a full fetch Request (an AbortController and more) per request.
 */
function requestHeaders(c: Context<Env>): Record<string, string> {
  const raw = c.env?.incoming?.headers;
  const out: Record<string, string> = {};
  if (raw) {
    for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
    return out;
  }
  c.req.raw.headers.forEach((v, k) => (out[k] = v));
  return out;
}

function clientToken(headers: Record<string, string>): string {
  const t = headers['x-vault-token'];
  if (t !== undefined && t !== '') return t;
  const auth = headers['authorization'];
  if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim();
  return '';
}

/** The client's certificate chain as presented (DER, leaf first), for cert auth. */
function peerCertificateChain(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  let cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  while (cert && cert.raw && out.length < 10) {
    out.push(cert.raw);
    const next = cert.issuerCertificate;
    if (!next || next === cert || next.raw.equals(cert.raw)) break; // self-signed top of the chain
    cert = next;
  }
  return out;
}

const tooLarge = (): LogicalError => new LogicalError('http: request body too large', 413);

/** Reads the body with the size limit enforced while streaming, not after buffering it all. */
async function readBody(c: Context<Env>, headers: Record<string, string>, maxSize: number): Promise<Buffer> {
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > maxSize) throw tooLarge();
  const incoming = c.env?.incoming as unknown as AsyncIterable<Buffer> | undefined;
  if (incoming && typeof incoming[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of incoming) {
      size += chunk.length;
      if (size > maxSize) throw tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
  const buf = Buffer.from(await c.req.arrayBuffer());
  if (buf.length > maxSize) throw tooLarge();
  return buf;
}

function parseWrapTtl(header: string | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  let ttl: number;
  try {
    ttl = parseDuration(header);
  } catch (e) {
    throw new LogicalError(`error parsing X-Vault-Wrap-TTL header: ${(e as Error).message}`);
  }
  if (ttl < 0) throw new LogicalError('requested wrap ttl cannot be negative');
  return ttl;
}

export function createHttpApp(opts: HttpOptions): Hono<Env> {
  const { core, metrics, logger } = opts;
  const app = new Hono<Env>();
  const maxSize = opts.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE;

  app.all('/v1/*', async (c) => {
    const rawUrl = c.env?.incoming?.url ?? new URL(c.req.url).pathname + new URL(c.req.url).search;
    const requestId = uuid();
    const started = performance.now();
    let res: Response;
    try {
      res = await route(c, rawUrl, requestId, started);
    } catch (e) {
      if (e instanceof LogicalError) {
        res = errors(e.status, e.message === 'not found' && e.status === 404 ? [] : [e.message], e.data);
        // The unread rest of an oversized body would otherwise be parsed as the next request.
        if (e.status === 413) res.headers.set('Connection', 'close');
      } else {
        logger.error('request failed', { request_id: requestId, error: (e as Error).message, stack: (e as Error).stack });
        res = errors(500, ['internal error']);
      }
    }
    metrics.handleRequest.observe(performance.now() - started);
    metrics.countHttpRequest(c.req.method, res.status);
    return res;
  });

  app.all('*', (c) => {
    metrics.countHttpRequest(c.req.method, 404);
    return errors(404, []);
  });

  async function route(c: Context<Env>, rawUrl: string, requestId: string, started: number): Promise<Response> {
    const path = apiPath(rawUrl);
    const method = c.req.method.toUpperCase();
    const query = queryParams(rawUrl);
    const headers = requestHeaders(c);

    // Lifecycle endpoints: served sealed or not, bare JSON, no token.
    switch (path) {
      case 'sys/health': {
        if (method !== 'GET' && method !== 'HEAD') return errors(405, []);
        const r = await lifecycle.health(core, query);
        return method === 'HEAD' ? new Response(null, { status: r.status, headers: JSON_HEADERS }) : json(r.status, r.body);
      }
      case 'sys/seal-status':
        if (method !== 'GET') return errors(405, []);
        return json(200, await lifecycle.sealStatus(core));
      case 'sys/init':
        if (method === 'GET') return json(200, { initialized: await core.isInitialized() });
        if (method === 'PUT' || method === 'POST') {
          const r = await lifecycle.init(core, await body(c));
          return json(r.status, r.body);
        }
        return errors(405, []);
      case 'sys/unseal': {
        if (method !== 'PUT' && method !== 'POST') return errors(405, []);
        const r = await lifecycle.unseal(core, await body(c));
        return json(r.status, r.body);
      }
      case 'sys/leader': {
        if (method !== 'GET') return errors(405, []);
        const r = await lifecycle.leader(core, opts.cluster?.raft);
        return json(r.status, r.body);
      }
    }

    let rawBody: Buffer | undefined;
    const jsonBody = async (): Promise<Record<string, unknown>> => {
      rawBody = await readBody(c, headers, maxSize);
      return decodeBody(rawBody, headers['content-type']);
    };
    const forward = async (e: StandbyError): Promise<Response> => {
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') rawBody ??= await readBody(c, headers, maxSize);
      return forwardToActive(e.active, { method, rawUrl, headers, body: rawBody, noForward: headers['x-vault-no-request-forwarding'] !== undefined || path.startsWith('sys/storage/raft/snapshot') });
    };

    if (opts.cluster && path.startsWith('sys/storage/raft/')) {
      const cluster = opts.cluster;
      const write = method === 'POST' || method === 'PUT';
      try {
        switch (path) {
          case 'sys/storage/raft/join': {
            if (!write) return errors(405, []);
            const { values } = parseFields({ leader_api_addr: field.string(), leader_ca_cert: field.string(), retry: field.bool() }, await jsonBody());
            if (!/^https?:\/\//.test(values.leader_api_addr)) throw new LogicalError('leader_api_addr must be an http:// or https:// URL');
            await cluster.join(values.leader_api_addr, values.leader_ca_cert || undefined);
            return json(200, { joined: true });
          }
          case 'sys/storage/raft/bootstrap/challenge': {
            if (!write) return errors(405, []);
            const { values } = parseFields({ server_id: field.string() }, await jsonBody());
            if (core.sealed) throw new LogicalError('Vault is sealed', 503);
            if (core.standby) throw new StandbyError(await core.activeNode());
            return json(200, { data: await cluster.issueChallenge(values.server_id) });
          }
          case 'sys/storage/raft/bootstrap/answer': {
            if (!write) return errors(405, []);
            const { values } = parseFields({ server_id: field.string(), answer: field.string(), cluster_addr: field.string() }, await jsonBody());
            if (core.sealed) throw new LogicalError('Vault is sealed', 503);
            if (core.standby) throw new StandbyError(await core.activeNode());
            return json(200, { data: await cluster.answerChallenge(values.server_id, values.answer) });
          }
        }
      } catch (e) {
        if (e instanceof StandbyError) return forward(e);
        throw e;
      }
    }

    if (path.startsWith('sys/generate-root/') || path.startsWith('sys/rekey/') || path.startsWith('sys/rekey-recovery-key/')) {
      const r = await quorumEndpoint(core, path, method, () => jsonBody());
      if (r) return r.status === 204 ? new Response(null, { status: 204, headers: JSON_HEADERS }) : json(r.status, r.body);
    }

    let operation: HttpOperation;
    let data: Record<string, unknown>;
    const fromQuery = (): Record<string, unknown> => {
      const q: Record<string, unknown> = { ...query };
      delete q['list'];
      delete q['help'];
      return q;
    };
    switch (method) {
      case 'GET': {
        const list = query['list'];
        if (list !== undefined) {
          const b = parseGoBool(list);
          if (b === undefined) throw new LogicalError(`invalid value for "list" query parameter: ${list}`);
          operation = b ? 'list' : 'read';
        } else operation = 'read';
        data = fromQuery();
        break;
      }
      case 'LIST':
        operation = 'list';
        data = fromQuery();
        break;
      case 'DELETE':
        operation = 'delete';
        data = fromQuery();
        break;
      case 'POST':
      case 'PUT':
        operation = 'write';
        // Snapshot restores stream their body straight into storage; everything else is JSON.
        data = isSnapshotUpload(path) ? {} : await jsonBody();
        break;
      case 'PATCH': {
        const ct = headers['content-type'] ?? '';
        if (ct.split(';')[0]!.trim().toLowerCase() !== 'application/merge-patch+json') {
          throw new LogicalError(`PATCH requires Content-Type of application/merge-patch+json, provided ${ct}`, 415);
        }
        operation = 'patch';
        data = await jsonBody();
        break;
      }
      default:
        return errors(405, []);
    }
    const wrapTtl = parseWrapTtl(headers['x-vault-wrap-ttl']);

    const socket = c.env?.incoming?.socket as TLSSocket | undefined;
    const peerChain = socket && typeof socket.getPeerCertificate === 'function' ? peerCertificateChain(socket) : [];
    let res;
    try {
      res = await core.handle({
        id: requestId,
        operation,
        path,
        data,
        clientToken: clientToken(headers),
        headers,
        connection: {
          remoteAddress: socket?.remoteAddress ?? '',
          remotePort: socket?.remotePort ?? 0,
          ...(peerChain.length > 0 ? { peerCertificates: peerChain } : {}),
        },
        contentType: headers['content-type'] ?? '',
        ...(wrapTtl !== undefined ? { wrapTtl } : {}),
        ...(operation === 'write' && isSnapshotUpload(path) && c.env?.incoming ? { bodyStream: c.env.incoming as unknown as Readable } : {}),
      });
    } catch (e) {
      if (e instanceof StandbyError) return forward(e);
      throw e;
    }

    if (res.renderedAuth && path.startsWith('auth/')) metrics.handleLoginRequest.observe(performance.now() - started);

    if (res.raw) {
      const raw = res.raw;
      const bodyBytes =
        raw.body instanceof Readable ? (Readable.toWeb(raw.body) as ReadableStream<Uint8Array>) : typeof raw.body === 'string' ? raw.body : new Uint8Array(raw.body);
      return new Response(raw.status === 204 ? null : bodyBytes, {
        status: raw.status,
        headers: { 'Content-Type': raw.contentType, 'Cache-Control': 'no-store', ...(raw.headers ?? {}) },
      });
    }
    if (res.bareJson !== undefined) return json(res.statusCode ?? 200, res.bareJson);
    if (res.statusCode !== undefined) return json(res.statusCode, renderEnvelope(res));
    if (isEmptyResponse(res)) {
      if (operation === 'read' || operation === 'list') return errors(404, []);
      return new Response(null, { status: 204, headers: JSON_HEADERS });
    }
    if (operation === 'list' && res.data && Array.isArray(res.data['keys']) && (res.data['keys'] as unknown[]).length === 0) {
      return errors(404, []);
    }
    return json(200, renderEnvelope(res));
  }

  async function body(c: Context<Env>): Promise<Record<string, unknown>> {
    const headers = requestHeaders(c);
    return decodeBody(await readBody(c, headers, maxSize), headers['content-type']);
  }

  function isSnapshotUpload(path: string): boolean {
    return path === 'sys/storage/raft/snapshot' || path === 'sys/storage/raft/snapshot-force';
  }

  return app;
}
