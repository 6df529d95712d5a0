/**
 * Merging of blocks that share a path string and kind, across and within policies, exactly as
 * vault/acl.go `NewACL` does: deny wins and clears parameters; capabilities are unioned; the
 * smallest non-zero min/max wrapping TTL each win; allowed/denied parameter values are concatenated
 * unless either side allows any value (`[]`); required parameters are unioned.
 */
import { CAP_DENY, CAPABILITY_BIT_COUNT } from './capabilities.js';
import type { ControlGroup, PathRule } from './types.js';

export interface MergedPermissions {
  bits: number;
  minWrappingTtl: number;
  maxWrappingTtl: number;
  allowedParameters: Record<string, unknown[]> | undefined;
  deniedParameters: Record<string, unknown[]> | undefined;
  requiredParameters: string[];
  mfaMethods: string[] | undefined;
  controlGroup: ControlGroup | undefined;
  subscribeEventTypes: string[];
  /** Policy names that granted each capability bit, indexed by bit position (sparse). */
  grantingPolicies: Array<string[] | undefined>;
}

/** Copies the map; value lists are shared — they are never mutated, merging builds new ones. */
function copyParams(p: Readonly<Record<string, readonly unknown[]>> | undefined): Record<string, unknown[]> | undefined {
  if (p === undefined) return undefined;
  const out: Record<string, unknown[]> = {};
  for (const k of Object.keys(p)) out[k] = p[k] as unknown[];
  return out;
}

function cloneControlGroup(cg: ControlGroup | undefined): ControlGroup | undefined {
  return cg === undefined ? undefined : structuredClone(cg);
}

function addGranting(granting: Array<string[] | undefined>, policyName: string, bits: number): void {
  for (let i = 0; i < CAPABILITY_BIT_COUNT; i++) {
    if (bits & (1 << i)) {
      const names = granting[i];
      if (names === undefined) granting[i] = [policyName];
      else if (!names.includes(policyName)) names.push(policyName);
    }
  }
}

/** The permissions of the first block seen for a path. */
export function permissionsFromRule(rule: PathRule, policyName: string): MergedPermissions {
  const granting: Array<string[] | undefined> = [];
  addGranting(granting, policyName, rule.capabilityBits);
  return {
    bits: rule.capabilityBits,
    minWrappingTtl: rule.minWrappingTtl,
    maxWrappingTtl: rule.maxWrappingTtl,
    allowedParameters: copyParams(rule.allowedParameters),
    deniedParameters: copyParams(rule.deniedParameters),
    requiredParameters: [...rule.requiredParameters],
    mfaMethods: rule.mfaMethods ? [...rule.mfaMethods] : undefined,
    controlGroup: cloneControlGroup(rule.controlGroup),
    subscribeEventTypes: [...rule.subscribeEventTypes],
    grantingPolicies: granting,
  };
}

function mergeParams(
  existing: Record<string, unknown[]> | undefined,
  incoming: Readonly<Record<string, readonly unknown[]>> | undefined,
): Record<string, unknown[]> | undefined {
  if (incoming === undefined || Object.keys(incoming).length === 0) return existing;
  if (existing === undefined) return copyParams(incoming);
  for (const [key, values] of Object.entries(incoming)) {
    const current = Object.prototype.hasOwnProperty.call(existing, key) ? existing[key] : undefined;
    // An empty list (any value) on either side wins over value lists.
    if (values.length === 0 || (current !== undefined && current.length === 0)) existing[key] = [];
    else existing[key] = [...values, ...(current ?? [])];
  }
  return existing;
}

function dedupeSorted(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}

/** Folds `rule` (from `policyName`) into `existing`, in place. */
export function mergeRuleInto(existing: MergedPermissions, rule: PathRule, policyName: string): void {
  if (existing.bits & CAP_DENY) return; // an explicit deny keeps nothing else
  if (rule.capabilityBits & CAP_DENY) {
    existing.bits = CAP_DENY;
    existing.allowedParameters = undefined;
    existing.deniedParameters = undefined;
    return;
  }
  existing.bits |= rule.capabilityBits;
  addGranting(existing.grantingPolicies, policyName, rule.capabilityBits);

  // Prefer the shortest lifetimes: the smallest non-zero value of each bound wins.
  if (rule.maxWrappingTtl > 0 && (existing.maxWrappingTtl === 0 || rule.maxWrappingTtl < existing.maxWrappingTtl)) {
    existing.maxWrappingTtl = rule.maxWrappingTtl;
  }
  if (rule.minWrappingTtl > 0 && (existing.minWrappingTtl === 0 || rule.minWrappingTtl < existing.minWrappingTtl)) {
    existing.minWrappingTtl = rule.minWrappingTtl;
  }

  existing.allowedParameters = mergeParams(existing.allowedParameters, rule.allowedParameters);
  existing.deniedParameters = mergeParams(existing.deniedParameters, rule.deniedParameters);

  for (const p of rule.requiredParameters) {
    if (!existing.requiredParameters.includes(p)) existing.requiredParameters.push(p);
  }

  if (rule.mfaMethods && rule.mfaMethods.length > 0) {
    existing.mfaMethods = dedupeSorted([...(existing.mfaMethods ?? []), ...rule.mfaMethods]);
  }

  if (rule.controlGroup && rule.controlGroup.factors.length > 0) {
    if (existing.controlGroup === undefined) existing.controlGroup = cloneControlGroup(rule.controlGroup);
    else existing.controlGroup.factors.push(...structuredClone(rule.controlGroup.factors));
  }

  if (rule.subscribeEventTypes.length > 0) {
    existing.subscribeEventTypes =
      existing.subscribeEventTypes.length > 0
        ? dedupeSorted([...existing.subscribeEventTypes, ...rule.subscribeEventTypes])
        : [...rule.subscribeEventTypes];
  }
}
