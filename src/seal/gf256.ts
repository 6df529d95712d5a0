/**
 * Arithmetic in GF(2^8) with the AES reduction polynomial x^8 + x^4 + x^3 + x + 1 (0x11B), the
 * field Vault's `shamir` package uses. Constant time: no table lookups indexed by (possibly
 * secret) field elements and no branches on them, only shifts, xors and masks.
 */

/** Addition and subtraction are both xor. */
export function gfAdd(a: number, b: number): number {
  return (a ^ b) & 0xff;
}

/** Carry-less multiply, reducing as it goes; 8 fixed rounds whatever the operands. */
export function gfMul(a: number, b: number): number {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    // -(bit) is all-ones or zero: selects `a` / the reduction constant without a branch.
    r = (-((b >>> i) & 1) & a) ^ (-(r >>> 7) & 0x1b) ^ ((r << 1) & 0xff);
  }
  return r & 0xff;
}

/** Multiplicative inverse as a^254 (a^255 = 1 for a ≠ 0); maps 0 to 0. Fixed exponent, fixed work. */
export function gfInv(a: number): number {
  // 254 = 0b11111110: square-and-multiply over the public exponent bits.
  let r = 1;
  for (let i = 7; i >= 0; i--) {
    r = gfMul(r, r);
    if ((254 >>> i) & 1) r = gfMul(r, a);
  }
  return r;
}

/** a / b. The caller guarantees b ≠ 0 (shamir's denominators are differences of distinct x). */
export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new Error('gf256: divide by zero');
  return gfMul(a, gfInv(b));
}
