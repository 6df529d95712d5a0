/**
 * Certificate validity windows, after Vault's getCertificateNotAfter: request TTL, else role TTL,
 * else the mount default; capped (with a warning, never an error) by the role max TTL, else the
 * mount max; a fixed `not_after` replaces the TTL; finally the issuer's NotAfter applies per its
 * leaf_not_after_behavior.
 */
import { formatDuration } from '../config/duration.js';
import { LogicalError } from '../core/logical.js';

export type NotAfterBehavior = 'err' | 'truncate' | 'permit';

export interface ValidityInput {
  nowMs: number;
  /** Seconds from the request (0 = not given). */
  requestTtl: number;
  /** RFC 3339 text from the request ('' = not given). */
  requestNotAfter: string;
  roleTtl: number;
  roleMaxTtl: number;
  /** Role `not_after` (takes precedence over the request's). */
  roleNotAfter: string;
  mountDefaultTtl: number;
  mountMaxTtl: number;
  /** Seconds to backdate NotBefore (Vault: 30 when unset). */
  notBeforeDuration: number;
  /** The signing issuer's NotAfter; undefined for self-signed roots. */
  issuerNotAfter?: Date;
  behavior: NotAfterBehavior;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
  warnings: string[];
}

/** Go's time.RFC3339Nano in UTC (trailing zeros of the fraction dropped). */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}

/** Parses Go's time.RFC3339 input; throws a LogicalError with Go-like text when it is not. */
export function parseRfc3339(s: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  const d = m ? new Date(s) : undefined;
  if (!d || Number.isNaN(d.getTime())) {
    throw new LogicalError(`parsing time "${s}" as "2006-01-02T15:04:05Z07:00": cannot parse "${s}" as "2006"`);
  }
  return d;
}

export function computeValidity(v: ValidityInput): Validity {
  const warnings: string[] = [];
  let ttl = v.requestTtl;
  // The role's not_after wins over the request's; either one conflicts with a request TTL.
  const notAfterText = v.roleNotAfter !== '' ? v.roleNotAfter : v.requestNotAfter;
  if (ttl > 0 && notAfterText !== '') {
    throw new LogicalError('Either ttl or not_after should be provided. Both should not be provided in the same request.');
  }
  if (ttl === 0 && v.roleTtl > 0) ttl = v.roleTtl;
  let max = v.roleMaxTtl > 0 ? v.roleMaxTtl : 0;
  if (ttl === 0) ttl = v.mountDefaultTtl;
  if (max === 0) max = v.mountMaxTtl;
  if (ttl > max) {
    warnings.push(`TTL "${formatDuration(ttl)}" is longer than permitted maxTTL "${formatDuration(max)}", so maxTTL is being used`);
    ttl = max;
  }
  let notAfter: Date;
  if (notAfterText !== '') notAfter = parseRfc3339(notAfterText);
  else notAfter = new Date(v.nowMs + ttl * 1000);
  if (v.issuerNotAfter && notAfter.getTime() > v.issuerNotAfter.getTime()) {
    if (v.behavior === 'truncate') notAfter = new Date(v.issuerNotAfter.getTime());
    else if (v.behavior !== 'permit') {
      throw new LogicalError(
        `cannot satisfy request, as TTL would result in notAfter of ${rfc3339Nano(notAfter)} that is beyond the expiration of the CA certificate at ${rfc3339Nano(v.issuerNotAfter)}`,
      );
    }
  }
  const backdate = v.notBeforeDuration > 0 ? v.notBeforeDuration : 30;
  const notBefore = new Date(v.nowMs - backdate * 1000);
  // X.509 times carry whole seconds; truncate so what we report equals what we encode.
  const nb = new Date(Math.floor(notBefore.getTime() / 1000) * 1000);
  const na = new Date(Math.floor(notAfter.getTime() / 1000) * 1000);
  if (nb.getTime() > na.getTime()) {
    throw new LogicalError(`The certificate's Not Before (${nb.toISOString()}) is later than the certificate's Not After (${na.toISOString()})`);
  }
  if (nb.getTime() === na.getTime()) {
    throw new LogicalError(`The certificate's Not Before (${nb.toISOString()}) is equal to the certificate's Not After (${na.toISOString()})`);
  }
  return { notBefore: nb, notAfter: na, warnings };
}
