/**
 * Durations as Vault reads and prints them. parseDuration follows Vault's
 * parseutil.ParseDurationSecond (ints are seconds, "<n>d" are days, otherwise Go's
 * time.ParseDuration); formatDuration is Go's time.Duration.String().
 * Both work in SECONDS (fractions allowed), with nanosecond precision internally.
 */

const NS_PER_S = 1_000_000_000n;
const INT64_MAX = (1n << 63n) - 1n;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

/** Seconds from an int/float (seconds), a numeric string, "<n>d", or a Go duration ("1h30m", "500ms").
 *  The empty string is 0, as in Vault. Throws on anything else. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new Error(`invalid duration ${String(input)}`);
    return input;
  }
  if (typeof input !== 'string') throw new Error(`invalid duration: expected a string or a number, got ${typeof input}`);
  const s = input.trim();
  if (s === '') return 0;
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return Number(s);
  const days = /^([+-]?\d+)d$/.exec(s);
  if (days) return Number(days[1]) * 86400;
  return nanosToSeconds(parseGoDuration(s));
}

function nanosToSeconds(ns: bigint): number {
  return Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9;
}

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(orig: string): bigint {
  const invalid = (why = 'invalid duration'): Error => new Error(`${why} ${JSON.stringify(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    // [0-9]*
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    // (\.[0-9]*)?
    let frac = '';
    let hasPoint = false;
    if (s[0] === '.') {
      hasPoint = true;
      frac = /^[0-9]*/.exec(s.slice(1))![0];
      s = s.slice(1 + frac.length);
    }
    if (intPart === '' && frac === '') throw invalid();
    // unit: everything up to the next digit or '.'
    const unit = /^[^0-9.]*/.exec(s)![0];
    s = s.slice(unit.length);
    if (unit === '') throw invalid('missing unit in duration');
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) throw invalid(`unknown unit ${JSON.stringify(unit)} in duration`);
    const v = BigInt(intPart === '' ? '0' : intPart);
    if (v > (1n << 63n) / unitNs) throw invalid();
    let part = v * unitNs;
    if (hasPoint && frac !== '') {
      // Go scales the fraction in float64 (exact enough: at most 3.6e12 ns per hour unit).
      const digits = frac.slice(0, 18);
      part += BigInt(Math.floor(Number(digits) * (Number(unitNs) / 10 ** digits.length)));
      if (part > 1n << 63n) throw invalid();
    }
    total += part;
    if (total > 1n << 63n) throw invalid();
  }
  if (neg) return -total;
  if (total > INT64_MAX) throw invalid();
  return total;
}

/** Go's time.Duration.String() for a number of seconds: "768h0m0s", "1m30s", "1.5s", "500ms", "0s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new Error(`cannot format duration ${String(seconds)}`);
  const whole = Math.trunc(seconds);
  const ns = BigInt(whole) * NS_PER_S + BigInt(Math.round((seconds - whole) * 1e9));
  return formatGoDuration(ns);
}

export function formatGoDuration(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < NS_PER_S) {
    if (u === 0n) return '0s';
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    out = `${fraction(u % (60n * NS_PER_S), 9)}s`;
    u /= 60n * NS_PER_S; // whole minutes
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n; // whole hours
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** v / 10^prec printed with its fraction, trailing zeros (and a bare '.') dropped. */
function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return frac === '' ? `${v / scale}` : `${v / scale}.${frac}`;
}
