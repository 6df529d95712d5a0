/**
 * Validation and normalisation of one decoded `path` block into a PathRule, in the order and with
 * the messages of vault/policy.go `parsePaths` (after HCL decoding).
 */
import { CAPABILITY_BITS, CAP_DENY, isCapability, type Capability } from './capabilities.js';
import { parseDurationSecond } from './duration.js';
import { PolicyParseError, goQuote } from './errors.js';
import { classifyRulePath } from './rule-path.js';
import { hasTemplateDirectives } from './templates.js';
import type { ControlGroup, ControlGroupFactor, PathRule } from './types.js';

/** A `path` block's attributes after syntax decoding, keyed as in the policy language. */
export interface PathBlockFields {
  comment?: string;
  policy?: string;
  capabilities?: string[];
  allowed_parameters?: Record<string, unknown[]>;
  denied_parameters?: Record<string, unknown[]>;
  required_parameters?: string[];
  min_wrapping_ttl?: unknown;
  max_wrapping_ttl?: unknown;
  mfa_methods?: string[];
  control_group?: ControlGroupFields;
  subscribe_event_types?: string[];
}

export interface ControlGroupFields {
  ttl?: unknown;
  /** Factor name → factor. */
  factor?: Record<string, { identity?: { group_ids?: string[]; group_names?: string[]; approvals?: number }; controlled_capabilities?: string[] }>;
}

export const PATH_BLOCK_KEYS: readonly string[] = Object.freeze([
  'comment',
  'policy',
  'capabilities',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
  'mfa_methods',
  'control_group',
  'subscribe_event_types',
]);

const LEGACY_POLICIES: Readonly<Record<string, readonly Capability[]>> = {
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

function lowerKeys(params: Record<string, unknown[]>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(params)) out[k.toLowerCase()] = v;
  return out;
}

function durationField(name: string, value: unknown): number {
  try {
    return parseDurationSecond(value);
  } catch (e) {
    throw new PolicyParseError(`error parsing ${name}: ${(e as Error).message}`);
  }
}

function buildControlGroup(fields: ControlGroupFields, capabilities: readonly string[]): ControlGroup {
  let ttl = 0;
  if (fields.ttl !== undefined) {
    try {
      ttl = parseDurationSecond(fields.ttl);
    } catch (e) {
      throw new PolicyParseError(`error parsing control group max ttl: ${(e as Error).message}`);
    }
  }
  const factors: ControlGroupFactor[] = [];
  for (const [name, factor] of Object.entries(fields.factor ?? {})) {
    const identity = factor.identity;
    if (identity === undefined) throw new PolicyParseError('no control_group factor provided');
    const groupIds = identity.group_ids ?? [];
    const groupNames = identity.group_names ?? [];
    const approvals = identity.approvals ?? 0;
    if (approvals <= 0 || (groupIds.length === 0 && groupNames.length === 0)) {
      throw new PolicyParseError('must provide more than one identity group and approvals > 0');
    }
    const controlled = factor.controlled_capabilities ?? [];
    for (const c of controlled) {
      if (!capabilities.includes(c)) {
        throw new PolicyParseError("control group factor capabilities must be a subset of the policy's capabilities");
      }
    }
    factors.push({ name, groupIds, groupNames, approvals, controlledCapabilities: [...controlled] });
  }
  if (factors.length === 0) throw new PolicyParseError('no control group factors provided');
  return { ttl, factors };
}

/**
 * Builds a rule from a block labelled `key`. Throws PolicyParseError with Vault's message (without
 * the `failed to parse policy: ` prefix).
 */
export function buildPathRule(key: string, fields: PathBlockFields): PathRule {
  const templated = hasTemplateDirectives(key);
  const { key: matchKey, kind } = classifyRulePath(key);

  let capabilities: string[] = [...(fields.capabilities ?? [])];
  if (fields.policy !== undefined && fields.policy !== '') {
    if (fields.policy === 'deny') capabilities = ['deny'];
    else {
      const expanded = LEGACY_POLICIES[fields.policy];
      if (expanded === undefined) throw new PolicyParseError(`path ${goQuote(key)}: invalid policy ${goQuote(fields.policy)}`);
      capabilities.push(...expanded);
    }
  }

  const rule: PathRule = {
    rawPath: key,
    key: matchKey,
    kind,
    templated,
    capabilities: [],
    capabilityBits: 0,
    minWrappingTtl: 0,
    maxWrappingTtl: 0,
    allowedParameters: undefined,
    deniedParameters: undefined,
    requiredParameters: [],
    mfaMethods: undefined,
    controlGroup: undefined,
    subscribeEventTypes: [],
  };

  let bits = 0;
  const granted: Capability[] = [];
  for (const cap of capabilities) {
    // A deny anywhere before an invalid name wins: Vault stops reading the list at `deny`.
    if (cap === 'deny') {
      rule.capabilities = ['deny'];
      rule.capabilityBits = CAP_DENY;
      return rule;
    }
    if (!isCapability(cap)) throw new PolicyParseError(`path ${goQuote(key)}: invalid capability ${goQuote(cap)}`);
    bits |= CAPABILITY_BITS[cap];
    granted.push(cap);
  }
  rule.capabilities = granted;
  rule.capabilityBits = bits;

  if (fields.allowed_parameters !== undefined) rule.allowedParameters = lowerKeys(fields.allowed_parameters);
  if (fields.denied_parameters !== undefined) rule.deniedParameters = lowerKeys(fields.denied_parameters);
  if (fields.min_wrapping_ttl !== undefined) rule.minWrappingTtl = durationField('min_wrapping_ttl', fields.min_wrapping_ttl);
  if (fields.max_wrapping_ttl !== undefined) rule.maxWrappingTtl = durationField('max_wrapping_ttl', fields.max_wrapping_ttl);
  if (fields.mfa_methods !== undefined) rule.mfaMethods = [...fields.mfa_methods];
  if (fields.control_group !== undefined) rule.controlGroup = buildControlGroup(fields.control_group, capabilities);
  if (rule.minWrappingTtl !== 0 && rule.maxWrappingTtl !== 0 && rule.maxWrappingTtl < rule.minWrappingTtl) {
    throw new PolicyParseError('max_wrapping_ttl cannot be less than min_wrapping_ttl');
  }
  if (fields.required_parameters !== undefined) rule.requiredParameters = [...fields.required_parameters];
  if (fields.subscribe_event_types !== undefined) rule.subscribeEventTypes = [...fields.subscribe_event_types];
  return rule;
}
