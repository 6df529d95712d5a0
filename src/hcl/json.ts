/**
 * Strict JSON → HCL AST, with positions. Each JSON key becomes one item with keys [key]
 * (repeated keys are kept as separate items); `null` becomes the empty string, and a trailing
 * comma before '}' or ']' is tolerated, as in HCL1's JSON parser.
 */
import type { HclItem, HclNode, HclObject } from './ast.js';
import { HclSyntaxError, LineIndex } from './syntax-error.js';

const MAX_NESTING = 200;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export function parseJson(src: string, filename?: string): HclObject {
  return new JsonParser(src, filename).document();
}

class JsonParser {
  private i = 0;
  private depth = 0;
  private readonly lines: LineIndex;

  constructor(
    private readonly src: string,
    private readonly filename: string | undefined,
  ) {
    this.lines = new LineIndex(src);
  }

  document(): HclObject {
    this.skipSpace();
    if (this.src[this.i] !== '{') this.fail('expected a JSON object');
    const root = this.object();
    this.skipSpace();
    if (this.i < this.src.length) this.fail(`unexpected ${this.found()} after the end of the JSON document`);
    return root;
  }

  private fail(reason: string, at = this.i): never {
    throw new HclSyntaxError(reason, this.lines.pos(at), this.filename);
  }

  private found(): string {
    if (this.i >= this.src.length) return 'end of input';
    return JSON.stringify(String.fromCodePoint(this.src.codePointAt(this.i)!));
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.src.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else return;
    }
  }

  private value(): HclNode {
    this.skipSpace();
    const at = this.i;
    const pos = this.lines.pos(at);
    const c = this.src[at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'string', value: this.string(), pos };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return { kind: 'number', value: this.number(), pos };
    for (const [word, node] of [
      ['true', { kind: 'bool', value: true, pos }],
      ['false', { kind: 'bool', value: false, pos }],
      ['null', { kind: 'string', value: '', pos }],
    ] as const) {
      if (this.src.startsWith(word, at)) {
        this.i += word.length;
        return node;
      }
    }
    this.fail(`expected a JSON value, found ${this.found()}`);
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) this.fail(`nesting deeper than ${MAX_NESTING} levels`);
  }

  private object(): HclObject {
    this.enter();
    const pos = this.lines.pos(this.i);
    const open = this.i;
    this.i++; // '{'
    const items: HclItem[] = [];
    this.skipSpace();
    if (this.src[this.i] === '}') {
      this.i++;
      this.depth--;
      return { kind: 'object', items, pos };
    }
    for (;;) {
      this.skipSpace();
      if (this.src[this.i] === '}' && items.length > 0) {
        this.i++;
        this.depth--;
        return { kind: 'object', items, pos };
      }
      if (this.src[this.i] !== '"') this.fail(`expected a quoted object key, found ${this.found()}`);
      const keyPos = this.lines.pos(this.i);
      const key = this.string();
      this.skipSpace();
      if (this.src[this.i] !== ':') this.fail(`expected ':' after object key ${JSON.stringify(key)}, found ${this.found()}`);
      this.i++;
      items.push({ keys: [key], value: this.value(), pos: keyPos, assign: true });
      this.skipSpace();
      const c = this.src[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        this.depth--;
        return { kind: 'object', items, pos };
      }
      const at = this.lines.pos(open);
      this.fail(`expected ',' or '}' in the object opened at ${at.line}:${at.column}, found ${this.found()}`);
    }
  }

  private array(): HclNode {
    this.enter();
    const pos = this.lines.pos(this.i);
    this.i++; // '['
    const items: HclNode[] = [];
    this.skipSpace();
    if (this.src[this.i] === ']') {
      this.i++;
      this.depth--;
      return { kind: 'list', items, pos };
    }
    for (;;) {
      this.skipSpace();
      if (this.src[this.i] === ']' && items.length > 0) {
        this.i++;
        this.depth--;
        return { kind: 'list', items, pos };
      }
      items.push(this.value());
      this.skipSpace();
      const c = this.src[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        this.depth--;
        return { kind: 'list', items, pos };
      }
      this.fail(`expected ',' or ']' in the array opened at ${pos.line}:${pos.column}, found ${this.found()}`);
    }
  }

  /** Validates the literal by hand (for a positioned error), then lets JSON.parse decode it. */
  private string(): string {
    const src = this.src;
    const start = this.i;
    let i = start + 1;
    for (;;) {
      if (i >= src.length) this.fail('unterminated string', start);
      const c = src.charCodeAt(i);
      if (c === 34) break;
      if (c < 0x20) this.fail('control character in string (escape it, e.g. \\n)', i);
      if (c === 92) {
        const e = src[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) this.fail('invalid \\u escape (needs 4 hex digits)', i);
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail(`invalid escape sequence "\\${e ?? ''}"`, i);
        i += 2;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    return JSON.parse(src.slice(start, i + 1)) as string;
  }

  private number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.src);
    if (!m) this.fail(`invalid number`);
    const value = Number(m[0]);
    if (!Number.isFinite(value)) this.fail(`number ${m[0]} is out of range`);
    this.i += m[0].length;
    return value === 0 ? 0 : value;
  }
}
