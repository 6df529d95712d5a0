/**
 * A token's policy set compiled for the hot path (vault/acl.go `NewACL` + `AllowOperation`).
 *
 * Compilation merges blocks with the same path string and kind, then builds:
 * - an exact-path Map,
 * - a radix tree of `*` prefix rules (longest prefix wins among them),
 * - a segment trie of `+` rules (all matches are candidates),
 * and ranks every wildcard rule once by Vault's priority order, so a check only compares integers.
 *
 * Precedence (Vault 1.21): exact rule, else (LIST) the exact rule without a trailing `/`, else the
 * highest-ranked wildcard candidate. A LIST of a path ending in `/` draws candidates from both the
 * path and the path without the `/`; the most specific deny wins unless a more specific candidate
 * grants `list` (resolveACLPermsForListOp, the fix for VAULT-3825 and its follow-up).
 */
import { Buffer } from 'node:buffer';
import {
  CAPABILITY_BIT_COUNT,
  CAP_CREATE,
  CAP_DELETE,
  CAP_DENY,
  CAP_LIST,
  CAP_PATCH,
  CAP_READ,
  CAP_SUDO,
  CAP_UPDATE,
  bitIndex,
  capabilityForOperation,
  capabilityNames,
  operationChecksParameters,
  type AclOperation,
} from './capabilities.js';
import { mergeRuleInto, permissionsFromRule, type MergedPermissions } from './merge.js';
import {
  buildParameterConstraints,
  checkParameters,
  hasParameterConstraints,
  type ParameterConstraints,
  type ParameterDenial,
} from './params.js';
import { PrefixTree } from './prefix-tree.js';
import { SegmentTrie, type CandidateSink } from './segment-trie.js';
import type { ControlGroup, Policy, RuleKind } from './types.js';

export type { AclOperation } from './capabilities.js';

export interface AclRequest {
  path: string;
  operation: AclOperation;
  data?: Readonly<Record<string, unknown>> | undefined;
  /** Requested response-wrapping TTL in seconds (`X-Vault-Wrap-TTL`); undefined = not wrapped. */
  wrapTtl?: number | undefined;
  /** The path needs `sudo` in addition to the operation's capability. */
  rootProtected?: boolean | undefined;
}

/** Why a request was refused (for logs and tests; clients always see `permission denied`). */
export type AclDenyReason =
  | 'no matching rule'
  | 'denied by policy'
  | 'capability missing'
  | 'operation not authorized by policy'
  | 'wrapping ttl not allowed'
  | ParameterDenial
  | 'sudo required';

export interface AclVerdict {
  allowed: boolean;
  /** The matched rule grants `sudo` (always true for root). */
  rootPrivs: boolean;
  isRoot: boolean;
  /** Capabilities of the matched rule, sorted (`[]` when nothing matched). */
  capabilities: readonly string[];
  /** Policies that granted the capability this operation needed. */
  grantingPolicies: readonly string[];
  reason?: AclDenyReason;
  mfaMethods?: readonly string[];
  controlGroup?: ControlGroup;
}

export interface CompileOptions {
  /** VAULT_LEGACY_EXACT_MATCHING_ON_LIST: list values must match a policy value as a whole. */
  legacyListMatching?: boolean;
}

/** One merged rule, ready for checks. Immutable after compilation. */
interface CompiledPermission {
  readonly pattern: string;
  readonly kind: RuleKind;
  readonly bits: number;
  /** Position in the wildcard priority order (higher wins); -1 for exact rules. */
  rank: number;
  readonly minWrappingTtl: number;
  readonly maxWrappingTtl: number;
  /** Merging produced max < min: every operation is refused. */
  readonly wrappingContradiction: boolean;
  readonly params: ParameterConstraints;
  readonly hasParams: boolean;
  readonly capabilityNames: readonly string[];
  readonly grantingPolicies: readonly (readonly string[])[];
  readonly mfaMethods: readonly string[] | undefined;
  readonly controlGroup: ControlGroup | undefined;
  readonly subscribeEventTypes: readonly string[];
  readonly allowedParameters: Readonly<Record<string, readonly unknown[]>> | undefined;
  readonly deniedParameters: Readonly<Record<string, readonly unknown[]>> | undefined;
  readonly requiredParameters: readonly string[];
}

