/**
 * The compiled ACL (radix tree + segment trie + precomputed ranks) against a literal port of Vault's
 * lookup (scan every rule, split paths, sort candidates) on random policies and paths.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/acl.js';
import { CAP_DENY, CAP_LIST, capabilityNames } from '../../src/policy/capabilities.js';
import { mergeRuleInto, permissionsFromRule, type MergedPermissions } from '../../src/policy/merge.js';
import { parsePolicy } from '../../src/policy/parse.js';
import type { Policy } from '../../src/policy/types.js';
import { PrefixTree } from '../../src/policy/prefix-tree.js';

interface Descr {
  firstWC: number;
  isPrefix: boolean;
  wildcards: number;
  wcPath: string;
  perms: MergedPermissions;
}

function lowerPriority(a: Descr, b: Descr): boolean {
  if (a.firstWC !== b.firstWC) return a.firstWC < b.firstWC;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards > b.wildcards;
  if (a.wcPath.length !== b.wcPath.length) return a.wcPath.length < b.wcPath.length;
  return a.wcPath < b.wcPath;
}

/** A direct transcription of vault/acl.go's lookup, for ASCII paths. */
class ReferenceAcl {
  private exact = new Map<string, MergedPermissions>();
  private prefix = new Map<string, MergedPermissions>();
  private segment = new Map<string, MergedPermissions>();

  constructor(policies: Policy[]) {
    for (const p of policies) {
      for (const r of p.paths) {
        const table = r.kind === 'exact' ? this.exact : r.kind === 'prefix' ? this.prefix : this.segment;
        const existing = table.get(r.key);
        if (existing) mergeRuleInto(existing, r, p.name);
        else table.set(r.key, permissionsFromRule(r, p.name));
      }
    }
  }

  private candidates(path: string): Descr[] {
    const out: Descr[] = [];
    let best: string | undefined;
    for (const k of this.prefix.keys()) if (path.startsWith(k) && (best === undefined || k.length > best.length)) best = k;
    if (best !== undefined) out.push({ firstWC: best.length, isPrefix: true, wildcards: 0, wcPath: best, perms: this.prefix.get(best)! });
    const pathParts = path.split('/');
    outer: for (const [full, perms] of this.segment) {
      const pd: Descr = { firstWC: full.indexOf('+'), isPrefix: false, wildcards: 0, wcPath: full, perms };
      let cur = full;
      if (cur.endsWith('*')) {
        pd.isPrefix = true;
        cur = cur.slice(0, -1);
      }
      pd.wcPath = cur;
      const parts = cur.split('/');
      if (pathParts.length < parts.length) continue;
      if (!pd.isPrefix && parts.length !== pathParts.length) continue;
      for (let i = 0; i < parts.length; i++) {
        const a = parts[i]!;
        if (a === '+') pd.wildcards++;
        else if (a === pathParts[i]) continue;
        else if (pd.isPrefix && i === parts.length - 1 && pathParts[i]!.startsWith(a)) continue;
        else continue outer;
      }
      out.push(pd);
    }
    return out;
  }

  private best(ds: Descr[]): Descr | undefined {
    let b: Descr | undefined;
    for (const d of ds) if (!b || lowerPriority(b, d)) b = d;
    return b;
  }

  lookup(path: string, isList: boolean): MergedPermissions | undefined {
    path = path.replace(/^\/+/, '');
    const e = this.exact.get(path);
    if (e) return e;
    if (isList) {
      const t = this.exact.get(path.endsWith('/') ? path.slice(0, -1) : path);
      if (t) return t;
    }
    if (isList && path.endsWith('/')) {
      const all = [...this.candidates(path.slice(0, -1)), ...this.candidates(path)];
      if (all.length === 0) return undefined;
      const deny = this.best(all.filter((d) => d.perms.bits & CAP_DENY));
      const list = this.best(all.filter((d) => d.perms.bits & CAP_LIST));
      if (deny && (!list || lowerPriority(list, deny))) return deny.perms;
      if (list) return list.perms;
      return this.best(all)!.perms;
    }
    return this.best(this.candidates(path))?.perms;
  }
}

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['a', 'b', 'ab', 'abc', 'x', ''];
const CAPS = ['read', 'list', 'update', 'create', 'delete', 'sudo', 'deny'];

