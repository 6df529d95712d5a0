/**
 * HCL1 parser. The grammar follows hashicorp/hcl v1's hcl/parser: items are `keys… = value` or
 * `keys… { … }`; separators between items are optional (a single ',' may follow an item);
 * values are strings, heredocs, numbers, bools, lists and objects.
 * Deliberate difference: `a =` at the very end of a file is an error (HCL1 silently drops it).
 */
import type { HclItem, HclList, HclNode, HclObject, Pos } from './ast.js';
import { parseJson } from './json.js';
import { Scanner, type Token } from './scanner.js';
import { HclSyntaxError, LineIndex } from './syntax-error.js';

export { HclSyntaxError } from './syntax-error.js';

/** Nesting deeper than this is certainly not a config file; refuse instead of overflowing the stack. */
export const MAX_NESTING = 200;

export function parseHcl(text: string, filename?: string): HclObject {
  const src = normalizeSource(text, filename);
  return new Parser(src, filename).parseDocument();
}

/** JSON text → the same AST (JSON object → object node; each JSON key becomes one item with keys [key]). Detects JSON when the first non-space char is '{'. */
export function parseHclOrJson(text: string, filename?: string): HclObject {
  const first = /\S/.exec(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (first?.[0] === '{') return parseJson(normalizeSource(text, filename), filename);
  return parseHcl(text, filename);
}

/** HCL1 turns CRLF into LF before scanning; a leading BOM is dropped; NUL is never legal. */
function normalizeSource(text: string, filename: string | undefined): string {
  let src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (src.includes('\r\n')) src = src.replace(/\r\n/g, '\n');
  const nul = src.indexOf('\0');
  if (nul !== -1) throw new HclSyntaxError('unexpected NUL character', new LineIndex(src).pos(nul), filename);
  return src;
}

function describe(tok: Token): string {
  switch (tok.kind) {
    case 'eof':
      return 'end of input';
    case 'ident':
      return `identifier ${tok.text}`;
    case 'string':
      return `string ${tok.text.length > 40 ? `${tok.text.slice(0, 37)}..."` : tok.text}`;
    case 'number':
      return `number ${tok.text}`;
    case 'bool':
      return tok.text;
    case 'heredoc':
      return 'heredoc';
    default:
      return `'${tok.kind}'`;
  }
}

class Parser {
  private readonly lines: LineIndex;
  private readonly scanner: Scanner;
  private peeked: Token | undefined;
  private depth = 0;
  /** The last number token, to explain `ttl = 1h`. */
  private lastNumber: Token | undefined;

  constructor(
    src: string,
    private readonly filename: string | undefined,
  ) {
    this.lines = new LineIndex(src);
    this.scanner = new Scanner(src, this.lines, filename);
  }

  parseDocument(): HclObject {
    const items = this.objectList(undefined);
    return { kind: 'object', items, pos: { line: 1, column: 1 } };
  }

  private next(): Token {
    const tok = this.peeked ?? this.scanner.next();
    this.peeked = undefined;
    if (tok.kind === 'number') this.lastNumber = tok;
    return tok;
  }

  private peek(): Token {
    this.peeked ??= this.scanner.next();
    return this.peeked;
  }

  private pos(tok: Token): Pos {
    return this.lines.pos(tok.offset);
  }

  private fail(reason: string, tok: Token): never {
    throw new HclSyntaxError(reason, this.pos(tok), this.filename);
  }

  private enter(tok: Token): void {
    if (++this.depth > MAX_NESTING) this.fail(`nesting deeper than ${MAX_NESTING} levels`, tok);
  }

  /** Items until '}' (inside an object, left unconsumed) or end of input (top level). */
  private objectList(open: Token | undefined): HclItem[] {
    const items: HclItem[] = [];
    for (;;) {
      const tok = this.peek();
      if (open && tok.kind === '}') return items;
      if (tok.kind === 'eof') {
        if (!open) return items;
        const at = this.pos(open);
        this.fail(`expected '}' to close the object opened at ${at.line}:${at.column}, found end of input`, tok);
      }
      items.push(this.objectItem());
      if (this.peek().kind === ',') this.next();
    }
  }

  private objectItem(): HclItem {
    const keys: string[] = [];
    let first: Token | undefined;
    for (;;) {
      const tok = this.next();
      if (tok.kind === 'ident' || tok.kind === 'string') {
        first ??= tok;
        keys.push(tok.value as string);
        continue;
      }
      if (!first) {
        if (tok.kind === '=') this.fail(`expected a key before '='`, tok);
        this.fail(`expected a key (identifier or quoted string), found ${describe(tok)}`, tok);
      }
      const pos = this.pos(first);
      if (tok.kind === '=') {
        if (keys.length > 1) {
          this.fail(`expected '{' after ${keyList(keys)} (a key with labels starts a block; '=' takes a single key), found '='`, tok);
        }
        return { keys, value: this.value(tok), pos, assign: true };
      }
      if (tok.kind === '{') return { keys, value: this.objectType(tok), pos, assign: false };
      const num = this.lastNumber;
      const hint =
        first.kind === 'ident' && num !== undefined && first.offset === num.offset + num.text.length
          ? ` (a value with a unit must be quoted: "${num.text}${first.text}")`
          : '';
      this.fail(`expected '=' or '{' after ${keyList(keys)}, found ${describe(tok)}${hint}`, tok);
    }
  }

  private value(assign: Token): HclNode {
    const tok = this.next();
    switch (tok.kind) {
      case 'string':
      case 'heredoc':
        return { kind: 'string', value: tok.value as string, pos: this.pos(tok) };
      case 'number':
        return { kind: 'number', value: tok.value as number, pos: this.pos(tok) };
      case 'bool':
        return { kind: 'bool', value: tok.value as boolean, pos: this.pos(tok) };
      case '{':
        return this.objectType(tok);
      case '[':
        return this.listType(tok);
      default: {
        const hint = tok.kind === 'ident' ? ' (strings must be quoted)' : '';
        const at = this.pos(assign);
        this.fail(
          `expected a value (string, number, bool, heredoc, list or object) after '=' at ${at.line}:${at.column}, found ${describe(tok)}${hint}`,
          tok,
        );
      }
    }
  }

  private objectType(open: Token): HclObject {
    this.enter(open);
    const items = this.objectList(open);
    const close = this.next();
    if (close.kind !== '}') throw new Error(`internal: objectList stopped at ${close.kind}`);
    this.depth--;
    return { kind: 'object', items, pos: this.pos(open) };
  }

  /** HCL1 lists: elements separated by ','; stray commas are tolerated, as in HCL1. */
  private listType(open: Token): HclList {
    this.enter(open);
    const items: HclNode[] = [];
    let needComma = false;
    for (;;) {
      const tok = this.next();
      if (needComma && tok.kind !== ',' && tok.kind !== ']') {
        if (tok.kind === 'eof') this.failUnclosedList(open, tok);
        this.fail(`expected ',' or ']' after a list element, found ${describe(tok)}`, tok);
      }
      switch (tok.kind) {
        case 'string':
        case 'heredoc':
          items.push({ kind: 'string', value: tok.value as string, pos: this.pos(tok) });
          needComma = true;
          break;
        case 'number':
          items.push({ kind: 'number', value: tok.value as number, pos: this.pos(tok) });
          needComma = true;
          break;
        case 'bool':
          items.push({ kind: 'bool', value: tok.value as boolean, pos: this.pos(tok) });
          needComma = true;
          break;
        case ',':
          needComma = false;
          break;
        case '{':
          items.push(this.objectType(tok));
          needComma = true;
          break;
        case '[':
          // HCL1 does not require a comma after a nested list.
          items.push(this.listType(tok));
          break;
        case ']':
          this.depth--;
          return { kind: 'list', items, pos: this.pos(open) };
        case 'eof':
          this.failUnclosedList(open, tok);
          break;
        default:
          this.fail(`expected a list element or ']', found ${describe(tok)}${tok.kind === 'ident' ? ' (strings must be quoted)' : ''}`, tok);
      }
    }
  }

  private failUnclosedList(open: Token, tok: Token): never {
    const at = this.pos(open);
    this.fail(`expected ']' to close the list opened at ${at.line}:${at.column}, found end of input`, tok);
  }
}

function keyList(keys: string[]): string {
  return `key ${keys.map((k) => JSON.stringify(k)).join(' ')}`;
}
