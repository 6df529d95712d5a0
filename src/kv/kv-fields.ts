/**
 * Field types the KV engine needs beyond src/core/fields.ts: Vault's TypeDurationSecond /
 * TypeSignedDurationSecond with its exact negative-value rule, and mapstructure's WeakDecode of
 * loosely typed values (the `cas` option, custom_metadata values).
 */
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';

/** Seconds, truncated toward zero like Go's int(d.Seconds()). Throws on unparseable input. */
function durationSeconds(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`could not parse duration from input ${v}`);
    return Math.trunc(v);
  }
  const s = v.trim();
  if (s === '') return 0;
  // Parse the magnitude ourselves so negative values do not depend on the parser accepting a sign.
  if (s.startsWith('-')) return -Math.trunc(parseDuration(s.slice(1)));
  return Math.trunc(parseDuration(s.startsWith('+') ? s.slice(1) : s));
}

/**
 * A duration in seconds. Unsigned (Vault's TypeDurationSecond) refuses negative values with the
 * framework's message; signed (TypeSignedDurationSecond) keeps them.
 */
export function durationField(opts: { signed: boolean }): z.ZodType<number> {
  return z.unknown().transform((v, ctx): number => {
    if (v === null || v === undefined) return 0;
    if (typeof v !== 'string' && typeof v !== 'number') {
      ctx.addIssue({ code: 'custom', message: 'could not parse duration from input' });
      return z.NEVER;
    }
    let seconds: number;
    try {
      seconds = durationSeconds(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
    if (!opts.signed && seconds < 0) {
      ctx.addIssue({ code: 'custom', message: `cannot provide negative value '${seconds}'` });
      return z.NEVER;
    }
    return seconds;
  });
}

/** Go's name for the type a JSON value decodes to, as mapstructure reports it. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return 'map[string]interface {}';
  }
}

/**
 * mapstructure.WeakDecode into an int: numbers truncate, bools are 0/1, strings parse as Go
 * integer literals ("" is 0), nil leaves 0. Returns undefined where WeakDecode fails.
 */
export function weakDecodeInt(v: unknown): number | undefined {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v === '' ? '0' : v;
    // strconv.ParseInt(s, 0, 0): optional sign, then decimal, 0x hex, 0o/0 octal or 0b binary.
    const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)$/.exec(s);
    if (!m) return undefined;
    const digits = (m[2] ?? '').replace(/_/g, '');
    let n: number;
    if (/^0[xX]/.test(digits)) n = Number.parseInt(digits.slice(2), 16);
    else if (/^0[bB]/.test(digits)) n = Number.parseInt(digits.slice(2), 2);
    else if (/^0[oO]/.test(digits)) n = Number.parseInt(digits.slice(2), 8);
    else if (digits.startsWith('0') && digits.length > 1) n = Number.parseInt(digits.slice(1), 8);
    else n = Number.parseInt(digits, 10);
    if (!Number.isSafeInteger(n)) return undefined;
    return m[1] === '-' ? -n : n;
  }
  return undefined;
}

/**
 * mapstructure.WeakDecode into a string: numbers print like strconv.FormatFloat(f,'f',-1,64),
 * bools as "1"/"0", nil as "". Maps and lists cannot be decoded.
 */
export function weakDecodeString(v: unknown): { ok: true; value: string } | { ok: false; error: string } {
  if (v === null || v === undefined) return { ok: true, value: '' };
  if (typeof v === 'string') return { ok: true, value: v };
  if (typeof v === 'boolean') return { ok: true, value: v ? '1' : '0' };
  if (typeof v === 'number') return { ok: true, value: formatFloat(v) };
  return {
    ok: false,
    error: `'' expected type 'string', got unconvertible type '${goTypeName(v)}', value: '${JSON.stringify(v)}'`,
  };
}

function formatFloat(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // Go's 'f' format never uses an exponent.
  return Math.abs(n) >= 1 ? BigInt(Math.trunc(n)).toString() : n.toFixed(20).replace(/0+$/, '');
}
