/**
 * A remote JSON Web Key Set (`jwks_url`), fetched over HTTPS (optionally pinned to `jwks_ca_pem`)
 * and cached. Like go-oidc's RemoteKeySet it refetches when a token names a key the cache does
 * not have or no cached key verifies it, at most once per `minRefreshMs`, so a key rotation is
 * picked up without letting forged tokens hammer the issuer.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { sendRequest } from '../https-client.js';

export interface JwksKey {
  kid?: string;
  alg?: string;
  key: KeyObject;
}

export function parseJwks(body: unknown): JwksKey[] {
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new Error('JWKS document has no "keys" array');
  }
  const out: JwksKey[] = [];
  for (const jwk of (body as { keys: unknown[] }).keys) {
    if (jwk === null || typeof jwk !== 'object') continue;
    const j = jwk as Record<string, unknown>;
    // Symmetric keys ("oct") never verify a token here.
    if (j['kty'] !== 'RSA' && j['kty'] !== 'EC' && j['kty'] !== 'OKP') continue;
    if (j['use'] !== undefined && j['use'] !== 'sig') continue;
    try {
      const key = createPublicKey({ key: j as JsonWebKey, format: 'jwk' });
      out.push({
        key,
        ...(typeof j['kid'] === 'string' ? { kid: j['kid'] } : {}),
        ...(typeof j['alg'] === 'string' ? { alg: j['alg'] } : {}),
      });
    } catch {
      // A key this runtime cannot load is skipped, as go-jose skips unknown key types.
    }
  }
  return out;
}

export interface JwksSource {
  url: string;
  caPem?: string;
}

export class JwksCache {
  private keys: JwksKey[] | undefined;
  private fetchedAtMs = 0;
  private inflight: Promise<JwksKey[]> | undefined;
  /** Number of network fetches (for tests and metrics). */
  fetches = 0;

  constructor(
    private readonly source: JwksSource,
    private readonly nowMs: () => number,
    private readonly maxAgeMs = 60 * 60_000,
    private readonly minRefreshMs = 5_000,
  ) {}

  private async fetch(): Promise<JwksKey[]> {
    this.inflight ??= (async () => {
      try {
        this.fetches += 1;
        const res = await sendRequest({
          url: this.source.url,
          headers: { accept: 'application/json' },
          ...(this.source.caPem ? { caPem: this.source.caPem } : {}),
        });
        if (res.status !== 200) throw new Error(`fetching keys from ${this.source.url} failed: HTTP ${res.status}`);
        const keys = parseJwks(JSON.parse(res.body.toString('utf8')));
        this.keys = keys;
        this.fetchedAtMs = this.nowMs();
        return keys;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** Cached keys, fetched if missing or stale. */
  async current(): Promise<JwksKey[]> {
    if (this.keys && this.nowMs() - this.fetchedAtMs < this.maxAgeMs) return this.keys;
    return this.fetch();
  }

  /** Refetches unless the cache is younger than the refresh floor; returns the keys now held. */
  async refresh(): Promise<JwksKey[]> {
    if (this.keys && this.nowMs() - this.fetchedAtMs < this.minRefreshMs) return this.keys;
    return this.fetch();
  }
}
