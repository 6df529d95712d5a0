/** Helpers for reading an HCL AST without caring which of HCL1's equivalent spellings was used. */
import type { HclNode, HclObject, Pos } from './ast.js';
import { HclSyntaxError } from './syntax-error.js';

export interface HclBlock {
  labels: string[];
  body: HclObject;
  pos: Pos;
}

/** Every block named `name` with `labels` labels, in source order, whatever the spelling:
 *  `path "x" {…}`, `path { "x" {…} }`, `path = { "x" = {…} }`, JSON `{"path": {"x": {…}}}` and
 *  `{"path": [{"x": {…}}]}`. Repeated blocks are returned separately (never merged).
 *  Throws HclSyntaxError when a `name` item has too many labels or is not a block. */
export function blocks(obj: HclObject, name: string, labels: number, filename?: string): HclBlock[] {
  if (!Number.isInteger(labels) || labels < 0) throw new RangeError(`blocks(): labels must be a non-negative integer, got ${labels}`);
  const out: HclBlock[] = [];
  for (const item of obj.items) {
    if (item.keys[0] !== name) continue;
    collect(item.keys.slice(1), item.value, item.pos);
  }
  return out;

  function collect(have: string[], value: HclNode, pos: Pos): void {
    if (have.length > labels) {
      const want = labels === 0 ? 'no labels' : `${labels} label${labels === 1 ? '' : 's'}`;
      throw new HclSyntaxError(`"${name}" takes ${want}, found ${have.map((l) => JSON.stringify(l)).join(' ')}`, pos, filename);
    }
    if (value.kind === 'list' && value.items.every((v) => v.kind === 'object')) {
      for (const element of value.items) collect(have, element, element.pos);
      return;
    }
    if (value.kind !== 'object') {
      const shape = labels === 0 ? `${name} { … }` : `${name} ${'"…" '.repeat(labels)}{ … }`;
      const missing = have.length < labels ? ` (missing label${labels - have.length === 1 ? '' : 's'})` : '';
      throw new HclSyntaxError(`"${name}" must be a block like ${shape}, found ${describeNode(value)}${missing}`, value.pos, filename);
    }
    if (have.length === labels) {
      out.push({ labels: have, body: value, pos });
      return;
    }
    // The remaining labels are the keys of the nested items: `path { "x" { … } }`.
    for (const inner of value.items) collect([...have, ...inner.keys], inner.value, inner.pos);
  }
}

export function describeNode(node: HclNode): string {
  switch (node.kind) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'bool':
      return 'a bool';
    case 'list':
      return 'a list';
    case 'object':
      return 'an object';
  }
}

/** Plain JS value of a node (objects → Record, lists → arrays) for simple attribute reading.
 *  `a "b" { … }` becomes `{ a: { b: { … } } }`; label levels of repeated blocks are merged, and
 *  for a repeated key the later value wins (use blocks() to see every repeated block). */
export function toPlain(node: HclNode): unknown {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return node.value;
    case 'list':
      return node.items.map(toPlain);
    case 'object':
      return objectToPlain(node);
  }
}

function objectToPlain(obj: HclObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of obj.items) {
    let target = out;
    for (const key of item.keys.slice(0, -1)) {
      const existing = Object.hasOwn(target, key) ? target[key] : undefined;
      if (isRecord(existing)) {
        target = existing;
      } else {
        const fresh: Record<string, unknown> = {};
        setOwn(target, key, fresh);
        target = fresh;
      }
    }
    setOwn(target, item.keys[item.keys.length - 1]!, toPlain(item.value));
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** defineProperty, so a key named "__proto__" is data and never a prototype change. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
