/**
 * The parsed form of an ACL policy (vault/policy.go `Policy` / `PathRules`), independent of the
 * text syntax it came from.
 */
import type { Capability } from './capabilities.js';

/** How a rule's path matches a request path. */
export type RuleKind =
  /** The request path must equal `key`. */
  | 'exact'
  /** The path ended in `*` (and has no `+` segment): the request path must start with `key`. */
  | 'prefix'
  /** The path has a `+` segment; `key` keeps a trailing `*` if it had one. */
  | 'segment';

export interface ControlGroupFactor {
  name: string;
  groupIds: string[];
  groupNames: string[];
  approvals: number;
  controlledCapabilities: string[];
}

export interface ControlGroup {
  /** Seconds; 0 = unset. */
  ttl: number;
  factors: ControlGroupFactor[];
}

export interface PathRule {
  /** The block's path exactly as written (before template resolution and `/` stripping). */
  rawPath: string;
  /** Matching key: leading `/` stripped; for prefix rules the trailing `*` removed. */
  key: string;
  kind: RuleKind;
  /** The path still holds identity template directives (`{{identity.…}}`). */
  templated: boolean;
  /** Capabilities as granted (legacy `policy` expanded); `['deny']` alone when denied. */
  capabilities: readonly Capability[];
  capabilityBits: number;
  /** Seconds; 0 = unset. */
  minWrappingTtl: number;
  /** Seconds; 0 = unset. */
  maxWrappingTtl: number;
  /** Lower-cased parameter name → permitted values (`[]` = any); undefined when not set. */
  allowedParameters: Readonly<Record<string, readonly unknown[]>> | undefined;
  /** Lower-cased parameter name → denied values (`[]` = any); undefined when not set. */
  deniedParameters: Readonly<Record<string, readonly unknown[]>> | undefined;
  /** As written (Vault lower-cases them only when checking a request). */
  requiredParameters: readonly string[];
  mfaMethods: readonly string[] | undefined;
  controlGroup: ControlGroup | undefined;
  subscribeEventTypes: readonly string[];
}

export interface Policy {
  name: string;
  /** The policy text as stored (after base64 decoding). */
  raw: string;
  /** At least one path uses identity templating. */
  templated: boolean;
  paths: readonly PathRule[];
}
