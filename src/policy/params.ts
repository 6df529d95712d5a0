/**
 * Parameter constraints of a matched rule (`required_parameters`, `denied_parameters`,
 * `allowed_parameters`), checked against request data the way vault/acl.go `AllowOperation` does,
 * including the Vault 1.21 list-valued matching and the `policies`/`token_policies` lower-casing.
 */

/** Constraints in the shape the hot path wants: maps, flags and pre-lowered names. */
export interface ParameterConstraints {
  /** Lower-cased names that must be present as data keys. */
  required: readonly string[];
  /** null when there are no denied parameters. */
  denied: ReadonlyMap<string, readonly unknown[]> | null;
  deniedAll: boolean;
  /** null when there are no allowed parameters. */
  allowed: ReadonlyMap<string, readonly unknown[]> | null;
  allowedAll: boolean;
  /** `"*"` is the only allowed parameter: anything goes. */
  allowedOnlyAll: boolean;
}

export type ParameterDenial = 'missing required parameter' | 'denied parameter' | 'parameter not allowed';

export function buildParameterConstraints(
  required: readonly string[],
  denied: Readonly<Record<string, readonly unknown[]>> | undefined,
  allowed: Readonly<Record<string, readonly unknown[]>> | undefined,
): ParameterConstraints {
  const deniedMap = denied && Object.keys(denied).length > 0 ? new Map(Object.entries(denied)) : null;
  const allowedMap = allowed && Object.keys(allowed).length > 0 ? new Map(Object.entries(allowed)) : null;
  const allowedAll = allowedMap?.has('*') ?? false;
  return {
    required: required.map((r) => r.toLowerCase()),
    denied: deniedMap,
    deniedAll: deniedMap?.has('*') ?? false,
    allowed: allowedMap,
    allowedAll,
    allowedOnlyAll: allowedAll && allowedMap!.size === 1,
  };
}

export function hasParameterConstraints(c: ParameterConstraints): boolean {
  return c.required.length > 0 || c.denied !== null || c.allowed !== null;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Returns why the data is refused, or undefined when it passes. */
export function checkParameters(
  c: ParameterConstraints,
  data: Readonly<Record<string, unknown>> | undefined,
  legacyListMatching: boolean,
): ParameterDenial | undefined {
  for (const name of c.required) {
    if (!data || !hasOwn(data, name)) return 'missing required parameter';
  }
  if (!data || !hasAnyKey(data)) return undefined;

  if (c.denied) {
    if (c.deniedAll) return 'denied parameter';
    for (const key in data) {
      if (!hasOwn(data, key)) continue;
      const values = c.denied.get(key.toLowerCase());
      if (values === undefined) continue;
      if (valueInDeniedList(normalizeParameterValue(key, data[key]), values, legacyListMatching)) return 'denied parameter';
    }
  }

  if (!c.allowed || c.allowedOnlyAll) return undefined;
  for (const key in data) {
    if (!hasOwn(data, key)) continue;
    const values = c.allowed.get(key.toLowerCase());
    if (values === undefined) {
      if (!c.allowedAll) return 'parameter not allowed';
      continue;
    }
    if (!valueInAllowedList(normalizeParameterValue(key, data[key]), values, legacyListMatching)) return 'parameter not allowed';
  }
  return undefined;
}

function hasAnyKey(data: Readonly<Record<string, unknown>>): boolean {
  for (const key in data) if (hasOwn(data, key)) return true;
  return false;
}

/**
 * Vault stores policy names lower-cased, so a mixed-case value must not slip past a constraint on
 * `policies` / `token_policies`.
 */
export function normalizeParameterValue(key: string, value: unknown): unknown {
  const k = key.toLowerCase();
  if (k !== 'policies' && k !== 'token_policies') return value;
  if (typeof value === 'string') return value.toLowerCase();
  if (Array.isArray(value)) return value.map((el: unknown) => (typeof el === 'string' ? el.toLowerCase() : el));
  return value;
}

/** `*` at the start and/or end of `pattern` globs (strutil.GlobbedStringsMatch). */
export function globbedStringsMatch(pattern: string, value: string): boolean {
  if (pattern.length < 2) return value === pattern;
  const star0 = pattern.startsWith('*');
  const star1 = pattern.endsWith('*');
  if (star0 && star1) return value.includes(pattern.slice(1, -1));
  if (star0) return value.endsWith(pattern.slice(1));
  if (star1) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

/** parseutil.ParseCommaStringSlice on a string: split on `,`, trim each, `""` → []. */
export function splitCommaString(s: string): string[] {
  if (s === '') return [];
  return s.split(',').map((p) => p.trim());
}

function valueInAllowedList(v: unknown, list: readonly unknown[], legacy: boolean): boolean {
  if (list.length === 0) return true;
  if (valueInList(v, list)) return true;
  if (legacy) return false;
  // Vault 1.21: every element of a list (or comma-separated string) must be allowed.
  if (Array.isArray(v)) return v.every((el: unknown) => valueInList(el, list));
  if (typeof v === 'string') return splitCommaString(v).every((el) => valueInList(el, list));
  return false;
}

function valueInDeniedList(v: unknown, list: readonly unknown[], legacy: boolean): boolean {
  if (list.length === 0) return true;
  if (valueInList(v, list)) return true;
  if (legacy) return false;
  // Vault 1.21: any denied element of a list (or comma-separated string) denies.
  if (Array.isArray(v)) return v.some((el: unknown) => valueInList(el, list));
  if (typeof v === 'string') return splitCommaString(v).some((el) => valueInList(el, list));
  return false;
}

/** acl.go `valueInParameterList`: nil matches nil, string patterns glob, anything else is deep-equal. */
export function valueInList(v: unknown, list: readonly unknown[]): boolean {
  for (const el of list) {
    if (el === null || el === undefined || v === null || v === undefined) {
      if ((el === null || el === undefined) && (v === null || v === undefined)) return true;
    } else if (typeof el === 'string') {
      if (typeof v === 'string' && globbedStringsMatch(el, v)) return true;
    } else if (policyValueEquals(el, v)) {
      return true;
    }
  }
  return false;
}

/**
 * reflect.DeepEqual between a policy value and a request value. Numbers never match: Vault decodes
 * policy numbers as Go ints/floats and request numbers as json.Number, which are never equal.
 */
function policyValueEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return false;
  if (a === null || typeof a !== 'object') return a === b;
  if (b === null || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!policyValueEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  const bo = b as Record<string, unknown>;
  const ao = a as Record<string, unknown>;
  for (const k of ak) if (!hasOwn(bo, k) || !policyValueEquals(ao[k], bo[k])) return false;
  return true;
}
