/**
 * The token parameters every auth method's roles/users carry (Vault's sdk/helper/tokenutil):
 * field schemas, parsing with Vault's validation rules, the legacy field names each method still
 * accepts (`policies`, `ttl`, `period` …, upgraded the way tokenutil.UpgradeValue does), the read
 * rendering, and the conversion into the AuthResult the core turns into a token.
 */
import type { AuthResult } from '../core/logical.js';
import { LogicalError } from '../core/logical.js';
import { field } from '../core/fields.js';
import { parseCidr } from './cidr.js';

export type TokenType = 'default' | 'service' | 'batch';

export interface TokenParams {
  token_bound_cidrs: string[];
  token_explicit_max_ttl: number;
  token_max_ttl: number;
  token_no_default_policy: boolean;
  token_num_uses: number;
  token_period: number;
  token_policies: string[];
  token_type: TokenType;
  token_ttl: number;
}

/** Legacy names and the token_* field each one stands for. */
export const LEGACY_TOKEN_FIELDS = {
  policies: 'token_policies',
  ttl: 'token_ttl',
  max_ttl: 'token_max_ttl',
  period: 'token_period',
  bound_cidrs: 'token_bound_cidrs',
  num_uses: 'token_num_uses',
} as const;
export type LegacyTokenField = keyof typeof LEGACY_TOKEN_FIELDS;

/** Values of legacy fields as stored (only the ones the client set through the old name). */
export type LegacyTokenValues = Partial<Record<LegacyTokenField, string[] | number>>;

export const tokenFields = {
  token_bound_cidrs: field.commaStringSlice(),
  token_explicit_max_ttl: field.duration(),
  token_max_ttl: field.duration(),
  token_no_default_policy: field.bool(),
  token_num_uses: field.int(),
  token_period: field.duration(),
  token_policies: field.commaStringSlice(),
  token_type: field.string(),
  token_ttl: field.duration(),
};

const legacySchemas = {
  policies: field.commaStringSlice(),
  ttl: field.duration(),
  max_ttl: field.duration(),
  period: field.duration(),
  bound_cidrs: field.commaStringSlice(),
  num_uses: field.int(),
};

/** Field schemas for the legacy names a method accepts. */
export function legacyTokenFields<K extends LegacyTokenField>(names: readonly K[]): { [P in K]: (typeof legacySchemas)[P] } {
  const out: Record<string, unknown> = {};
  for (const n of names) out[n] = legacySchemas[n];
  return out as { [P in K]: (typeof legacySchemas)[P] };
}

export const defaultTokenParams = (): TokenParams => ({
  token_bound_cidrs: [],
  token_explicit_max_ttl: 0,
  token_max_ttl: 0,
  token_no_default_policy: false,
  token_num_uses: 0,
  token_period: 0,
  token_policies: [],
  token_type: 'default',
  token_ttl: 0,
});

/** policyutil.ParsePolicies: trimmed, lower-cased, deduplicated, sorted; `root` stands alone. */
export function parsePolicies(list: readonly string[]): string[] {
  const set = new Set(list.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''));
  if (set.has('root')) return ['root'];
  return [...set].sort();
}

/** parseutil.ParseAddrs: each entry must be an address or a CIDR block; kept as Vault renders it. */
export function parseBoundCidrs(list: readonly string[], fieldName: string): string[] {
  return list.map((c) => {
    try {
      return parseCidr(c).text;
    } catch (e) {
      throw new LogicalError(`failed to parse ${fieldName}: ${(e as Error).message}`);
    }
  });
}

export interface ParseTokenOptions {
  /** AppRole maps `default-service`/`default-batch` to service/batch with a warning. */
  acceptDefaultPrefixedTypes?: boolean;
  warnings?: string[];
}

/**
 * Applies the token_* fields the client sent (`present`) onto `target` with tokenutil's checks;
 * throws LogicalError(400) with Vault's messages.
 */
