import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gfAdd, gfDiv, gfInv, gfMul } from '../../src/seal/gf256.js';
import { combine, split } from '../../src/seal/shamir.js';

/** Textbook multiply with branches, independent of the code under test. */
function slowMul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) p ^= a;
    const carry = a & 0x80;
    a = (a << 1) & 0xff;
    if (carry) a ^= 0x1b;
    b >>= 1;
  }
  return p;
}

/** exp/log tables for generator 0xE5, the generator Vault's shamir tables.go was built from. */
function referenceTables(): { exp: number[]; log: number[] } {
  const exp: number[] = [];
  const log: number[] = new Array<number>(256).fill(0);
  let v = 1;
  for (let i = 0; i < 255; i++) {
    exp.push(v);
    log[v] = i;
    v = slowMul(v, 0xe5);
  }
  return { exp, log };
}

/** All k-subsets of [0, n). */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k - 1).map((s) => [...s, n - 1]), ...subsets(n - 1, k)];
}

describe('GF(2^8)', () => {
  const { exp, log } = referenceTables();

  it('the reference table is Vault’s (first entries of its expTable/logTable)', () => {
    expect(exp.slice(0, 16)).toEqual([
      0x01, 0xe5, 0x4c, 0xb5, 0xfb, 0x9f, 0xfc, 0x12, 0x03, 0x34, 0xd4, 0xc4, 0x16, 0xba, 0x1f, 0x36,
    ]);
    expect([log[2], log[3], log[4], log[5]]).toEqual([0xc8, 0x08, 0x91, 0x10]);
    expect(new Set(exp).size).toBe(255); // 0xE5 generates the whole multiplicative group
  });

  it('multiplication matches the reference table for every pair', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const want = a === 0 || b === 0 ? 0 : exp[(log[a]! + log[b]!) % 255]!;
        if (gfMul(a, b) !== want) expect({ a, b, got: gfMul(a, b) }).toEqual({ a, b, got: want });
      }
    }
  });

  it('every non-zero element times its inverse is 1; inv(0) = 0', () => {
    for (let a = 1; a < 256; a++) expect(gfMul(a, gfInv(a))).toBe(1);
    expect(gfInv(0)).toBe(0);
  });

  it('division undoes multiplication and refuses zero', () => {
    for (let a = 0; a < 256; a += 7) for (let b = 1; b < 256; b += 5) expect(gfDiv(gfMul(a, b), b)).toBe(a);
    expect(() => gfDiv(3, 0)).toThrow(/divide by zero/);
    expect(gfAdd(0x53, 0xca)).toBe(0x99);
  });
});

describe('shamir split/combine', () => {
  it('shares are secret length + 1 with distinct non-zero x', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 12, 5);
    expect(shares).toHaveLength(12);
    const xs = shares.map((s) => s[32]!);
    for (const s of shares) expect(s).toHaveLength(33);
    expect(new Set(xs).size).toBe(12);
    expect(xs.every((x) => x >= 1 && x <= 255)).toBe(true);
  });

  it('recovers the secret for every threshold 2..10 and parts up to 12', () => {
    for (let threshold = 2; threshold <= 10; threshold++) {
      for (const parts of [threshold, Math.min(12, threshold + 2), 12]) {
        const secret = randomBytes(33);
        const shares = split(secret, parts, threshold);
        expect(combine(shares.slice(0, threshold)).equals(secret)).toBe(true);
        expect(combine(shares).equals(secret)).toBe(true); // more than threshold also works
        expect(combine(shares.slice(parts - threshold).reverse()).equals(secret)).toBe(true);
      }
    }
  });

  it('any threshold-sized subset recovers the secret (3-of-6, every subset)', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 6, 3);
    const all = subsets(6, 3);
    expect(all).toHaveLength(20);
    for (const idx of all) expect(combine(idx.map((i) => shares[i]!)).equals(secret)).toBe(true);
  });

  it('fewer than threshold shares give a different secret', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 5, 4);
    for (const idx of subsets(5, 3)) expect(combine(idx.map((i) => shares[i]!)).equals(secret)).toBe(false);
    for (const idx of subsets(5, 2)) expect(combine(idx.map((i) => shares[i]!)).equals(secret)).toBe(false);
  });

  it('a tampered share yields a different secret', () => {
    const secret = randomBytes(16);
    const shares = split(secret, 3, 2);
    const bad = Buffer.from(shares[0]!);
    bad[5]! ^= 0x01;
    const got = combine([bad, shares[1]!]);
    expect(got.equals(secret)).toBe(false);
    expect(got[5]).not.toBe(secret[5]);
    const badX = Buffer.from(shares[0]!);
    const used = new Set(shares.map((sh) => sh[16]!));
    badX[16] = [...Array(255).keys()].map((i) => i + 1).find((x) => !used.has(x))!; // an unused x
    expect(combine([badX, shares[1]!]).equals(secret)).toBe(false);
  });

  it('rejects duplicate, mismatched and too few shares with Vault’s messages', () => {
    const shares = split(randomBytes(8), 3, 2);
    expect(() => combine([shares[0]!, Buffer.from(shares[0]!)])).toThrow('duplicate part detected');
    expect(() => combine([shares[0]!, shares[1]!.subarray(1)])).toThrow('all parts must be the same length');
    expect(() => combine([shares[0]!])).toThrow('less than two parts cannot be used to reconstruct the secret');
    expect(() => combine([Buffer.from([1]), Buffer.from([2])])).toThrow('parts must be at least two bytes');
  });

  it('validates split parameters with Vault’s messages', () => {
    const s = randomBytes(8);
    expect(() => split(s, 2, 3)).toThrow('parts cannot be less than threshold');
    expect(() => split(s, 256, 3)).toThrow('parts cannot exceed 255');
    expect(() => split(s, 3, 1)).toThrow('threshold must be at least 2');
    expect(() => split(s, 1, 1)).toThrow('threshold must be at least 2');
    expect(() => split(Buffer.alloc(0), 3, 2)).toThrow('cannot split an empty secret');
    expect(split(s, 255, 255)).toHaveLength(255);
  });

  it('combines hand-made shares in Vault’s layout [y…, x]', () => {
    // f(x) = s + c·x per byte, evaluated with the reference multiply, at x = 7 and x = 200.
    const secret = Buffer.from('vault');
    const c = Buffer.from([0x11, 0xfe, 0x00, 0x80, 0x5a]);
    const share = (x: number): Buffer =>
      Buffer.from([...secret].map((s, i) => s ^ slowMul(c[i]!, x)).concat([x]));
    expect(combine([share(7), share(200)]).toString()).toBe('vault');
  });
});
