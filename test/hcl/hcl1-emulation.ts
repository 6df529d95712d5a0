/**
 * Test-only model of what hashicorp/hcl v1 produces for `hcl.Unmarshal(src, &out interface{})`
 * (the shape `hcl-parser` returns), computed from OUR AST. Comparing its output with the oracle
 * checks that our AST carries the same items, keys, nesting and values as HCL1's.
 *
 * Modelled on hcl/decoder.go (decodeInterface/decodeMap/decodeSlice) and, for JSON input,
 * hcl/json/parser/flatten.go (nested JSON objects become multi-key items).
 */
import { createRequire } from 'node:module';
import type { HclNode, HclObject } from '../../src/hcl/ast.js';

type GNode =
  | { t: 'olist'; items: GItem[] }
  | { t: 'otype'; items: GItem[] }
  | { t: 'list'; items: GNode[] }
  | { t: 'lit'; value: string | number | boolean }
  | { t: 'item'; item: GItem };
interface GItem {
  keys: string[];
  val: GNode;
}

function toG(node: HclNode): GNode {
  switch (node.kind) {
    case 'object':
      return { t: 'otype', items: node.items.map((i) => ({ keys: [...i.keys], val: toG(i.value) })) };
    case 'list':
      return { t: 'list', items: node.items.map(toG) };
    default:
      return { t: 'lit', value: node.value };
  }
}

// ---- JSON flattening (json/parser/flatten.go, applied through ast.Walk pre- and post-order)

function flattenList(items: GItem[]): GItem[] {
  const out: GItem[] = [];
  const frontier = [...items];
  while (frontier.length > 0) {
    const item = frontier.pop()!;
    const v = item.val;
    if (v.t === 'otype') {
      if (v.items.length === 0 || !v.items.every((s) => s.val.t === 'otype')) out.push(item);
      else for (const s of v.items) frontier.push({ keys: [...item.keys, ...s.keys], val: s.val });
    } else if (v.t === 'list') {
      if (v.items.length === 0 || !v.items.every((e) => e.t === 'otype')) out.push(item);
      else for (const e of v.items) frontier.push({ keys: item.keys, val: e });
    } else {
      out.push(item);
    }
  }
  return out.reverse();
}

function walkFlatten(node: GNode): void {
  if (node.t === 'olist' || node.t === 'otype') {
    node.items = flattenList(node.items);
    for (const it of node.items) walkFlatten(it.val);
    node.items = flattenList(node.items);
  } else if (node.t === 'list') {
    for (const e of node.items) walkFlatten(e);
  }
}

// ---- decoder.go

type Kind = 'iface' | 'map' | 'slice-map' | 'slice-iface' | 'scalar';
interface Slot {
  type: Kind;
  value: unknown;
  /** Dynamic type of the value held by an interface slot. */
  dyn?: Kind;
}

export class EmulationUnsupported extends Error {}

class Decoder {
  private readonly stack: Kind[] = [];
  private readonly kinds = new WeakMap<object, Kind>();

  decode(node: GNode, slot: Slot): void {
    let k = slot.type;
    if (k === 'iface' && slot.dyn !== undefined) k = slot.dyn;
    if (k !== 'iface') this.stack.push(k);
    try {
      switch (k) {
        case 'iface':
          return this.decodeInterface(node, slot);
        case 'map':
          return this.decodeMap(node, slot);
        case 'slice-map':
        case 'slice-iface':
          return this.decodeSlice(node, slot, k);
        case 'scalar':
          return this.decodeScalar(node, slot);
      }
    } finally {
      if (k !== 'iface') this.stack.pop();
    }
  }

  private decodeInterface(node: GNode, slot: Slot): void {
    const test = node.t === 'otype' ? ({ t: 'olist', items: node.items } as const) : node;
    const top = this.stack[this.stack.length - 1];
    let dyn: Kind;
    let value: unknown;
    switch (test.t) {
      case 'olist':
        if (top === undefined || top === 'slice-map' || top === 'slice-iface') {
          dyn = 'map';
          value = undefined;
        } else {
          dyn = 'slice-map';
          value = undefined;
        }
        break;
      case 'list':
        dyn = 'slice-iface';
        value = undefined;
        break;
      case 'lit':
        dyn = 'scalar';
        value = undefined;
        break;
      default:
        throw new Error('cannot decode into interface');
    }
    slot.dyn = dyn;
    slot.value = value;
    this.decode(node, slot);
  }

