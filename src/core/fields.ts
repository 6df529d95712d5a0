/**
 * Vault's framework field types (sdk/framework) as zod schemas: lenient about how a value is
 * spelled (cert-manager sends every value as a string, node-vault sends "1" for booleans), strict
 * about what it means. `parseFields` validates a request's data against a path's field map and
 * reports unknown fields as a warning, as Vault does.
 */
import { z } from 'zod';
import { LogicalError } from './logical.js';
import { parseDuration } from '../config/duration.js';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return undefined;
}

const boolish = z.unknown().transform((v, ctx): boolean => {
  if (v === null || v === undefined || v === '') return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const b = parseGoBool(v);
    if (b !== undefined) return b;
  }
  ctx.addIssue({ code: 'custom', message: `cannot parse '${String(v)}' as bool` });
  return z.NEVER;
});

const intish = z.unknown().transform((v, ctx): number => {
  if (v === null || v === undefined || v === '') return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return Number.parseInt(v.trim(), 10);
  ctx.addIssue({ code: 'custom', message: `cannot parse '${String(v)}' as int` });
  return z.NEVER;
});

const durationish = z.unknown().transform((v, ctx): number => {
  if (v === null || v === undefined || v === '') return 0;
  try {
    if (typeof v === 'number' || typeof v === 'string') return Math.floor(parseDuration(v));
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
  ctx.addIssue({ code: 'custom', message: `cannot parse '${String(v)}' as a duration` });
  return z.NEVER;
});

const stringish = z.unknown().transform((v, ctx): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  ctx.addIssue({ code: 'custom', message: `expected a string, got ${Array.isArray(v) ? 'array' : typeof v}` });
  return z.NEVER;
});

const commaStringSlice = z.unknown().transform((v, ctx): string[] => {
  if (v === null || v === undefined || v === '') return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const item of v) {
      if (typeof item === 'string') out.push(item.trim());
      else if (typeof item === 'number' || typeof item === 'boolean') out.push(String(item));
      else {
        ctx.addIssue({ code: 'custom', message: 'expected a list of strings' });
        return z.NEVER;
      }
    }
    return out;
  }
  ctx.addIssue({ code: 'custom', message: 'expected a list of strings or a comma-separated string' });
  return z.NEVER;
});

const stringMap = z.unknown().transform((v, ctx): Record<string, string> => {
  if (v === null || v === undefined || v === '') return {};
  if (typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val === 'string') out[k] = val;
      else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
      else {
        ctx.addIssue({ code: 'custom', message: `value of key "${k}" must be a string` });
        return z.NEVER;
      }
    }
    return out;
  }
  ctx.addIssue({ code: 'custom', message: 'expected a map of strings' });
  return z.NEVER;
});

const anyMap = z.unknown().transform((v, ctx): Record<string, unknown> => {
  if (v === null || v === undefined) return {};
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  ctx.addIssue({ code: 'custom', message: 'expected a map' });
  return z.NEVER;
});

const intSlice = z.unknown().transform((v, ctx): number[] => {
  if (v === null || v === undefined || v === '') return [];
  const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : Array.isArray(v) ? v : [v];
  const out: number[] = [];
  for (const item of items) {
    const n = typeof item === 'number' ? item : typeof item === 'string' && /^[+-]?\d+$/.test(item) ? Number(item) : NaN;
    if (!Number.isInteger(n)) {
      ctx.addIssue({ code: 'custom', message: `cannot parse '${String(item)}' as int` });
      return z.NEVER;
    }
    out.push(n);
  }
  return out;
});

/** Field constructors, named after Vault's framework.FieldType values. */
export const field = {
  string: () => stringish,
  bool: () => boolish,
  int: () => intish,
  duration: () => durationish,
  commaStringSlice: () => commaStringSlice,
  stringMap: () => stringMap,
  map: () => anyMap,
  intSlice: () => intSlice,
  /** Keep the raw JSON value (no coercion). */
  raw: () => z.unknown(),
};

export type FieldMap = Record<string, z.ZodType>;
export type Parsed<F extends FieldMap> = { [K in keyof F]: z.output<F[K]> };

export interface ParsedFields<F extends FieldMap> {
  values: Parsed<F>;
  /** Fields the client actually sent (Vault's GetOk). */
  present: Set<string>;
  warnings: string[];
}

/**
 * Validates `data` against `fields`. Absent fields get their schema's value for `undefined`
 * (each constructor above maps undefined to the type's zero value); callers apply defaults.
 */
export function parseFields<F extends FieldMap>(fields: F, data: Record<string, unknown>): ParsedFields<F> {
  const values: Record<string, unknown> = {};
  const present = new Set<string>();
  for (const name in fields) {
    const schema = fields[name]!;
    const has = Object.prototype.hasOwnProperty.call(data, name);
    if (!has) {
      const zero = absentValue(schema);
      if (zero.cached) {
        values[name] = zero.value;
        continue;
      }
    } else present.add(name);
    const result = schema.safeParse(has ? data[name] : undefined);
    if (!result.success) {
      const why = result.error.issues.map((i) => i.message).join('; ');
      const shown = has ? JSON.stringify(data[name]) : 'nothing';
      throw new LogicalError(`Field validation failed: error converting input ${shown} for field "${name}": ${why}`);
    }
    values[name] = result.data;
  }
  let unknown: string[] = [];
  for (const k of Object.keys(data)) if (!(k in fields)) unknown.push(k);
  if (unknown.length > 1) unknown = unknown.sort();
  const warnings = unknown.length > 0 ? [`Endpoint ignored these unrecognized parameters: [${unknown.join(' ')}]`] : [];
  return { values: values as Parsed<F>, present, warnings };
}

// An absent field's value is its schema's answer for `undefined`: computed once per schema when it
// is a primitive (most are), so reads with few parameters skip zod entirely. Objects are never
// shared between requests: those schemas run every time.
const absentValues = new WeakMap<z.ZodType, { cached: boolean; value?: unknown }>();

function absentValue(schema: z.ZodType): { cached: boolean; value?: unknown } {
  let hit = absentValues.get(schema);
  if (!hit) {
    const r = schema.safeParse(undefined);
    hit = r.success && (r.data === null || typeof r.data !== 'object') ? { cached: true, value: r.data } : { cached: false };
    absentValues.set(schema, hit);
  }
  return hit;
}
