/**
 * The one error type of the PKCS#11 seal. `code` says which part of the setup is wrong so the
 * caller can map it (e.g. to a startup failure vs. an unseal failure); the message names the exact
 * cause and what the operator should check. Messages never contain the PIN or key material.
 */
export type Pkcs11SealErrorCode = 'library' | 'slot' | 'pin' | 'key-missing' | 'decrypt' | 'mechanism' | 'config';

export class Pkcs11SealError extends Error {
  override name = 'Pkcs11SealError';
  readonly code: Pkcs11SealErrorCode;

  constructor(code: Pkcs11SealErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The CKR_* return value carried by a pkcs11js error, if it is one. */
export function returnValueOf(err: unknown): number | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'number' && /^CKR_/.test(err.message)) return err.code;
  return undefined;
}

/** "CKR_PIN_INCORRECT" for a pkcs11js error, otherwise the plain message. */
export function describeNativeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
