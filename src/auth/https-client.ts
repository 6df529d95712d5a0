/**
 * The outbound HTTP(S) calls auth methods make (Kubernetes TokenReview, JWKS, CRL distribution
 * points): one request, a pinned CA bundle when configured (else the system roots), a timeout,
 * and a size cap on the answer. Plain `http:` is allowed because Vault allows it for these URLs.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface OutboundRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** PEM bundle to trust instead of the system roots. */
  caPem?: string;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface OutboundResponse {
  status: number;
  body: Buffer;
}

export function sendRequest(req: OutboundRequest): Promise<OutboundResponse> {
  const url = new URL(req.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return Promise.reject(new Error(`unsupported URL scheme ${url.protocol} in ${req.url}`));
  }
  const maxBytes = req.maxBytes ?? 4 * 1024 * 1024;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(
      url,
      {
        method: req.method ?? 'GET',
        headers: req.headers,
        timeout: req.timeoutMs ?? 10_000,
        ...(url.protocol === 'https:' && req.caPem ? { ca: req.caPem } : {}),
        // No connection reuse: each call is rare and must not keep the event loop alive.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            r.destroy(new Error(`response from ${url.origin} exceeds ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`request to ${url.origin} timed out`)));
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
