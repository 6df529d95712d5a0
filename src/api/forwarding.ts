/**
 * Standby → active request forwarding. A standby relays the client's request to the active
 * node's api_addr and returns its answer verbatim; it redirects (307) instead when the client
 * asked not to be forwarded, for snapshots (always, like Vault), or when the active node could not
 * be reached at all. A failure after the request may have been delivered is a 500 (outcome
 * unknown): redirecting then would tell the client the write can safely be sent again elsewhere,
 * and treating it as "not applied" is how acknowledged-looking histories go wrong.
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
  } catch (e) {
    // Nothing was delivered: let the client try the active node itself.
    if (neverDelivered(e)) return redirect();
    return new Response(JSON.stringify({ errors: [`error forwarding request to the active node: ${describe(e)}; the request may or may not have been applied`] }), {
      status: 500,
      headers: JSON_HEADERS,
    });
  }
}

/** Connection-establishment failures: the request never left this node. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCodes(e: unknown): string[] {
  const cause = (e as { cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } } | undefined)?.cause;
  if (!cause) return [];
  const codes = [cause.code, ...(cause.errors ?? []).map((x) => x.code)];
  return codes.filter((c): c is string => typeof c === 'string');
}

export function neverDelivered(e: unknown): boolean {
  const codes = errorCodes(e);
  return codes.length > 0 && codes.every((c) => CONNECT_FAILURES.has(c));
}

function describe(e: unknown): string {
  const codes = errorCodes(e);
  return codes.length > 0 ? codes.join(', ') : e instanceof Error ? e.message : 'unknown error';
}
