/**
 * Identity templating of policy paths (sdk/helper/identitytpl, ACL mode): `{{identity.entity.id}}`
 * and friends. At parse time only the braces are validated; at ACL build time a templated block is
 * resolved against the token's entity and groups, or dropped when any directive cannot be resolved.
 */
import { parseGoDuration } from './duration.js';
import { PolicyParseError } from './errors.js';
import { classifyRulePath } from './rule-path.js';
import type { PathRule, Policy } from './types.js';

export interface TemplateAlias {
  mountAccessor: string;
  id: string;
  name: string;
  metadata?: Readonly<Record<string, string>>;
  customMetadata?: Readonly<Record<string, string>>;
}

export interface TemplateEntity {
  id: string;
  name: string;
  metadata?: Readonly<Record<string, string>>;
  aliases?: readonly TemplateAlias[];
}

export interface TemplateGroup {
  id: string;
  name: string;
  metadata?: Readonly<Record<string, string>>;
  namespaceId?: string;
}

/** What a token's identity offers to templates; both parts may be absent (no entity). */
export interface TemplateIdentity {
  entity?: TemplateEntity;
  groups?: readonly TemplateGroup[];
  /** Unix milliseconds for `{{time.now}}`; defaults to the current time. */
  now?: number;
}

class TemplateError extends Error {}

/**
 * Whether `s` contains template directives; throws on unbalanced braces the way Vault's validity
 * check does (`failed to validate policy templating: unbalanced templating characters`).
 */
export function hasTemplateDirectives(s: string): boolean {
  if (!s.includes('{{') && !s.includes('}}')) return false;
  try {
    return splitTemplate(s).length > 1;
  } catch (e) {
    if (e instanceof TemplateError) throw new PolicyParseError(`failed to validate policy templating: ${e.message}`);
    throw e;
  }
}

/** Pieces alternate literal, directive, literal, …; throws TemplateError when unbalanced. */
function splitTemplate(s: string): string[] {
  const parts = s.split('{{');
  const first = parts[0] ?? '';
  if (first.includes('}}')) throw new TemplateError('unbalanced templating characters');
  const out = [first];
  for (let i = 1; i < parts.length; i++) {
    const piece = (parts[i] ?? '').split('}}');
    if (piece.length !== 2) throw new TemplateError('unbalanced templating characters');
    out.push(piece[0]!.trim(), piece[1]!);
  }
  return out;
}

/** Resolves every directive in `s`, or returns undefined when one cannot be resolved. */
export function populateTemplate(s: string, identity: TemplateIdentity): string | undefined {
  let parts: string[];
  try {
    parts = splitTemplate(s);
  } catch {
    return undefined;
  }
  let out = parts[0] ?? '';
  for (let i = 1; i < parts.length; i += 2) {
    const value = resolveDirective(parts[i]!, identity);
    if (value === undefined) return undefined;
    out += value + (parts[i + 1] ?? '');
  }
  return out;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function fromMap(map: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  if (!map || !Object.prototype.hasOwnProperty.call(map, key)) return undefined;
  return map[key];
}

function resolveDirective(input: string, identity: TemplateIdentity): string | undefined {
  if (input.startsWith('identity.entity.')) {
    const entity = identity.entity;
    if (!entity) return undefined;
    const sel = input.slice('identity.entity.'.length);
    if (sel === 'id') return nonEmpty(entity.id);
    if (sel === 'name') return nonEmpty(entity.name);
    if (sel.startsWith('metadata.')) return fromMap(entity.metadata, sel.slice('metadata.'.length));
    if (sel.startsWith('aliases.')) {
      const rest = sel.slice('aliases.'.length);
      const dot = rest.indexOf('.');
      if (dot < 0) return undefined;
      const accessor = rest.slice(0, dot);
      const field = rest.slice(dot + 1);
      const alias = entity.aliases?.find((a) => a.mountAccessor === accessor);
      if (!alias) return undefined;
      if (field === 'id') return nonEmpty(alias.id);
      if (field === 'name') return nonEmpty(alias.name);
      if (field.startsWith('metadata.')) return fromMap(alias.metadata, field.slice('metadata.'.length));
      if (field.startsWith('custom_metadata.')) return fromMap(alias.customMetadata, field.slice('custom_metadata.'.length));
      return undefined;
    }
    // groups.names / groups.ids are lists: not usable in ACL paths.
    return undefined;
  }
  if (input.startsWith('identity.groups.')) {
    const groups = identity.groups ?? [];
    if (groups.length === 0) return undefined;
    const sel = input.slice('identity.groups.'.length);
    const m = /^(ids|names)\.([^.]*)\.(.+)$/.exec(sel);
    if (!m) return undefined;
    const byId = m[1] === 'ids';
    const group = groups.find((g) => (byId ? g.id : g.name) === m[2]);
    if (!group) return undefined;
    const field = m[3]!;
    if (field === 'id') return group.id;
    if (field === 'name') return nonEmpty(group.name);
    if (field.startsWith('metadata.')) return fromMap(group.metadata, field.slice('metadata.'.length));
    return undefined;
  }
  if (input.startsWith('time.')) {
    const now = identity.now ?? Date.now();
    const m = /^time\.now(?:\.(plus|minus)\.(.+))?$/.exec(input);
    if (!m) return undefined;
    let seconds = Math.floor(now / 1000);
    if (m[1] !== undefined) {
      let delta: number;
      try {
        delta = parseGoDuration(m[2]!);
      } catch {
        return undefined;
      }
      seconds = Math.floor(now / 1000 + (m[1] === 'plus' ? delta : -delta));
    }
    return String(seconds);
  }
  return undefined;
}

/**
 * The policy with its templated blocks resolved against `identity`; blocks that cannot be resolved
 * are dropped (as Vault's `parseACLPolicyWithTemplating` does). Untemplated policies are returned
 * unchanged.
 */
export function resolveTemplates(policy: Policy, identity: TemplateIdentity = {}): Policy {
  if (!policy.templated) return policy;
  const paths: PathRule[] = [];
  for (const rule of policy.paths) {
    if (!rule.templated) {
      paths.push(rule);
      continue;
    }
    const resolved = populateTemplate(rule.rawPath, identity);
    if (resolved === undefined) continue;
    let classified;
    try {
      classified = classifyRulePath(resolved);
    } catch {
      continue; // a value that produces '+*' cannot form a valid rule
    }
    paths.push({ ...rule, rawPath: resolved, key: classified.key, kind: classified.kind, templated: false });
  }
  return { ...policy, templated: false, paths };
}