const EMPTY: readonly string[] = Object.freeze([]);

function freezeVerdict(v: AclVerdict): AclVerdict {
  return Object.freeze(v);
}

const ROOT_VERDICT = freezeVerdict({
  allowed: true,
  rootPrivs: true,
  isRoot: true,
  capabilities: Object.freeze(['root']),
  grantingPolicies: Object.freeze(['root']),
});
const HELP_VERDICT = freezeVerdict({ allowed: true, rootPrivs: false, isRoot: false, capabilities: EMPTY, grantingPolicies: EMPTY });
const NO_MATCH_VERDICT = freezeVerdict({
  allowed: false,
  rootPrivs: false,
  isRoot: false,
  capabilities: EMPTY,
  grantingPolicies: EMPTY,
  reason: 'no matching rule',
});

/** Keeps the best wildcard candidates of one lookup by rank. Reused; lookups are synchronous. */
class CandidateAccumulator implements CandidateSink<CompiledPermission> {
  best: CompiledPermission | null = null;
  bestDeny: CompiledPermission | null = null;
  bestList: CompiledPermission | null = null;

  reset(): void {
    this.best = null;
    this.bestDeny = null;
    this.bestList = null;
  }

  consider(p: CompiledPermission): void {
    if (this.best === null || p.rank > this.best.rank) this.best = p;
    if (p.bits & CAP_DENY) {
      if (this.bestDeny === null || p.rank > this.bestDeny.rank) this.bestDeny = p;
    } else if (p.bits & CAP_LIST) {
      if (this.bestList === null || p.rank > this.bestList.rank) this.bestList = p;
    }
  }
}

/** Vault's wildcard priority descriptor (wcPathDescr); lengths in UTF-8 bytes as Go measures them. */
interface RankKey {
  firstWildcard: number;
  isPrefix: boolean;
  wildcards: number;
  wcPath: string;
  wcPathBytes: number;
}

function rankKeyOf(kind: RuleKind, key: string): RankKey {
  if (kind === 'prefix') {
    const bytes = utf8Length(key);
    return { firstWildcard: bytes, isPrefix: true, wildcards: 0, wcPath: key, wcPathBytes: bytes };
  }
  const isPrefix = key.endsWith('*');
  const wcPath = isPrefix ? key.slice(0, -1) : key;
  let wildcards = 0;
  for (const part of wcPath.split('/')) if (part === '+') wildcards++;
  return {
    firstWildcard: utf8Length(key.slice(0, key.indexOf('+'))),
    isPrefix,
    wildcards,
    wcPath,
    wcPathBytes: utf8Length(wcPath),
  };
}

