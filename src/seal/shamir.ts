/**
 * Shamir's secret sharing over GF(2^8), byte-compatible with Vault's `shamir` package:
 * each share is the y-values for every secret byte followed by one x-coordinate byte,
 * `[y_0 … y_{n-1}, x]`, with distinct random non-zero x per share. Shares made here combine
 * in Vault and vice versa. Error messages are Vault's.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { gfAdd, gfDiv, gfMul } from './gf256.js';

/** Bytes a share adds to the secret's length: the x-coordinate tag. */
export const SHARE_OVERHEAD = 1;

export class ShamirError extends Error {
  override name = 'ShamirError';
}

/** `count` distinct x-coordinates drawn uniformly from 1..255 (partial Fisher–Yates). */
function randomXCoordinates(count: number): Uint8Array {
  const xs = new Uint8Array(255);
  for (let i = 0; i < 255; i++) xs[i] = i + 1;
  for (let i = 0; i < count; i++) {
    const j = randomInt(i, 255);
    const t = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = t;
  }
  return xs.subarray(0, count);
}

/** Horner evaluation of `coeffs` (coeffs[0] = intercept) at public x. */
function evaluate(coeffs: Uint8Array, x: number): number {
  let out = coeffs[coeffs.length - 1]!;
  for (let i = coeffs.length - 2; i >= 0; i--) out = gfAdd(gfMul(out, x), coeffs[i]!);
  return out;
}

/**
 * Splits `secret` into `parts` shares, any `threshold` of which recover it. Like Vault, needs
 * threshold ≥ 2 (a 1-of-1 "split" is the caller's business: it keeps the key whole).
 */
export function split(secret: Buffer, parts: number, threshold: number): Buffer[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) throw new ShamirError('parts and threshold must be integers');
  if (parts < threshold) throw new ShamirError('parts cannot be less than threshold');
  if (parts > 255) throw new ShamirError('parts cannot exceed 255');
  if (threshold < 2) throw new ShamirError('threshold must be at least 2');
  if (threshold > 255) throw new ShamirError('threshold cannot exceed 255');
  if (secret.length === 0) throw new ShamirError('cannot split an empty secret');

  const xs = randomXCoordinates(parts);
  const out = Array.from({ length: parts }, (_, i) => {
    const share = Buffer.alloc(secret.length + SHARE_OVERHEAD);
    share[secret.length] = xs[i]!;
    return share;
  });

  // One random polynomial of degree threshold-1 per secret byte, intercept = that byte.
  const coeffs = new Uint8Array(threshold);
  for (let idx = 0; idx < secret.length; idx++) {
    coeffs[0] = secret[idx]!;
    coeffs.set(randomBytes(threshold - 1), 1);
    for (let i = 0; i < parts; i++) out[i]![idx] = evaluate(coeffs, xs[i]!);
  }
  coeffs.fill(0);
  return out;
}

/**
 * Recombines shares by Lagrange interpolation at x = 0. With fewer than the threshold (or a
 * tampered share) it returns a wrong secret rather than an error: Shamir cannot tell; the
 * caller detects it by the key failing to open what it protects.
 */
export function combine(shares: Buffer[]): Buffer {
  if (shares.length < 2) throw new ShamirError('less than two parts cannot be used to reconstruct the secret');
  const len = shares[0]!.length;
  if (len < 2) throw new ShamirError('parts must be at least two bytes');
  for (const s of shares) {
    if (s.length !== len) throw new ShamirError('all parts must be the same length');
  }

  const xs = shares.map((s) => s[len - 1]!);
  if (new Set(xs).size !== xs.length) throw new ShamirError('duplicate part detected');

  // Lagrange basis at 0 depends only on the (public) x-coordinates: compute it once.
  // l_i(0) = Π_{j≠i} x_j / (x_i − x_j); subtraction is xor.
  const weights = xs.map((xi, i) => {
    let basis = 1;
    xs.forEach((xj, j) => {
      if (i !== j) basis = gfMul(basis, gfDiv(xj, gfAdd(xi, xj)));
    });
    return basis;
  });

  const secret = Buffer.alloc(len - 1);
  for (let idx = 0; idx < len - 1; idx++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) acc ^= gfMul(shares[i]![idx]!, weights[i]!);
    secret[idx] = acc;
  }
  return secret;
}
