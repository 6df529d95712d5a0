import { describe, expect, it } from 'vitest';
import { LeaseHeap } from '../../src/core/lease-heap.js';

/** Deterministic PRNG so the randomized test replays exactly. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('LeaseHeap', () => {
  it('pops in expiry order and only what has expired', () => {
    const h = new LeaseHeap();
    h.set('c', 30);
    h.set('a', 10);
    h.set('b', 20);
    expect(h.peek()).toEqual({ id: 'a', expireAt: 10 });
    expect(h.popExpired(20)).toEqual(['a', 'b']);
    expect(h.size).toBe(1);
    expect(h.popExpired(29)).toEqual([]);
  });

  it('reschedules and deletes by id', () => {
    const h = new LeaseHeap();
    h.set('a', 10);
    h.set('b', 20);
    h.set('a', 30);
    expect(h.peek()?.id).toBe('b');
    expect(h.delete('b')).toBe(true);
    expect(h.delete('b')).toBe(false);
    expect(h.popExpired(100)).toEqual(['a']);
  });

  it('respects the batch limit', () => {
    const h = new LeaseHeap();
    for (let i = 0; i < 10; i++) h.set(`l${i}`, i);
    expect(h.popExpired(100, 3)).toEqual(['l0', 'l1', 'l2']);
    expect(h.size).toBe(7);
  });

  it('matches a sorted reference under random operations', () => {
    const rand = mulberry32(42);
    const h = new LeaseHeap();
    const ref = new Map<string, number>();
    for (let step = 0; step < 5000; step++) {
      const id = `id${Math.floor(rand() * 300)}`;
      const r = rand();
      if (r < 0.6) {
        const t = Math.floor(rand() * 10000);
        h.set(id, t);
        ref.set(id, t);
      } else if (r < 0.8) {
        expect(h.delete(id)).toBe(ref.delete(id));
      } else {
        const now = Math.floor(rand() * 10000);
        const got = h.popExpired(now);
        const want = [...ref.entries()].filter(([, t]) => t <= now).map(([i]) => i);
        expect(new Set(got)).toEqual(new Set(want));
        const times = got.map((i) => ref.get(i)!);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        for (const i of want) ref.delete(i);
      }
      expect(h.size).toBe(ref.size);
    }
  });
});
