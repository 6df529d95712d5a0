/**
 * Vault clients (hvac, node-vault) send the non-standard `LIST` HTTP method. Node's HTTP parser
 * (llhttp) only knows a fixed set of methods and rejects `LIST` as a parse error before any
 * request handler runs. We catch that parse error (`clientError`), parse the one request from the
 * raw bytes the parser saw, run it through the same fetch handler, and answer with
 * `Connection: close` (the socket's parser state is unusable after the error; clients reconnect).
 */
import type { Duplex } from 'node:stream';

export type FetchHandler = (req: Request, env: unknown) => Response | Promise<Response>;

const MAX_HEAD = 64 * 1024;

export interface ParsedRawRequest {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Parses one complete HTTP/1.x request with a known method from raw bytes; undefined if incomplete or not ours. */
export function parseRawListRequest(raw: Buffer): ParsedRawRequest | undefined {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0 || headEnd > MAX_HEAD) return undefined;
  const head = raw.subarray(0, headEnd).toString('latin1');
  const [requestLine, ...lines] = head.split('\r\n');
  const m = /^(LIST) (\S+) HTTP\/1\.[01]$/.exec(requestLine ?? '');
  if (!m) return undefined;
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) return undefined;
    headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  if (headers.some(([k]) => k.toLowerCase() === 'transfer-encoding')) return undefined; // chunked LIST bodies: not supported
  const lengthHeader = headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
  const length = lengthHeader === undefined ? 0 : Number(lengthHeader);
  if (!Number.isInteger(length) || length < 0) return undefined;
  const body = raw.subarray(headEnd + 4, headEnd + 4 + length);
  if (body.length !== length) return undefined;
  return { method: m[1]!, target: m[2]!, headers, body };
}

/**
 * Installs the LIST fallback on a server's `clientError` event. Other parse errors get the
 * ordinary 400 Node would have sent.
 */
export function handleListOnClientError(fetchHandler: FetchHandler, scheme: 'http' | 'https') {
  return (err: Error & { rawPacket?: Buffer; code?: string }, socket: Duplex): void => {
    const raw = err.rawPacket;
    const parsed = raw && err.code === 'HPE_INVALID_METHOD' ? parseRawListRequest(raw) : undefined;
    if (!parsed) {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
      return;
    }
    const host = parsed.headers.find(([k]) => k.toLowerCase() === 'host')?.[1] ?? 'localhost';
    const request = new Request(`${scheme}://${host}${parsed.target}`, {
      method: parsed.method,
      headers: parsed.headers,
      ...(parsed.body.length > 0 ? { body: new Uint8Array(parsed.body) } : {}),
    });
    // The app reads the raw URL and the socket from env.incoming, as with @hono/node-server.
    const env = { incoming: { url: parsed.target, socket, headers: Object.fromEntries(parsed.headers.map(([k, v]) => [k.toLowerCase(), v])) } };
    void (async () => {
      try {
        const res = await fetchHandler(request, env);
        const body = Buffer.from(await res.arrayBuffer());
        let head = `HTTP/1.1 ${res.status} ${res.statusText || 'OK'}\r\n`;
        res.headers.forEach((v, k) => {
          if (k !== 'connection' && k !== 'content-length' && k !== 'transfer-encoding') head += `${k}: ${v}\r\n`;
        });
        head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      } catch {
        socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    })();
  };
}