function randomPattern(r: () => number): string {
  const n = 1 + Math.floor(r() * 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(r() < 0.3 ? '+' : WORDS[Math.floor(r() * WORDS.length)]!);
  let p = parts.join('/');
  if (r() < 0.45 && !p.endsWith('+')) p += r() < 0.5 ? '*' : '/*';
  return p;
}

function randomPath(r: () => number): string {
  const n = 1 + Math.floor(r() * 5);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(WORDS[Math.floor(r() * WORDS.length)]!);
  return parts.join('/') + (r() < 0.3 ? '/' : '');
}

function randomPolicies(r: () => number): Policy[] {
  const policies: Policy[] = [];
  const count = 1 + Math.floor(r() * 4);
  for (let p = 0; p < count; p++) {
    const blocks: string[] = [];
    const n = 1 + Math.floor(r() * 12);
    for (let b = 0; b < n; b++) {
      const caps = CAPS.filter(() => r() < (1 / CAPS.length) * 2.5);
      blocks.push(`path "${randomPattern(r)}" { capabilities = [${caps.map((c) => `"${c}"`).join(',')}] }`);
    }
    policies.push(parsePolicy(`p${p}`, blocks.join('\n')));
  }
  return policies;
}

describe('compiled ACL = literal port of Vault lookup', () => {
  it('agrees on 200 random policy sets × 40 paths (capabilities with LIST semantics and read matches)', () => {
    const r = rng(20240601);
    let compared = 0;
    const mismatches: string[] = [];
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    for (let round = 0; round < 200; round++) {
      const policies = randomPolicies(r);
      const acl = compilePolicySet(policies);
      const ref = new ReferenceAcl(policies);
      const where = () => JSON.stringify(policies.map((p) => p.paths.map((x) => x.rawPath)));
      for (let i = 0; i < 40; i++) {
        const path = randomPath(r);
        const refList = ref.lookup(path, true);
        const wantList = refList ? capabilityNames(refList.bits) : ['deny'];
        const gotList = acl.capabilities(path);
        if (!same(gotList, wantList)) mismatches.push(`LIST ${path}: ${gotList} ≠ ${wantList} in ${where()}`);
        const refRead = ref.lookup(path, false);
        const verdict = acl.allowOperation({ path, operation: 'read' });
        const wantRead = refRead ? capabilityNames(refRead.bits) : [];
        if (!same(verdict.capabilities, wantRead)) mismatches.push(`READ ${path}: ${verdict.capabilities} ≠ ${wantRead} in ${where()}`);
        const wantAllowed = refRead !== undefined && (refRead.bits & 4) !== 0 && (refRead.bits & CAP_DENY) === 0;
        if (verdict.allowed !== wantAllowed) mismatches.push(`READ ${path}: allowed ${verdict.allowed} in ${where()}`);
        compared++;
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBe(200 * 40);
  });
});

describe('PrefixTree', () => {
  it('longest prefix across splits, including the empty key', () => {
    const t = new PrefixTree<string>();
    for (const k of ['secret/', 'secret/data/', 'sec', 'sys/', 'secret/data/app']) t.set(k, k);
    expect(t.longestPrefix('secret/data/app1')).toBe('secret/data/app');
    expect(t.longestPrefix('secret/data/ap')).toBe('secret/data/');
    expect(t.longestPrefix('secret')).toBe('sec');
    expect(t.longestPrefix('se')).toBeUndefined();
    t.set('', 'root');
    expect(t.longestPrefix('zzz')).toBe('root');
    expect(t.get('secret/data/')).toBe('secret/data/');
    expect(t.get('secret/data')).toBeUndefined();
    expect(t.size).toBe(6);
    expect(new Set([...t.entries()].map(([k]) => k))).toEqual(new Set(['', 'secret/', 'secret/data/', 'sec', 'sys/', 'secret/data/app']));
  });

  it('matches a brute-force longest prefix on random keys', () => {
    const r = rng(7);
    const alphabet = ['a', 'b', '/', 'c'];
    const word = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
    const keys = Array.from({ length: 200 }, () => word(Math.floor(r() * 8)));
    const t = new PrefixTree<string>();
    for (const k of keys) t.set(k, k);
    for (let i = 0; i < 2000; i++) {
      const p = word(Math.floor(r() * 10));
      let best: string | undefined;
      for (const k of keys) if (p.startsWith(k) && (best === undefined || k.length > best.length)) best = k;
      expect(t.longestPrefix(p)).toBe(best);
    }
  });
});