function utf8Length(s: string): number {
  return /^[\x00-\x7f]*$/.test(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/** Go's byte-wise string order: code-point order, which UTF-16 unit order differs from for astral chars. */
function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Negative when `a` has lower priority than `b` (vault/acl.go wildcardPathDescriptorComparePriority). */
function comparePriority(a: RankKey, b: RankKey): number {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard - b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix ? -1 : 1;
  if (a.wildcards !== b.wildcards) return b.wildcards - a.wildcards;
  if (a.wcPathBytes !== b.wcPathBytes) return a.wcPathBytes - b.wcPathBytes;
  return compareUtf8(a.wcPath, b.wcPath);
}

function grantingByBit(granting: ReadonlyArray<string[] | undefined>): Array<readonly string[]> {
  const out: Array<readonly string[]> = new Array<readonly string[]>(CAPABILITY_BIT_COUNT);
  for (let i = 0; i < CAPABILITY_BIT_COUNT; i++) out[i] = granting[i]?.slice() ?? EMPTY;
  return out;
}

function compilePermission(pattern: string, kind: RuleKind, m: MergedPermissions): CompiledPermission {
  const params = buildParameterConstraints(m.requiredParameters, m.deniedParameters, m.allowedParameters);
  return {
    pattern,
    kind,
    bits: m.bits,
    rank: -1,
    minWrappingTtl: m.minWrappingTtl,
    maxWrappingTtl: m.maxWrappingTtl,
    wrappingContradiction: m.minWrappingTtl !== 0 && m.maxWrappingTtl !== 0 && m.maxWrappingTtl < m.minWrappingTtl,
    params,
    hasParams: hasParameterConstraints(params),
    capabilityNames: capabilityNames(m.bits),
    grantingPolicies: grantingByBit(m.grantingPolicies),
    mfaMethods: m.mfaMethods,
    controlGroup: m.controlGroup,
    subscribeEventTypes: m.subscribeEventTypes,
    allowedParameters: m.allowedParameters,
    deniedParameters: m.deniedParameters,
    requiredParameters: m.requiredParameters,
  };
}

export interface ResultantAclEntry {
  capabilities: string[];
  min_wrapping_ttl?: number;
  max_wrapping_ttl?: number;
  allowed_parameters?: Record<string, readonly unknown[]>;
  denied_parameters?: Record<string, readonly unknown[]>;
  required_parameters?: string[];
}

export interface ResultantAcl {
  root: boolean;
  exact_paths?: Record<string, ResultantAclEntry>;
  glob_paths?: Record<string, ResultantAclEntry>;
}

export class CompiledAcl {
  readonly isRoot: boolean;
  readonly policyNames: readonly string[];
  private readonly exact = new Map<string, CompiledPermission>();
  private readonly prefixes = new PrefixTree<CompiledPermission>();
  private readonly segments = new SegmentTrie<CompiledPermission>();
  private readonly segmentList: CompiledPermission[] = [];
  private readonly acc = new CandidateAccumulator();
  private readonly legacyListMatching: boolean;

  constructor(policies: readonly Policy[], options: CompileOptions = {}) {
    this.policyNames = Object.freeze(policies.map((p) => p.name));
    this.isRoot = policies.some((p) => p.name === 'root');
    this.legacyListMatching = options.legacyListMatching ?? process.env['VAULT_LEGACY_EXACT_MATCHING_ON_LIST'] !== undefined;
    if (this.isRoot) return;

    const merged: Record<RuleKind, Map<string, MergedPermissions>> = {
      exact: new Map(),
      prefix: new Map(),
      segment: new Map(),
    };
    for (const policy of policies) {
      for (const rule of policy.paths) {
        // Unresolved identity templates never match: Vault drops such blocks when building an ACL.
        if (rule.templated) continue;
        const table = merged[rule.kind];
        const existing = table.get(rule.key);
        if (existing === undefined) table.set(rule.key, permissionsFromRule(rule, policy.name));
        else mergeRuleInto(existing, rule, policy.name);
      }
    }

    for (const [key, m] of merged.exact) this.exact.set(key, compilePermission(key, 'exact', m));

    const wildcards: Array<{ perm: CompiledPermission; rankKey: RankKey }> = [];
    for (const [key, m] of merged.prefix) {
      const perm = compilePermission(key, 'prefix', m);
      this.prefixes.set(key, perm);
      wildcards.push({ perm, rankKey: rankKeyOf('prefix', key) });
    }
    for (const [key, m] of merged.segment) {
      const perm = compilePermission(key, 'segment', m);
      this.segments.insert(key, perm);
      this.segmentList.push(perm);
      wildcards.push({ perm, rankKey: rankKeyOf('segment', key) });
    }
    wildcards.sort((a, b) => comparePriority(a.rankKey, b.rankKey));
    for (let i = 0; i < wildcards.length; i++) {
      // Distinct rules never tie: the final tie-break compares their distinct strings.
      if (i > 0 && comparePriority(wildcards[i - 1]!.rankKey, wildcards[i]!.rankKey) >= 0) {
        throw new Error(`ACL invariant violated: wildcard rules ${wildcards[i - 1]!.perm.pattern} and ${wildcards[i]!.perm.pattern} tie`);
      }
      wildcards[i]!.perm.rank = i;
    }
  }

  /** Decides one request; never throws, never parses. */
  allowOperation(req: AclRequest): AclVerdict {
    if (this.isRoot) return ROOT_VERDICT;
    const op = req.operation;
    if (op === 'help') return HELP_VERDICT;

    const perm = this.lookup(stripLeadingSlashes(req.path), op === 'list');
    if (perm === null) return NO_MATCH_VERDICT;

    const rootPrivs = (perm.bits & CAP_SUDO) !== 0;
    const needed = capabilityForOperation(op);
    if (needed === 0) return this.denied(perm, rootPrivs, 'operation not authorized by policy');
    if ((perm.bits & needed) === 0) {
      return this.denied(perm, rootPrivs, perm.bits & CAP_DENY ? 'denied by policy' : 'capability missing');
    }

    const wrapTtl = req.wrapTtl;
    if (perm.maxWrappingTtl > 0 && (wrapTtl === undefined || wrapTtl > perm.maxWrappingTtl)) {
      return this.denied(perm, rootPrivs, 'wrapping ttl not allowed');
    }
    if (perm.minWrappingTtl > 0 && (wrapTtl === undefined || wrapTtl < perm.minWrappingTtl)) {
      return this.denied(perm, rootPrivs, 'wrapping ttl not allowed');
    }
    if (perm.wrappingContradiction) return this.denied(perm, rootPrivs, 'wrapping ttl not allowed');

    if (perm.hasParams && operationChecksParameters(op)) {
      const denial = checkParameters(perm.params, req.data, this.legacyListMatching);
      if (denial !== undefined) return this.denied(perm, rootPrivs, denial);
    }

    // Help skips this (handled above), as performPolicyChecks does.
    if (req.rootProtected === true && !rootPrivs) return this.denied(perm, rootPrivs, 'sudo required');

    const verdict: AclVerdict = {
      allowed: true,
      rootPrivs,
      isRoot: false,
      capabilities: perm.capabilityNames,
      grantingPolicies: perm.grantingPolicies[bitIndex(needed)] ?? EMPTY,
    };
    if (perm.mfaMethods !== undefined && perm.mfaMethods.length > 0) verdict.mfaMethods = perm.mfaMethods;
    if (perm.controlGroup !== undefined) verdict.controlGroup = perm.controlGroup;
    return verdict;
  }

  /**
   * Capabilities on `path` for sys/capabilities: sorted; `["root"]` for root; `["deny"]` when
   * nothing matches or the match denies. Uses LIST matching, as Vault does.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return ['root'];
    const perm = this.lookup(stripLeadingSlashes(path), true);
    return perm === null ? ['deny'] : [...perm.capabilityNames];
  }

  /**
   * Whether the token may see a mount at `mountPath` (with trailing `/`) in sys/internal/ui/mounts:
   * a non-deny capability on the mount path itself, on any exact or `*` rule under it, or on a `+`
   * rule reaching it (vault/system.go `hasMountAccess`).
   */
  hasMountAccess(mountPath: string): boolean {
    if (this.isRoot) return true;
    const path = stripLeadingSlashes(mountPath);
    if (!this.capabilities(path).includes('deny')) return true;
    for (const [key, perm] of this.exact) if (key.startsWith(path) && grantsMountAccess(perm)) return true;
    for (const [key, perm] of this.prefixes.entries()) if (key.startsWith(path) && grantsMountAccess(perm)) return true;
    return this.segmentRuleReachesMount(path);
  }

  /** CheckAllowedFromNonExactPaths with bareMount = true. */
  private segmentRuleReachesMount(path: string): boolean {
    const pathParts = path.split('/');
    const checkAt = pathParts.length - 2; // the mount path ends with '/'
    rules: for (const perm of this.segmentList) {
      const isPrefix = perm.pattern.endsWith('*');
      const parts = (isPrefix ? perm.pattern.slice(0, -1) : perm.pattern).split('/');
      const segments: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        const segment = pathParts[i];
        if (segment === undefined) continue rules;
        if (part === '+' || part === segment) segments.push(segment);
        else if (isPrefix && i === parts.length - 1 && segment.startsWith(part)) segments.push(...pathParts.slice(i));
        else continue rules;
        if (i === checkAt) {
          if (`${segments.join('/')}/`.startsWith(path) && (perm.bits & CAP_DENY) === 0 && perm.bits !== 0) return true;
          continue rules;
        }
      }
    }
    return false;
  }

  /** The event types `subscribe` is limited to on `path` (root: `["*"]`). */
  subscribeEventTypes(path: string): string[] {
    if (this.isRoot) return ['*'];
    const perm = this.lookup(stripLeadingSlashes(path), true);
    return perm === null ? [] : [...perm.subscribeEventTypes];
  }

  /** sys/internal/ui/resultant-acl `data`. */
  resultantAcl(): ResultantAcl {
    if (this.isRoot) return { root: true };
    const exact: Record<string, ResultantAclEntry> = {};
    const glob: Record<string, ResultantAclEntry> = {};
    for (const [key, perm] of this.exact) exact[key] = describe(perm);
    for (const [key, perm] of this.prefixes.entries()) glob[key] = describe(perm);
    for (const perm of this.segmentList) {
      if (perm.pattern.endsWith('*')) glob[perm.pattern.slice(0, -1)] = describe(perm);
      else exact[perm.pattern] = describe(perm);
    }
    return { root: false, exact_paths: exact, glob_paths: glob };
  }

  private denied(perm: CompiledPermission, rootPrivs: boolean, reason: AclDenyReason): AclVerdict {
    return { allowed: false, rootPrivs, isRoot: false, capabilities: perm.capabilityNames, grantingPolicies: EMPTY, reason };
  }

  /** The permission that governs `path`, or null. */
  private lookup(path: string, isList: boolean): CompiledPermission | null {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    const trailingSlash = path.length > 0 && path.charCodeAt(path.length - 1) === 47; /* '/' */
    if (isList && trailingSlash) {
      const trimmed = path.slice(0, -1);
      const exactTrimmed = this.exact.get(trimmed);
      if (exactTrimmed !== undefined) return exactTrimmed;
      return this.resolveListCandidates(trimmed, path);
    }
    const acc = this.acc;
    acc.reset();
    this.collect(path, acc);
    return acc.best;
  }

  private collect(path: string, acc: CandidateAccumulator): void {
    const prefix = this.prefixes.longestPrefix(path);
    if (prefix !== undefined) acc.consider(prefix);
    this.segments.match(path, acc);
  }

  /**
   * LIST of `full` (ending in `/`): candidates from both forms; the most specific deny wins unless
   * a more specific candidate grants list; with neither, the most specific candidate.
   */
  private resolveListCandidates(trimmed: string, full: string): CompiledPermission | null {
    const acc = this.acc;
    acc.reset();
    this.collect(trimmed, acc);
    this.collect(full, acc);
    const { best, bestDeny, bestList } = acc;
    if (bestDeny !== null && (bestList === null || bestList.rank < bestDeny.rank)) return bestDeny;
    if (bestList !== null) return bestList;
    return best;
  }
}

/** A rule under a mount that makes the mount visible: any of the classic operation capabilities. */
function grantsMountAccess(perm: CompiledPermission): boolean {
  if (perm.bits & CAP_DENY) return false;
  return (perm.bits & (CAP_CREATE | CAP_DELETE | CAP_LIST | CAP_READ | CAP_SUDO | CAP_UPDATE | CAP_PATCH)) !== 0;
}

function describe(perm: CompiledPermission): ResultantAclEntry {
  const entry: ResultantAclEntry = { capabilities: [...perm.capabilityNames] };
  if (perm.minWrappingTtl !== 0) entry.min_wrapping_ttl = Math.trunc(perm.minWrappingTtl);
  if (perm.maxWrappingTtl !== 0) entry.max_wrapping_ttl = Math.trunc(perm.maxWrappingTtl);
  if (perm.allowedParameters && Object.keys(perm.allowedParameters).length > 0) entry.allowed_parameters = { ...perm.allowedParameters };
  if (perm.deniedParameters && Object.keys(perm.deniedParameters).length > 0) entry.denied_parameters = { ...perm.deniedParameters };
  if (perm.requiredParameters.length > 0) entry.required_parameters = [...perm.requiredParameters];
  return entry;
}

/** Request paths never start with `/` in Vault; strip any, as AllowOperation does for defence. */
function stripLeadingSlashes(path: string): string {
  let i = 0;
  while (i < path.length && path.charCodeAt(i) === 47) i++;
  return i === 0 ? path : path.slice(i);
}

/** Merges and compiles a token's policies (unknown names must already be filtered out). */
export function compilePolicySet(policies: readonly Policy[], options: CompileOptions = {}): CompiledAcl {
  return new CompiledAcl(policies, options);
}
