/**
 * Turns a policy block's path into its matching key and kind, as vault/policy.go `parsePaths` does:
 * strip one leading `/`, refuse `+*`, detect `+` segments, and strip a trailing `*` from plain
 * prefix rules (segment rules keep it: the matcher needs it).
 */
import { PolicyParseError, goQuote } from './errors.js';
import type { RuleKind } from './types.js';

export interface ClassifiedPath {
  key: string;
  kind: RuleKind;
}

export function classifyRulePath(rawPath: string): ClassifiedPath {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (path.includes('+*')) {
    throw new PolicyParseError(`path ${goQuote(path)}: invalid use of wildcards ('+*' is forbidden)`);
  }
  const hasSegmentWildcards = path === '+' || path.includes('/+') || path.startsWith('+/');
  if (hasSegmentWildcards) return { key: path, kind: 'segment' };
  if (path.endsWith('*')) return { key: path.slice(0, -1), kind: 'prefix' };
  return { key: path, kind: 'exact' };
}
