/**
 * ACL policy text (HCL, JSON, or base64 of either) → Policy, validated as vault/policy.go
 * `parseACLPolicyWithTemplating` does: top-level keys `name`/`path` only, known keys inside `path`
 * blocks, known capabilities, no `+*`, durations, parameter maps.
 */
import type { HclNode, HclObject } from '../hcl/ast.js';
import { parseHclOrJson } from '../hcl/parse.js';
import { HclSyntaxError } from '../hcl/syntax-error.js';
import { PATH_BLOCK_KEYS, buildPathRule, type ControlGroupFields, type PathBlockFields } from './build.js';
import { PolicyParseError, goQuote, multiErrorText } from './errors.js';
import { hasTemplateDirectives } from './templates.js';
import type { PathRule, Policy } from './types.js';

export { PolicyParseError } from './errors.js';
export type { PathRule, Policy } from './types.js';

const TOP_LEVEL_KEYS: readonly string[] = ['name', 'path'];

/**
 * Vault's policy endpoints accept base64 of the policy: text that decodes as standard base64
 * (padding required, line breaks ignored, as Go's StdEncoding) is replaced by its decoding.
 */
export function decodePolicyText(text: string): string {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    return text;
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Parses and validates a policy. Throws PolicyParseError (message as after `failed to parse policy: `). */
export function parsePolicy(name: string, text: string): Policy {
  const raw = decodePolicyText(text);
  let root: HclObject;
  try {
    root = parseHclOrJson(raw);
  } catch (e) {
    if (e instanceof HclSyntaxError) throw new PolicyParseError(`At ${e.line}:${e.column}: ${e.reason}`);
    throw e;
  }

  const keyErrors = invalidKeys(root, TOP_LEVEL_KEYS);
  if (keyErrors.length > 0) throw new PolicyParseError(multiErrorText(keyErrors));

  const paths: PathRule[] = [];
  for (const [key, body] of pathBlocks(root)) {
    hasTemplateDirectives(key); // throws on unbalanced braces before anything else, as Vault does
    if (body.kind !== 'object') {
      throw new PolicyParseError(`path ${goQuote(key)}: cannot check HCL keys of type ${goAstType(body)}`);
    }
    const errors = invalidKeys(body, PATH_BLOCK_KEYS);
    if (errors.length > 0) throw new PolicyParseError(multiErrorText(errors.map((e) => `path ${goQuote(key)}: ${e}`)));
    let fields: PathBlockFields;
    try {
      fields = decodePathBlock(body);
    } catch (e) {
      if (e instanceof DecodeError) throw new PolicyParseError(`path ${goQuote(key)}: ${e.message}`);
      throw e;
    }
    paths.push(buildPathRule(key, fields));
  }
  return { name, raw, templated: paths.some((p) => p.templated), paths };
}

/** hclutil.CheckHCLKeys: `invalid key "x" on line N` (N is the `=` line; 0 for blocks). */
function invalidKeys(obj: HclObject, valid: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of obj.items) {
    const key = item.keys[0] ?? '';
    if (!valid.includes(key)) out.push(`invalid key ${goQuote(key)} on line ${item.assign ? item.pos.line : 0}`);
  }
  return out;
}

/**
 * The `path` blocks in document order as [label, body]. Accepts `path "x" { … }` (and JSON flattened
 * to the same keys) and the unflattened JSON shapes `"path": {"x": {…}}` / `"path": [{"x": {…}}]`.
 * A `path` item without a label is labelled "path", as Vault does.
 */
function pathBlocks(root: HclObject): Array<[string, HclNode]> {
  const out: Array<[string, HclNode]> = [];
  for (const item of root.items) {
    if (item.keys[0] !== 'path') continue;
    if (item.keys.length >= 2) {
      out.push([item.keys[1]!, item.value]);
      continue;
    }
    const nested = labelledObjects(item.value);
    if (nested) out.push(...nested);
    else out.push(['path', item.value]);
  }
  return out;
}

/** `{"label": {…}, …}` or a list of such objects, when every value is an object; else undefined. */
function labelledObjects(node: HclNode): Array<[string, HclObject]> | undefined {
  const objects = node.kind === 'list' ? node.items : [node];
  const out: Array<[string, HclObject]> = [];
  for (const obj of objects) {
    if (obj.kind !== 'object' || obj.items.length === 0) return undefined;
    for (const item of obj.items) {
      if (item.value.kind !== 'object' || item.keys.length !== 1) return undefined;
      out.push([item.keys[0]!, item.value]);
    }
  }
  return out.length > 0 ? out : undefined;
}

