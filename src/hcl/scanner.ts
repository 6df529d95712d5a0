/**
 * Tokenizer for HCL1, following hashicorp/hcl v1's scanner (hcl/scanner) and string
 * unquoting (hcl/strconv) closely, so that every document HCL1 accepts yields the same values.
 * Deliberate difference: a heredoc terminator may end the file without a newline (an error in
 * HCL1).
 */
import { HclSyntaxError, type LineIndex } from './syntax-error.js';

export type TokenKind = 'ident' | 'bool' | 'number' | 'string' | 'heredoc' | '{' | '}' | '[' | ']' | ',' | '=' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Offset of the first character. */
  offset: number;
  /** Source text (for error messages). */
  text: string;
  /** Decoded value of ident/bool/number/string/heredoc tokens. */
  value: string | number | boolean;
}

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;

const isDecimal = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDecimal(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isAsciiLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
/** `[[:space:]]` of Go's RE2 (used by the heredoc terminator match). */
const isPosixSpace = (c: number): boolean => c === CH_SPACE || (c >= 9 && c <= 13);

const UNICODE_LETTER = /^\p{L}$/u;
const UNICODE_DIGIT = /^\p{Nd}$/u;

/** Largest int64, for Go's ParseInt range check. */
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export class Scanner {
  private i = 0;

  constructor(
    private readonly src: string,
    private readonly lines: LineIndex,
    private readonly filename: string | undefined,
  ) {}

  fail(reason: string, offset: number): never {
    throw new HclSyntaxError(reason, this.lines.pos(offset), this.filename);
  }

  next(): Token {
    this.skipSpaceAndComments();
    const src = this.src;
    const start = this.i;
    if (start >= src.length) return { kind: 'eof', offset: start, text: '', value: '' };
    const c = src.charCodeAt(start);

    if (isAsciiLetter(c) || (c >= 0x80 && this.isUnicodeLetterAt(start))) return this.scanIdentifier(start);
    if (isDecimal(c)) return this.scanNumber(start);
    switch (c) {
      case 34 /* " */:
        return this.scanString(start);
      case 60 /* < */:
        return this.scanHeredoc(start);
      case 45 /* - */:
        if (isDecimal(src.charCodeAt(start + 1))) return this.scanNumber(start);
        return this.fail(`unexpected '-' (a negative number needs a digit right after the '-')`, start);
      case 46 /* . */:
        if (isDecimal(src.charCodeAt(start + 1))) return this.scanNumber(start);
        return this.fail(`unexpected '.'`, start);
      case 123:
        return this.punct('{', start);
      case 125:
        return this.punct('}', start);
      case 91:
        return this.punct('[', start);
      case 93:
        return this.punct(']', start);
      case 44:
        return this.punct(',', start);
      case 61:
        return this.punct('=', start);
      default: {
        const ch = String.fromCodePoint(src.codePointAt(start)!);
        return this.fail(`unexpected character ${JSON.stringify(ch)}`, start);
      }
    }
  }

  private punct(kind: TokenKind, start: number): Token {
    this.i = start + 1;
    return { kind, offset: start, text: kind, value: kind };
  }

  private skipSpaceAndComments(): void {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(this.i);
      if (c === CH_SPACE || c === CH_TAB || c === CH_LF || c === CH_CR) {
        this.i++;
      } else if (c === 35 /* # */ || (c === 47 /* / */ && src.charCodeAt(this.i + 1) === 47)) {
        const nl = src.indexOf('\n', this.i);
        this.i = nl === -1 ? src.length : nl;
      } else if (c === 47 && src.charCodeAt(this.i + 1) === 42 /* * */) {
        const end = src.indexOf('*/', this.i + 2);
        if (end === -1) this.fail('unterminated /* comment', this.i);
        this.i = end + 2;
      } else if (c === 47) {
        this.fail(`unexpected '/' (comments start with '//', '/*' or '#')`, this.i);
      } else {
        return;
      }
    }
  }

  private isUnicodeLetterAt(at: number): boolean {
    return UNICODE_LETTER.test(String.fromCodePoint(this.src.codePointAt(at)!));
  }

  /** Go's isLetter || isDigit, for identifier and heredoc-anchor continuation. */
  private isWordCharAt(at: number): boolean {
    const c = this.src.charCodeAt(at);
    if (isAsciiLetter(c) || isDecimal(c)) return true;
    if (c < 0x80 || Number.isNaN(c)) return false;
    const ch = String.fromCodePoint(this.src.codePointAt(at)!);
    return UNICODE_LETTER.test(ch) || UNICODE_DIGIT.test(ch);
  }

  private charLenAt(at: number): number {
    return this.src.codePointAt(at)! > 0xffff ? 2 : 1;
  }

  private scanIdentifier(start: number): Token {
    const src = this.src;
    let i = start + this.charLenAt(start);
    for (;;) {
      const c = src.charCodeAt(i);
      if (c === 45 || c === 46 || (i < src.length && this.isWordCharAt(i))) i += this.charLenAt(i);
      else break;
    }
    this.i = i;
    const text = src.slice(start, i);
    if (text === 'true' || text === 'false') return { kind: 'bool', offset: start, text, value: text === 'true' };
    return { kind: 'ident', offset: start, text, value: text };
  }

  /**
   * Integers are Go ParseInt(text, 0, 64) (so `010` is octal 8 and `0x1f` hex); anything with a
   * '.' or an exponent is a float.
   */
  private scanNumber(start: number): Token {
    const src = this.src;
    let i = start;
    if (src.charCodeAt(i) === 45) i++;
    const digitsStart = i;
    if (src.charCodeAt(i) === 48 && (src.charCodeAt(i + 1) | 0x20) === 120 /* x */) {
      i += 2;
      const hexStart = i;
      while (isHex(src.charCodeAt(i))) i++;
      this.i = i;
      const text = src.slice(start, i);
      if (i === hexStart) this.fail(`invalid hexadecimal number "${text}"`, start);
      return this.intToken(start, text, BigInt(src.slice(digitsStart, i)));
    }
    while (isDecimal(src.charCodeAt(i))) i++;
    const intEnd = i;
    let isFloat = false;
    if (src.charCodeAt(i) === 46 /* . */) {
      isFloat = true;
      i++;
      while (isDecimal(src.charCodeAt(i))) i++;
    }
    if ((src.charCodeAt(i) | 0x20) === 101 /* e */) {
      isFloat = true;
      i++;
      const sign = src.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      while (isDecimal(src.charCodeAt(i))) i++;
    }
    this.i = i;
    const text = src.slice(start, i);
    if (isFloat) {
      const value = Number(text);
      if (Number.isNaN(value)) this.fail(`invalid number "${text}"`, start);
      if (!Number.isFinite(value)) this.fail(`number "${text}" is out of range`, start);
      return { kind: 'number', offset: start, text, value: value === 0 ? 0 : value };
    }
    const digits = src.slice(digitsStart, intEnd);
    if (digits.length > 1 && digits.charCodeAt(0) === 48) {
      if (/[89]/.test(digits)) this.fail(`invalid octal number "${text}" (a leading 0 means octal)`, start);
      return this.intToken(start, text, BigInt(`0o${digits.slice(1)}`));
    }
    return this.intToken(start, text, BigInt(digits));
  }

  private intToken(start: number, text: string, magnitude: bigint): Token {
    const v = text.charCodeAt(0) === 45 ? -magnitude : magnitude;
    if (v > INT64_MAX || v < INT64_MIN) this.fail(`number "${text}" is out of range`, start);
    const value = Number(v);
    return { kind: 'number', offset: start, text, value: value === 0 ? 0 : value };
  }

  /**
   * A quoted string: no raw newlines except inside `${…}`, whose content is kept verbatim
   * (escapes there are checked but not decoded), as HCL1 does.
   */
  private scanString(start: number): Token {
    const src = this.src;
    let i = start + 1;
    let braces = 0;
    let out = '';
    let runStart = i;
    /** Bytes from \x and octal escapes, decoded as UTF-8 once a run of them ends. */
    let bytes: number[] = [];
    const flushBytes = (): void => {
      if (bytes.length > 0) {
        out += Buffer.from(bytes).toString('utf8');
        bytes = [];
      }
    };
    for (;;) {
      if (i >= src.length) this.fail('unterminated string', start);
      const c = src.charCodeAt(i);
      if (c === CH_LF && braces === 0) this.fail('unterminated string (strings cannot span lines; use a heredoc)', start);
      if (c === 34 && braces === 0) break;
      if (braces === 0 && c === 36 /* $ */ && src.charCodeAt(i + 1) === 123) {
        braces = 1;
        i += 2;
        continue;
      }
      if (braces > 0) {
        if (c === 123) braces++;
        else if (c === 125) braces--;
      }
      if (c !== 92 /* \ */) {
        i++;
        continue;
      }
      // Escape sequence: validated everywhere, decoded only outside `${…}`.
      const escStart = i;
      const e = src[i + 1] ?? '';
      let decoded: string | number;
      let len: number;
      switch (e) {
        case 'a': decoded = '\x07'; len = 2; break;
        case 'b': decoded = '\b'; len = 2; break;
        case 'f': decoded = '\f'; len = 2; break;
        case 'n': decoded = '\n'; len = 2; break;
        case 'r': decoded = '\r'; len = 2; break;
        case 't': decoded = '\t'; len = 2; break;
        case 'v': decoded = '\v'; len = 2; break;
        case '\\': decoded = '\\'; len = 2; break;
        case '"': decoded = '"'; len = 2; break;
        case 'x': decoded = this.escapeDigits(escStart, 2, 16); len = 4; break;
        case 'u': decoded = this.runeEscape(escStart, 4); len = 6; break;
        case 'U': decoded = this.runeEscape(escStart, 8); len = 10; break;
        default:
          if (e >= '0' && e <= '7') {
            decoded = this.escapeDigits(escStart, 3, 8, 1);
            len = 4;
            if (decoded > 255) this.fail(`octal escape "${src.slice(escStart, escStart + 4)}" is above \\377`, escStart);
            break;
          }
          return this.fail(`invalid escape sequence "\\${e === '\n' ? '\\n' : e}"`, escStart);
      }
      if (braces === 0) {
        const literal = src.slice(runStart, escStart);
        if (literal !== '') {
          flushBytes();
          out += literal;
        }
        if (typeof decoded === 'number') bytes.push(decoded);
        else {
          flushBytes();
          out += decoded;
        }
        runStart = escStart + len;
      }
      i = escStart + len;
    }
    const literal = src.slice(runStart, i);
    if (literal !== '') {
      flushBytes();
      out += literal;
    }
    flushBytes();
    this.i = i + 1;
    return { kind: 'string', offset: start, text: src.slice(start, i + 1), value: out };
  }

  /** `count` digits of `base` after the escape introducer (`skip` digits already part of it). */
  private escapeDigits(escStart: number, count: number, base: 8 | 16, skip = 0): number {
    const first = escStart + 2 - skip;
    const digits = this.src.slice(first, first + count);
    const ok = digits.length === count && (base === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/).test(digits);
    if (!ok) this.fail(`invalid escape sequence "${this.src.slice(escStart, first + count).split('\n')[0]}" (needs ${count} ${base === 16 ? 'hex' : 'octal'} digits)`, escStart);
    return parseInt(digits, base);
  }

  private runeEscape(escStart: number, count: number): string {
    const v = this.escapeDigits(escStart, count, 16);
    if (v > 0x10ffff) this.fail(`escape "${this.src.slice(escStart, escStart + 2 + count)}" is not a Unicode code point`, escStart);
    // Go encodes surrogate halves as U+FFFD.
    return v >= 0xd800 && v <= 0xdfff ? '\ufffd' : String.fromCodePoint(v);
  }

  /**
   * `<<EOF` / `<<-EOF` … a line consisting of optional spaces, the anchor, optional `\r`s.
   * The value follows HCL1's token.unindentHeredoc exactly, including its quirks (a non-dash
   * heredoc keeps the terminator line's indentation; `<<-` only unindents when every line
   * carries the terminator's indentation).
   */
  private scanHeredoc(start: number): Token {
    const src = this.src;
    if (src.charCodeAt(start + 1) !== 60) this.fail(`unexpected '<' (a heredoc starts with '<<')`, start);
    let i = start + 2;
    const indent = src.charCodeAt(i) === 45;
    if (indent) i++;
    const anchorStart = i;
    while (i < src.length && this.isWordCharAt(i)) i += this.charLenAt(i);
    let anchor = src.slice(anchorStart, i);
    if (src.charCodeAt(i) === CH_CR && src.charCodeAt(i + 1) === CH_LF) {
      anchor += '\r';
      i++;
    }
    if (i >= src.length) this.fail('unterminated heredoc', start);
    if (src.charCodeAt(i) !== CH_LF) this.fail('invalid characters after heredoc anchor (expected a newline right after it)', i);
    if (anchor.replace('\r', '') === '') this.fail('heredoc anchor is missing (e.g. <<EOF)', start);
    const contentStart = i + 1;
    let lineStart = contentStart;
    let unindentedEnd = false;
    for (;;) {
      const nl = src.indexOf('\n', lineStart);
      const lineEnd = nl === -1 ? src.length : nl;
      const terminator = src.slice(lineStart, lineEnd);
      // HCL1 compares the line's length with the anchor's *including* the '-' of `<<-`, so the
      // closing line of an indented heredoc needs at least one character besides the anchor.
      const longEnough = !indent || terminator.length > anchor.length;
      if (isHeredocTerminator(terminator, anchor) && !longEnough) unindentedEnd = true;
      if (longEnough && isHeredocTerminator(terminator, anchor)) {
        this.i = nl === -1 ? src.length : nl + 1;
        const content = src.slice(contentStart, lineStart);
        const value = heredocValue(content, terminator, anchor, indent);
        return { kind: 'heredoc', offset: start, text: src.slice(start, lineEnd), value };
      }
      if (nl === -1) {
        const name = anchor.replace('\r', '');
        const hint = unindentedEnd ? ` (the closing "${name}" of a <<- heredoc must be indented, as HCL1 requires)` : '';
        this.fail(`unterminated heredoc (no line "${name}" closes it)${hint}`, start);
      }
      lineStart = nl + 1;
    }
  }
}

function isHeredocTerminator(line: string, anchor: string): boolean {
  let w = 0;
  while (w < line.length && isPosixSpace(line.charCodeAt(w))) w++;
  if (!line.startsWith(anchor, w)) return false;
  for (let k = w + anchor.length; k < line.length; k++) if (line.charCodeAt(k) !== CH_CR) return false;
  return true;
}

function heredocValue(content: string, terminator: string, anchor: string, indent: boolean): string {
  // HCL1 slices the token text by the anchor length, which leaves the terminator line's
  // leading whitespace (and any extra '\r') at the end of the value.
  const tail = terminator.slice(0, terminator.length - anchor.length);
  if (!indent) return content + tail;
  const lines = (content + tail).split('\n');
  const prefix = lines[lines.length - 1]!;
  if (lines.every((l) => l.startsWith(prefix))) {
    return lines.map((l, k) => (k === lines.length - 1 ? '' : l.slice(prefix.length))).join('\n');
  }
  return (content + tail).slice(0, -1).replace(/[ \t]+$/, '');
}
