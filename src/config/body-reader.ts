/**
 * Typed, position-aware reading of one config block. Every accessor records its key as known;
 * finish() then rejects any key nobody asked for, naming file, line and key.
 * Values are read as leniently as Vault reads them: booleans may be "true"/"1", numbers may be
 * numeric strings, strings may be written as numbers, lists may be comma-separated strings.
 */
import type { HclItem, HclNode, HclObject, Pos } from '../hcl/ast.js';
import { blocks, describeNode, type HclBlock } from '../hcl/decode.js';
import { HclSyntaxError } from '../hcl/syntax-error.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';

export interface ReadContext {
  file: string;
  /** The block being read, e.g. `listener "tcp"`; undefined at the top level. */
  where?: string;
}

const TRUE_STRINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_STRINGS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export class BodyReader {
  private readonly known = new Set<string>();

  constructor(
    readonly body: HclObject,
    readonly ctx: ReadContext,
  ) {}

  source(pos: Pos): string {
    return `${this.ctx.file}:${pos.line}`;
  }

  error(message: string, pos: Pos): ConfigError {
    return new ConfigError(message, { file: this.ctx.file, line: pos.line });
  }

  /** `"key"` or `"key" in listener "tcp"`, for messages. */
  name(key: string): string {
    return this.ctx.where === undefined ? `"${key}"` : `"${key}" in ${this.ctx.where}`;
  }

  /** The last `key = value` item (later settings win, as in HCL1). */
  item(key: string): HclItem | undefined {
    this.known.add(key);
    let found: HclItem | undefined;
    for (const item of this.body.items) {
      if (item.keys[0] !== key) continue;
      if (item.keys.length > 1) throw this.error(`${this.name(key)} is a setting, not a labelled block: write ${key} = …`, item.pos);
      found = item;
    }
    return found;
  }

  node(key: string): HclNode | undefined {
    return this.item(key)?.value;
  }

  private typeError(key: string, want: string, node: HclNode): ConfigError {
    const got = node.kind === 'string' ? JSON.stringify(node.value) : describeNode(node);
    return this.error(`${this.name(key)} must be ${want}, got ${got}`, node.pos);
  }

  string(key: string): string | undefined {
    const node = this.node(key);
    if (node === undefined) return undefined;
    if (node.kind === 'string') return node.value;
    if (node.kind === 'number' || node.kind === 'bool') return String(node.value);
    throw this.typeError(key, 'a string', node);
  }

  bool(key: string): boolean | undefined {
    const node = this.node(key);
    if (node === undefined) return undefined;
    if (node.kind === 'bool') return node.value;
    if (node.kind === 'string' && TRUE_STRINGS.has(node.value)) return true;
    if (node.kind === 'string' && FALSE_STRINGS.has(node.value)) return false;
    if (node.kind === 'number' && (node.value === 0 || node.value === 1)) return node.value === 1;
    throw this.typeError(key, 'a boolean (true or false)', node);
  }

  int(key: string, opts: { min?: number } = {}): number | undefined {
    const node = this.node(key);
    if (node === undefined) return undefined;
    let value: number | undefined;
    if (node.kind === 'number') value = node.value;
    else if (node.kind === 'string' && /^\s*[+-]?\d+\s*$/.test(node.value)) value = Number(node.value);
    if (value === undefined || !Number.isSafeInteger(value)) throw this.typeError(key, 'an integer', node);
    if (opts.min !== undefined && value < opts.min) throw this.error(`${this.name(key)} must be at least ${opts.min}, got ${value}`, node.pos);
    return value;
  }

  /** Seconds, from a number of seconds or a duration string ("90s", "1h30m", "7d"). */
  duration(key: string): number | undefined {
    const node = this.node(key);
    if (node === undefined) return undefined;
    if (node.kind !== 'number' && node.kind !== 'string') throw this.typeError(key, 'a duration such as "90s" or "768h"', node);
    let value: number;
    try {
      value = parseDuration(node.value);
    } catch {
      throw this.typeError(key, 'a duration such as "90s" or "768h"', node);
    }
    if (value < 0) throw this.error(`${this.name(key)} must not be negative, got ${JSON.stringify(node.value)}`, node.pos);
    return value;
  }

  /** A list of strings, or one comma-separated string. Items are trimmed; empty ones dropped. */
  stringList(key: string): string[] | undefined {
    const node = this.node(key);
    if (node === undefined) return undefined;
    let parts: string[];
    if (node.kind === 'string') parts = node.value.split(',');
    else if (node.kind === 'list' && node.items.every((i) => i.kind === 'string' || i.kind === 'number')) {
      parts = node.items.map((i) => String((i as { value: string | number }).value));
    } else throw this.typeError(key, 'a list of strings', node);
    return parts.map((p) => p.trim()).filter((p) => p !== '');
  }

  /** Every `name …labels { }` block in this body (see hcl blocks()). */
  blocks(name: string, labels: number): HclBlock[] {
    this.known.add(name);
    try {
      return blocks(this.body, name, labels, this.ctx.file);
    } catch (e) {
      if (e instanceof HclSyntaxError) throw this.error(`${e.reason}${this.ctx.where === undefined ? '' : ` in ${this.ctx.where}`}`, e);
      throw e;
    }
  }

  /** At most one `name { }` block. */
  optionalBlock(name: string): HclBlock | undefined {
    const found = this.blocks(name, 0);
    if (found.length > 1) throw this.error(`only one "${name}" block is allowed${this.ctx.where === undefined ? '' : ` in ${this.ctx.where}`}`, found[1]!.pos);
    return found[0];
  }

  /** Throws on the first key (in source order) that no accessor asked for. */
  finish(): void {
    for (const item of this.body.items) {
      const key = item.keys[0]!;
      if (this.known.has(key)) continue;
      const isBlock = item.keys.length > 1 || item.value.kind === 'object';
      const what = this.ctx.where === undefined ? `unknown ${isBlock ? 'stanza' : 'key'} "${key}"` : `unknown key "${key}" in ${this.ctx.where}`;
      const guess = closest(key, [...this.known]);
      throw this.error(`${what}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`, item.pos);
    }
  }
}

/** The known key nearest to a typo, if it is near enough to be a plausible suggestion. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
