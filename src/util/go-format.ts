/**
 * The few Go formatting conventions KV responses expose on the wire: RFC3339Nano timestamps,
 * time.Duration.String(), %q quoting and unicode.IsPrint.
 */
import { formatDuration } from '../config/duration.js';

/** Go's `t.UTC().Format(time.RFC3339Nano)`: trailing zeros of the fraction are dropped. */
export function formatRfc3339Nano(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`cannot format timestamp ${ms}`);
  const iso = new Date(ms).toISOString(); // 2018-03-22T02:24:06.945Z
  const [whole, frac = ''] = iso.slice(0, -1).split('.');
  const trimmed = frac.replace(/0+$/, '');
  return trimmed === '' ? `${whole}Z` : `${whole}.${trimmed}Z`;
}

/** Milliseconds since the epoch of an RFC3339 timestamp we wrote; '' means "no time". */
export function parseTimestamp(s: string): number | undefined {
  if (s === '') return undefined;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new Error(`corrupt timestamp in storage: ${JSON.stringify(s)}`);
  return ms;
}

/** Go's time.Duration.String() for whole seconds, negative values included ("-1s"). */
export function goDurationString(seconds: number): string {
  return seconds < 0 ? `-${formatDuration(-seconds)}` : formatDuration(seconds);
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/** Go's strutil.Printable: every rune satisfies unicode.IsPrint (letters, marks, numbers, punctuation, symbols, ASCII space). */
export function isGoPrintable(s: string): boolean {
  return PRINTABLE.test(s);
}

const NAMED_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Go's %q (strconv.Quote) for the strings that appear in KV validation messages. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const named = NAMED_ESCAPES[ch];
    const cp = ch.codePointAt(0) ?? 0;
    if (named !== undefined) out += named;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (!isGoPrintable(ch)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}
