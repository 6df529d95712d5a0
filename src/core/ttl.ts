/** Vault's TTL arithmetic, as pure functions (sdk/framework + vault/request_handling.go). */
import { formatDuration } from '../config/duration.js';

export interface TtlInput {
  /** Requested TTL in seconds (0 = default). */
  requested: number;
  /** Mount or system default (seconds, > 0). */
  defaultTtl: number;
  /** Effective max (seconds, > 0): min of mount/system max and any backend/role max. */
  maxTtl: number;
  /** Explicit max (seconds, 0 = none), counted from issue time. */
  explicitMaxTtl?: number;
  /** Periodic tokens: every renewal resets to the period. */
  period?: number;
}

export interface TtlResult {
  ttl: number;
  warnings: string[];
}

export function computeTtl(i: TtlInput): TtlResult {
  const warnings: string[] = [];
  const explicit = i.explicitMaxTtl ?? 0;
  if (i.period && i.period > 0) {
    let ttl = i.period;
    if (explicit > 0 && ttl > explicit) {
      warnings.push(`period of "${formatDuration(ttl)}" exceeded the effective max_ttl of "${formatDuration(explicit)}"; period value is capped accordingly`);
      ttl = explicit;
    }
    return { ttl, warnings };
  }
  let ttl = i.requested > 0 ? i.requested : i.defaultTtl;
  let max = i.maxTtl;
  if (explicit > 0 && explicit < max) max = explicit;
  if (ttl > max) {
    warnings.push(`TTL of "${formatDuration(ttl)}" exceeded the effective max_ttl of "${formatDuration(max)}"; TTL value is capped accordingly`);
    ttl = max;
  }
  return { ttl, warnings };
}

/** min over positive values; 0 when all are 0. */
export function minPositive(...xs: number[]): number {
  const pos = xs.filter((x) => x > 0);
  return pos.length === 0 ? 0 : Math.min(...pos);
}
