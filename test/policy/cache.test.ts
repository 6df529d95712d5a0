import { describe, expect, it } from 'vitest';
import { compilePolicySet, type CompiledAcl } from '../../src/policy/acl.js';
import { PolicyCache } from '../../src/policy/cache.js';
import { parsePolicy } from '../../src/policy/parse.js';

function counter() {
  const calls: string[][] = [];
  const compile = (names: readonly string[]): CompiledAcl => {
    calls.push([...names]);
    return compilePolicySet(names.map((n) => parsePolicy(n, `path "${n}/*" { capabilities = ["read"] }`)));
  };
  return { calls, compile };
}

describe('PolicyCache', () => {
  it('keys by the sorted name set: order and duplicates do not matter', () => {
    const cache = new PolicyCache(8);
    const { calls, compile } = counter();
    const a = cache.getOrCompile(['b', 'a'], compile);
    const b = cache.getOrCompile(['a', 'b'], compile);
    const c = cache.getOrCompile(['a', 'b', 'a'], compile);
    expect(a).toBe(b);
    expect(a).toBe(c);
    expect(calls).toEqual([['a', 'b']]);
    expect(a.allowOperation({ path: 'a/x', operation: 'read' }).allowed).toBe(true);
  });

  it('invalidate(name) drops every set containing that policy and nothing else', () => {
    const cache = new PolicyCache(8);
    const { calls, compile } = counter();
    cache.getOrCompile(['default', 'dev'], compile);
    cache.getOrCompile(['default', 'ops'], compile);
    cache.getOrCompile(['ops'], compile);
    cache.invalidate('dev');
    expect(cache.size).toBe(2);
    cache.getOrCompile(['default', 'ops'], compile);
    cache.getOrCompile(['default', 'dev'], compile);
    expect(calls.length).toBe(4);
    cache.invalidate('default');
    expect(cache.size).toBe(1);
    cache.invalidate('unknown');
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new PolicyCache(2);
    const { calls, compile } = counter();
    cache.getOrCompile(['a'], compile);
    cache.getOrCompile(['b'], compile);
    cache.getOrCompile(['a'], compile); // a is now most recent
    cache.getOrCompile(['c'], compile); // evicts b
    expect(cache.size).toBe(2);
    cache.getOrCompile(['a'], compile);
    expect(calls).toEqual([['a'], ['b'], ['c']]);
    cache.getOrCompile(['b'], compile);
    expect(calls.at(-1)).toEqual(['b']);
    // Evicted entries are no longer indexed under their policies.
    cache.invalidate('b');
    expect(cache.size).toBe(1);
  });

  it('clear() empties it; a non-positive size is refused', () => {
    const cache = new PolicyCache(4);
    cache.getOrCompile(['a'], counter().compile);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(() => new PolicyCache(0)).toThrow(/positive integer/);
  });
});
