/**
 * Certificate serial numbers. Vault's forms: colon hex for responses and LIST (`39:dd:2e:…`),
 * hyphen hex for storage keys; both lowercase, of the minimal big-endian magnitude bytes. Input
 * accepts either separator and any case.
 */
import { randomFillSync } from 'node:crypto';

// One CSPRNG call per 200 serials instead of one each.
const POOL = Buffer.allocUnsafeSlow(4096);
let poolOffset = POOL.length;

function takeRandom(n: number): Buffer {
  if (poolOffset + n > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const out = Buffer.from(POOL.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

/** A random positive serial of `bits` bits (Vault uses 159), as minimal magnitude bytes. */
export function randomSerial(bits = 159): Buffer {
  const bytes = Math.ceil(bits / 8);
  const b = takeRandom(bytes);
  const extra = bytes * 8 - bits;
  b[0] = b[0]! & (0xff >> extra);
  // Keep at least 64 bits of entropy and a non-zero value: redraw in the (2^-64) degenerate case.
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  if (b.length - i < 8) return randomSerial(bits);
  return b.subarray(i);
}

const hexPairs = (b: Buffer): string[] => {
  const hex = b.toString('hex');
  const out: string[] = [];
  for (let i = 0; i < hex.length; i += 2) out.push(hex.slice(i, i + 2));
  return out;
};

export const serialToColon = (b: Buffer): string => hexPairs(b).join(':');
export const serialToHyphen = (b: Buffer): string => hexPairs(b).join('-');

/** Normalises a user-supplied serial (colon/hyphen/plain hex) to storage (hyphen) form. */
export function normalizeSerial(input: string): string {
  return input.trim().toLowerCase().replace(/:/g, '-');
}

export const hyphenToColon = (s: string): string => s.replace(/-/g, ':');

/** Serial string → magnitude bytes; undefined when it is not hex pairs. */
export function parseSerial(input: string): Buffer | undefined {
  const hex = input.trim().toLowerCase().replace(/[-:]/g, '');
  if (hex === '' || !/^[0-9a-f]+$/.test(hex)) return undefined;
  const b = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}