class DecodeError extends Error {}

function goAstType(node: HclNode): string {
  switch (node.kind) {
    case 'object':
      return '*ast.ObjectType';
    case 'list':
      return '*ast.ListType';
    default:
      return '*ast.LiteralType';
  }
}

function at(node: HclNode, message: string): DecodeError {
  return new DecodeError(`At ${node.pos.line}:${node.pos.column}: ${message}`);
}

/** Plain JS value of a node; objects nest their multi-key items (`a "b" {…}` → {a: {b: …}}). */
function plain(node: HclNode): unknown {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return node.value;
    case 'list':
      return node.items.map(plain);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const item of node.items) {
        let target = out;
        for (let i = 0; i < item.keys.length - 1; i++) {
          const k = item.keys[i]!;
          const next = target[k];
          if (typeof next === 'object' && next !== null && !Array.isArray(next)) target = next as Record<string, unknown>;
          else target = target[k] = {} as Record<string, unknown>;
        }
        target[item.keys[item.keys.length - 1]!] = plain(item.value);
      }
      return out;
    }
  }
}

function decodeString(node: HclNode): string {
  if (node.kind === 'string') return node.value;
  if (node.kind === 'number') return String(node.value);
  throw at(node, `cannot decode ${goAstType(node)} into a string`);
}

function decodeStringList(node: HclNode): string[] {
  if (node.kind !== 'list') throw at(node, `unknown slice type: ${goAstType(node)}`);
  return node.items.map(decodeString);
}

function decodeParamMap(node: HclNode, into: Record<string, unknown[]>): Record<string, unknown[]> {
  if (node.kind !== 'object') throw at(node, `expected a map, got ${goAstType(node)}`);
  for (const item of node.items) {
    const name = item.keys.join('.');
    if (item.value.kind !== 'list') throw at(item.value, `unknown slice type: ${goAstType(item.value)}`);
    into[name] = item.value.items.map(plain);
  }
  return into;
}

function decodeDurationValue(node: HclNode): unknown {
  return node.kind === 'string' || node.kind === 'number' || node.kind === 'bool' ? node.value : plain(node);
}

function decodeControlGroup(node: HclNode): ControlGroupFields {
  if (node.kind !== 'object') throw at(node, `expected an object for control_group, got ${goAstType(node)}`);
  const value = plain(node) as Record<string, unknown>;
  const out: ControlGroupFields = {};
  if (value['ttl'] !== undefined) out.ttl = value['ttl'];
  const factor = value['factor'];
  if (factor !== undefined) {
    if (typeof factor !== 'object' || factor === null || Array.isArray(factor)) throw at(node, 'control_group factor must be a block');
    out.factor = factor as ControlGroupFields['factor'];
  }
  return out;
}

function decodePathBlock(body: HclObject): PathBlockFields {
  const f: PathBlockFields = {};
  for (const item of body.items) {
    const v = item.value;
    switch (item.keys[0]) {
      case 'comment':
        f.comment = decodeString(v);
        break;
      case 'policy':
        f.policy = decodeString(v);
        break;
      case 'capabilities':
        f.capabilities = decodeStringList(v);
        break;
      case 'allowed_parameters':
        f.allowed_parameters = decodeParamMap(v, f.allowed_parameters ?? {});
        break;
      case 'denied_parameters':
        f.denied_parameters = decodeParamMap(v, f.denied_parameters ?? {});
        break;
      case 'required_parameters':
        f.required_parameters = decodeStringList(v);
        break;
      case 'min_wrapping_ttl':
        f.min_wrapping_ttl = decodeDurationValue(v);
        break;
      case 'max_wrapping_ttl':
        f.max_wrapping_ttl = decodeDurationValue(v);
        break;
      case 'mfa_methods':
        f.mfa_methods = decodeStringList(v);
        break;
      case 'control_group':
        f.control_group = decodeControlGroup(v);
        break;
      case 'subscribe_event_types':
        f.subscribe_event_types = decodeStringList(v);
        break;
      default:
        // Unknown keys were rejected before decoding.
        throw new Error(`unexpected key ${item.keys[0]} in path block`);
    }
  }
  return f;
}
