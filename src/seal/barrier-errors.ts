/** Errors raised by the security barrier. Messages name storage keys, never contents. */

/** Authentication / format failures: wrong key, tampered or relocated ciphertext. */
export class BarrierError extends Error {
  override name = 'BarrierError';
}

/** Any data operation while the barrier is sealed (Vault's ErrBarrierSealed). */
export class BarrierSealedError extends Error {
  override name = 'BarrierSealedError';
  constructor() {
    super('Vault is sealed');
  }
}

/** Vault's name for the sealed error. */
export { BarrierSealedError as ErrBarrierSealed };
