/**
 * Durations in policies (`min_wrapping_ttl`, `max_wrapping_ttl`, control group `ttl`), parsed like
 * go-secure-stdlib `parseutil.ParseDurationSecond`: integer seconds, an integer count of days with a
 * `d` suffix, or a Go duration string. Returns seconds (fractional for sub-second units).
 *
 * Local to the policy module: it reproduces Go's error texts, which end up in API error messages.
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  'µs': 1e-6,
  'μs': 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

export function parseDurationSecond(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('could not parse duration from input');
    // Go converts the float to a Duration count first, truncating toward zero.
    return Math.trunc(value);
  }
  if (typeof value !== 'string') throw new Error('could not parse duration from input');
  if (value === '') return 0;
  if (/^[+-]?\d+$/.test(value)) return Number.parseInt(value, 10);
  if (value.endsWith('d')) {
    const days = value.slice(0, -1);
    if (!/^[+-]?\d+$/.test(days)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(days)}: invalid syntax`);
    return Number.parseInt(days, 10) * 86400;
  }
  return parseGoDuration(value);
}

/** Go's `time.ParseDuration`, in seconds. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const invalid = (): Error => new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[2];
    if (intPart === '' && (fracPart === undefined || fracPart === '')) throw invalid();
    s = s.slice(m![0].length);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (!unitMatch) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const unit = unitMatch[0];
    const scale = UNIT_SECONDS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(orig)}`);
    s = s.slice(unit.length);
    total += Number(`${intPart || '0'}.${fracPart ?? ''}0`) * scale;
  }
  return neg ? -total : total;
}
