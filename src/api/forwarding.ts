/**
 * Standby → active request forwarding. A standby relays the client's request to the active
 * node's api_addr and returns its answer verbatim; it redirects (307) instead when the client
 * asked not to be forwarded, for snapshots (always, like Vault), or when forwarding fails.
 */
import type { ActiveNodeRecord } from '../core/core.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-authorization']);
const FORWARDED_HEADER = 'x-coffer-forwarded';
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

export interface ForwardInput {
  method: string;
  rawUrl: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  noForward: boolean;
}

export async function forwardToActive(active: ActiveNodeRecord | undefined, req: ForwardInput): Promise<Response> {
  if (!active || active.api_addr === '') {
    return new Response(JSON.stringify({ errors: ['no active Vault instance found'] }), { status: 503, headers: JSON_HEADERS });
  }
  const target = active.api_addr.replace(/\/+$/, '') + req.rawUrl;
  const redirect = (): Response => new Response(null, { status: 307, headers: { Location: target, 'Cache-Control': 'no-store' } });
  if (req.noForward) return redirect();
  // One hop only: a request that was already forwarded and lands on another standby stops here.
  if (req.headers[FORWARDED_HEADER] !== undefined) {
    return new Response(JSON.stringify({ errors: ['no active Vault instance found'] }), { status: 503, headers: JSON_HEADERS });
  }
  const headers: Record<string, string> = { [FORWARDED_HEADER]: '1' };
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
  try {
    const res = await fetch(target, {
      method: req.method,
      headers,
      ...(req.body !== undefined && req.body.length > 0 ? { body: new Uint8Array(req.body) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(90_000),
    });
    const out = new Headers();
    res.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k) && k !== 'content-encoding') out.set(k, v);
    });
    return new Response(res.status === 204 || res.status === 304 ? null : await res.arrayBuffer(), { status: res.status, headers: out });
  } catch {
    return redirect(); // the active node could not be reached from here: let the client try
  }
}
