/**
 * Compiled ACLs keyed by a token's policy-name set, so a request never compiles. Bounded (least
 * recently used entry evicted first); writing or deleting a policy drops every entry that uses it.
 */
import type { CompiledAcl } from './acl.js';

// Policy names are trimmed strings; a NUL never occurs in one.
const SEPARATOR = '\u0000';

interface Entry {
  names: readonly string[];
  acl: CompiledAcl;
}

/** Sorted, de-duplicated copy (or the input itself when it already is). */
function sortedUnique(names: readonly string[]): readonly string[] {
  let ordered = true;
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! >= names[i]!) {
      ordered = false;
      break;
    }
  }
  return ordered ? names : [...new Set(names)].sort();
}

export class PolicyCache {
  private readonly entries = new Map<string, Entry>();
  /** Policy name → keys of entries compiled from it. */
  private readonly byPolicy = new Map<string, Set<string>>();

  constructor(private readonly maxEntries = 1024) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new Error(`PolicyCache size must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The ACL for `names`, compiling it with `compile(sortedNames)` on a miss. The key is the sorted
   * name set, so the order tokens list their policies in does not matter.
   */
  getOrCompile(names: readonly string[], compile: (sortedNames: readonly string[]) => CompiledAcl): CompiledAcl {
    const sorted = sortedUnique(names);
    const key = sorted.join(SEPARATOR);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.acl;
    }
    const acl = compile(sorted);
    this.entries.set(key, { names: [...sorted], acl });
    for (const name of sorted) {
      let keys = this.byPolicy.get(name);
      if (keys === undefined) this.byPolicy.set(name, (keys = new Set()));
      keys.add(key);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.drop(oldest);
    }
    return acl;
  }

  /** Forgets every compiled ACL that includes `policyName`. */
  invalidate(policyName: string): void {
    const keys = this.byPolicy.get(policyName);
    if (keys === undefined) return;
    for (const key of [...keys]) this.drop(key);
  }

  clear(): void {
    this.entries.clear();
    this.byPolicy.clear();
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    for (const name of entry.names) {
      const keys = this.byPolicy.get(name);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.byPolicy.delete(name);
    }
  }
}
