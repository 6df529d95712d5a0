import { randomBytes, randomUUID, hash, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 string (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const uuid = (): string => randomUUID();

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** One-shot SHA-256 (crypto.hash avoids a Hash object per call: it sits on every request's path). */
export const sha256Hex = (s: string | Buffer): string => hash('sha256', s, 'hex');

/** Constant-time string equality (lengths leak, contents do not). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    // Compare against itself so the work done does not depend on where the strings differ.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
