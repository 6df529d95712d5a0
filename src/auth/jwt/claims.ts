/**
 * Claim checks after a JWT's signature is verified, after hashicorp/cap's jwt.Validator and
 * vault-plugin-auth-jwt: issuer/subject/audience expectations, time claims with leeway, bound
 * claims (exact or glob), claim mappings into metadata, and claim lookup by name or JSON pointer.
 * Errors carry cap's messages; callers prefix them ("error validating token: …").
 */
import { globMatch } from '../glob.js';

export class ClaimError extends Error {
  override name = 'ClaimError';
}

export interface Expected {
  issuer?: string;
  subject?: string;
  audiences?: readonly string[];
  /** Seconds; 0 = cap's default (60), negative = none. */
  clockSkewLeeway?: number;
  /** Seconds; 0 = default (150), negative = none. Used only when `exp` is missing. */
  expirationLeeway?: number;
  /** Seconds; 0 = default (150), negative = none. Used only when `nbf` and `iat` are missing. */
  notBeforeLeeway?: number;
  /** Accept tokens with none of iat/nbf/exp (the Kubernetes method does). */
  allowMissingTimes?: boolean;
}

const DEFAULT_LEEWAY = 150;
const DEFAULT_CLOCK_SKEW = 60;

const leeway = (v: number | undefined, dflt: number): number => (v === undefined || v === 0 ? dflt : v < 0 ? 0 : v);

/** The `aud` claim as a list (a lone string counts as one audience). */
export function audiencesOf(claims: Record<string, unknown>): string[] {
  const aud = claims['aud'];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

function numericDate(claims: Record<string, unknown>, name: string): number {
  const v = claims[name];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ClaimError(`invalid ${name} claim: not a number`);
  return Math.floor(v);
}

export function validateClaims(claims: Record<string, unknown>, expected: Expected, nowSec: number): void {
  if (expected.issuer && expected.issuer !== claims['iss']) throw new ClaimError('invalid issuer (iss) claim');
  if (expected.subject && expected.subject !== claims['sub']) throw new ClaimError('invalid subject (sub) claim');
  const wanted = expected.audiences ?? [];
  if (wanted.length > 0) {
    const got = audiencesOf(claims);
    if (!wanted.some((a) => got.includes(a))) throw new ClaimError('invalid audience (aud) claim: audience claim does not match any expected audience');
  }
  const iat = numericDate(claims, 'iat');
  let exp = numericDate(claims, 'exp');
  let nbf = numericDate(claims, 'nbf');
  if (iat === 0 && exp === 0 && nbf === 0) {
    if (expected.allowMissingTimes) return;
    throw new ClaimError('no issued at (iat), not before (nbf), or expiration time (exp) claims in token');
  }
  if (exp === 0) exp = Math.max(iat, nbf) + leeway(expected.expirationLeeway, DEFAULT_LEEWAY);
  if (nbf === 0) nbf = iat !== 0 ? iat : exp - leeway(expected.notBeforeLeeway, DEFAULT_LEEWAY);
  const skew = leeway(expected.clockSkewLeeway, DEFAULT_CLOCK_SKEW);
  if (nowSec + skew < nbf) throw new ClaimError('invalid not before (nbf) claim: token not yet valid');
  if (nowSec - skew > exp) throw new ClaimError('invalid expiration time (exp) claim: token is expired');
  if (iat !== 0 && nowSec + skew < iat) throw new ClaimError('invalid issued at (iat) claim: token issued in the future');
}

/** A claim by plain name, or by JSON pointer when it starts with `/` (`/a/b` = claims.a.b). */
export function getClaim(claims: Record<string, unknown>, name: string): unknown {
  if (!name.startsWith('/')) return claims[name];
  let cur: unknown = claims;
  for (const raw of name.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(key)] : (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** normalizeList: a scalar becomes a one-element list; lists stay; objects are refused. */
function asList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [v];
  return undefined;
}

/** vault-plugin-auth-jwt validateBoundClaims. */
export function validateBoundClaims(type: 'string' | 'glob', bound: Record<string, unknown>, claims: Record<string, unknown>): void {
  for (const [claim, expValue] of Object.entries(bound)) {
    const actValue = getClaim(claims, claim);
    if (actValue === undefined || actValue === null) throw new ClaimError(`claim "${claim}" is missing`);
    const actVals = asList(actValue);
    if (!actVals) throw new ClaimError(`received claim is not a string or list: ${JSON.stringify(actValue)}`);
    const expVals = asList(expValue);
    if (!expVals) throw new ClaimError(`bound claim is not a string or list: ${JSON.stringify(expValue)}`);
    const found = expVals.some((e) =>
      actVals.some((a) => {
        if (type === 'glob') {
          if (typeof e !== 'string' || typeof a !== 'string') return false;
          return globMatch(e, a);
        }
        return e === a || (typeof e === 'string' && typeof a !== 'object' && e === String(a));
      }),
    );
    if (!found) throw new ClaimError(`claim "${claim}" does not match any associated bound claim values`);
  }
}

/** claim_mappings: claim (name or pointer) → metadata key; absent claims are skipped. */
export function extractMetadata(claims: Record<string, unknown>, mappings: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [source, target] of Object.entries(mappings)) {
    const v = getClaim(claims, source);
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') out[target] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[target] = String(v);
    else throw new ClaimError(`error converting claim '${source}' to string`);
  }
  return out;
}