  private decodeMap(node: GNode, slot: Slot): void {
    let items: GItem[];
    if (node.t === 'item') items = [node.item];
    else if (node.t === 'otype' || node.t === 'olist') items = node.items;
    else throw new Error('expected a map type');
    const map = (slot.value as Record<string, unknown> | undefined) ?? {};
    this.kinds.set(map, 'map');
    const done = new Set<string>();
    for (const item of items) {
      if (item.keys.length === 0) throw new Error('map must have string keys');
      const key = item.keys[0]!;
      if (done.has(key)) continue;
      let itemVal = item.val;
      if (item.keys.length > 1) {
        itemVal = filter(items, key);
        done.add(key);
      }
      const old = Object.hasOwn(map, key) ? map[key] : undefined;
      const elem: Slot = { type: 'iface', value: old };
      if (old !== undefined) elem.dyn = this.kindOf(old);
      this.decode(itemVal, elem);
      map[key] = elem.value;
    }
    slot.value = map;
  }

  private decodeSlice(node: GNode, slot: Slot, k: 'slice-map' | 'slice-iface'): void {
    const arr = (slot.value as unknown[] | undefined) ?? [];
    this.kinds.set(arr, k);
    let items: GNode[];
    if (node.t === 'olist') items = node.items.map((item) => ({ t: 'item', item }));
    else if (node.t === 'otype') items = [node];
    else if (node.t === 'list') items = node.items;
    else throw new Error('unknown slice type');
    for (const item of items) {
      const elem: Slot = { type: k === 'slice-map' ? 'map' : 'iface', value: undefined };
      this.decode(item, elem);
      arr.push(elem.value);
    }
    slot.value = arr;
  }

  private decodeScalar(node: GNode, slot: Slot): void {
    if (node.t !== 'lit') throw new Error('scalar from a non-literal');
    if (slot.value !== undefined && typeof slot.value !== typeof node.value) {
      throw new EmulationUnsupported('redefinition of a scalar with another type');
    }
    slot.value = node.value;
  }

  private kindOf(v: unknown): Kind {
    if (typeof v === 'object' && v !== null) {
      const k = this.kinds.get(v);
      if (!k) throw new Error('untracked value');
      return k;
    }
    return 'scalar';
  }
}

/** ObjectList.Filter: items whose first key matches (case-insensitively), with that key removed. */
function filter(items: GItem[], key: string): GNode {
  const out: GItem[] = [];
  for (const item of items) {
    if (item.keys.length < 1) continue;
    if (item.keys[0]!.toLowerCase() !== key.toLowerCase()) continue;
    out.push({ keys: item.keys.slice(1), val: item.val });
  }
  return { t: 'olist', items: out };
}

/** What HCL1 decodes `root` to; `json` applies the JSON parser's object flattening first. */
export function hcl1Decode(root: HclObject, json: boolean): unknown {
  const list: GNode = { t: 'olist', items: (toG(root) as { items: GItem[] }).items };
  if (json) walkFlatten(list);
  const slot: Slot = { type: 'iface', value: undefined };
  new Decoder().decode(list, slot);
  return slot.value;
}

const require = createRequire(import.meta.url);
const savedStackTraceLimit = Error.stackTraceLimit;
const oracle = require('hcl-parser') as { parse(text: string): [unknown, unknown] };
// GopherJS sets an infinite stack trace limit, which makes every thrown error slow.
Error.stackTraceLimit = savedStackTraceLimit;

/** hcl-parser's verdict: the decoded value, or an error (it sometimes throws Go panics). */
export function oracleParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    const [value, err] = oracle.parse(text);
    return err == null ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}