export function applyTokenFields(
  target: TokenParams,
  values: { [K in keyof typeof tokenFields]: unknown },
  present: ReadonlySet<string>,
  opts: ParseTokenOptions = {},
): void {
  const v = values as {
    token_bound_cidrs: string[];
    token_explicit_max_ttl: number;
    token_max_ttl: number;
    token_no_default_policy: boolean;
    token_num_uses: number;
    token_period: number;
    token_policies: string[];
    token_type: string;
    token_ttl: number;
  };
  if (present.has('token_bound_cidrs')) target.token_bound_cidrs = parseBoundCidrs(v.token_bound_cidrs, 'token_bound_cidrs');
  if (present.has('token_explicit_max_ttl')) target.token_explicit_max_ttl = v.token_explicit_max_ttl;
  if (present.has('token_max_ttl')) target.token_max_ttl = v.token_max_ttl;
  if (target.token_max_ttl < 0) throw new LogicalError("'token_max_ttl' cannot be negative");
  if (present.has('token_no_default_policy')) target.token_no_default_policy = v.token_no_default_policy;
  if (present.has('token_period')) target.token_period = v.token_period;
  if (target.token_period < 0) throw new LogicalError("'token_period' cannot be negative");
  if (present.has('token_policies')) target.token_policies = v.token_policies;
  if (present.has('token_type')) {
    let t = v.token_type;
    if (opts.acceptDefaultPrefixedTypes && (t === 'default-service' || t === 'default-batch')) {
      const mapped = t === 'default-service' ? 'service' : 'batch';
      opts.warnings?.push(`${t} has no useful meaning; adjusting to ${mapped}`);
      t = mapped;
    }
    if (t === '' || t === 'default') target.token_type = 'default';
    else if (t === 'service' || t === 'batch') target.token_type = t;
    else throw new LogicalError(`invalid 'token_type' value "${t}"`);
  }
  if (present.has('token_num_uses')) target.token_num_uses = v.token_num_uses;
  if (target.token_num_uses < 0) throw new LogicalError("'token_num_uses' cannot be negative");
  if (target.token_type === 'batch') {
    if (target.token_period !== 0) throw new LogicalError("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens");
    if (target.token_num_uses !== 0) throw new LogicalError("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count");
  }
  if (present.has('token_ttl')) target.token_ttl = v.token_ttl;
  if (target.token_ttl < 0) throw new LogicalError("'token_ttl' cannot be negative");
  if (target.token_ttl > 0 && target.token_max_ttl > 0 && target.token_ttl > target.token_max_ttl) {
    throw new LogicalError("'token_ttl' cannot be greater than 'token_max_ttl'");
  }
}

/**
 * tokenutil.UpgradeValue for each legacy name: if only the old name was sent it sets both; if
 * the new name was sent the old one mirrors it (when also sent) or is cleared.
 */
export function applyLegacyTokenFields(
  target: TokenParams,
  legacy: LegacyTokenValues,
  values: Record<string, unknown>,
  present: ReadonlySet<string>,
  names: readonly LegacyTokenField[],
): void {
  for (const oldName of names) {
    const newName = LEGACY_TOKEN_FIELDS[oldName];
    if (!present.has(newName)) {
      if (!present.has(oldName)) continue;
      const raw = values[oldName];
      let val: string[] | number;
      if (oldName === 'policies') val = parsePolicies(raw as string[]);
      else if (oldName === 'bound_cidrs') val = parseBoundCidrs(raw as string[], oldName);
      else val = raw as number;
      legacy[oldName] = val;
      (target as unknown as Record<string, unknown>)[newName] = val;
    } else if (present.has(oldName)) {
      legacy[oldName] = (target as unknown as Record<string, string[] | number>)[newName];
    } else {
      delete legacy[oldName];
    }
  }
}

/** tokenutil.PopulateTokenData: the token_* keys of a role/user read. */
export function tokenData(p: TokenParams): Record<string, unknown> {
  return {
    token_bound_cidrs: [...p.token_bound_cidrs],
    token_explicit_max_ttl: p.token_explicit_max_ttl,
    token_max_ttl: p.token_max_ttl,
    token_no_default_policy: p.token_no_default_policy,
    token_period: p.token_period,
    token_policies: [...p.token_policies],
    token_type: p.token_type,
    token_ttl: p.token_ttl,
    token_num_uses: p.token_num_uses,
  };
}

/** Legacy keys shown on reads only when set (Vault's "backwards compat data"). */
export function legacyData(legacy: LegacyTokenValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(legacy)) {
    if (Array.isArray(val) ? val.length > 0 : typeof val === 'number' && val > 0) out[k] = val;
  }
  return out;
}

/** tokenutil.PopulateTokenAuth: the token half of a login's AuthResult. */
export function tokenAuth(p: TokenParams): AuthResult {
  return {
    policies: [...p.token_policies],
    tokenPolicies: [...p.token_policies],
    ttl: p.token_ttl,
    maxTtl: p.token_max_ttl,
    explicitMaxTtl: p.token_explicit_max_ttl,
    period: p.token_period,
    numUses: p.token_num_uses,
    noDefaultPolicy: p.token_no_default_policy,
    tokenType: p.token_type,
    renewable: true,
    ...(p.token_bound_cidrs.length > 0 ? { boundCidrs: [...p.token_bound_cidrs] } : {}),
  };
}

/** Reads token params stored by any method, filling fields older entries lack. */
export const storedTokenParams = (raw: Partial<TokenParams> | undefined): TokenParams => ({ ...defaultTokenParams(), ...(raw ?? {}) });

/**
 * policyutil.EquivalentPolicies: the same set of policies once `default` is left out (the core
 * adds it to tokens after the method chose their policies). Compared as the core stores token
 * policies (trimmed, lower-cased), since a role may keep the spelling the client sent.
 */
export function equivalentPolicies(a: readonly string[], b: readonly string[]): boolean {
  const set = (l: readonly string[]): Set<string> => new Set(l.map((p) => p.trim().toLowerCase()).filter((p) => p !== '' && p !== 'default'));
  const sa = set(a);
  const sb = set(b);
  return sa.size === sb.size && [...sa].every((p) => sb.has(p));
}

/** The TTLs a renewal gets from the role/user the token came from (Vault sets Auth.TTL/MaxTTL from it). */
export const renewalTtls = (p: TokenParams): { ttl: number; maxTtl: number } => ({ ttl: p.token_ttl, maxTtl: p.token_max_ttl });
