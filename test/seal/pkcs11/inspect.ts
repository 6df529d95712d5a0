/** Reads objects back from a token through its own session, to check what the seal left there. */
import { acquireLibrary, loginSlot, logoutSlot, pkcs11js, releaseLibrary, type Pkcs11Module } from '../../../src/seal/pkcs11/library.js';
import { selectSlot, ulongOf } from '../../../src/seal/pkcs11/slots.js';
import { returnValueOf } from '../../../src/seal/pkcs11/errors.js';
import { SOFTHSM_LIB, type TestToken } from './softhsm.js';

export interface ObjectReport {
  cls: 'secret' | 'private' | 'public' | 'other';
  keyType: 'AES' | 'RSA' | 'other';
  id: string;
  token: boolean;
  private: boolean;
  /** Undefined for public keys, which have no such attribute. */
  sensitive: boolean | undefined;
  extractable: boolean | undefined;
  neverExtractable: boolean | undefined;
  alwaysSensitive: boolean | undefined;
  /** AES key length in bytes, or RSA modulus bits. */
  size: number | undefined;
  /** The CKR_* name returned when asking for the secret value (CKA_VALUE / CKA_PRIVATE_EXPONENT), or 'readable'. */
  secretRead: string;
  /** The CKR_* name returned when wrapping the key out with a fresh AES key, or 'wrapped'. */
  wrapAttempt: string;
}

function bool(p11: Pkcs11Module, session: Buffer, handle: Buffer, type: number): boolean | undefined {
  try {
    const v = p11.C_GetAttributeValue(session, handle, [{ type }])[0]?.value;
    return v === undefined ? undefined : v[0] === 1;
  } catch {
    return undefined;
  }
}

function ulong(p11: Pkcs11Module, session: Buffer, handle: Buffer, type: number): number | undefined {
  try {
    const v = p11.C_GetAttributeValue(session, handle, [{ type }])[0]?.value;
    return v === undefined ? undefined : Number(ulongOf(v));
  } catch {
    return undefined;
  }
}

function outcome(fn: () => unknown, ok: string): string {
  try {
    fn();
    return ok;
  } catch (err) {
    return returnValueOf(err) !== undefined ? (err as Error).message : `error: ${(err as Error).message}`;
  }
}

/** Every object labelled `label` on the token, with the attributes that matter for a seal key. */
export function inspectKeys(token: TestToken, label: string): ObjectReport[] {
  const lib = acquireLibrary(SOFTHSM_LIB);
  const { p11 } = lib;
  const slot = selectSlot(lib, { slot: undefined, tokenLabel: token.label });
  const session = p11.C_OpenSession(slot.handle, pkcs11js.CKF_SERIAL_SESSION);
  loginSlot(lib, String(slot.id), session, token.pin, 'inspected token');
  try {
    p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: Buffer.from(label) }]);
    const handles = p11.C_FindObjects(session, 32);
    p11.C_FindObjectsFinal(session);
    // A session (not token) AES key to try exporting the seal key with.
    const wrapper = p11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_WRAP, value: true },
    ]);
    return handles.map((h): ObjectReport => {
      const cls = ulong(p11, session, h, pkcs11js.CKA_CLASS);
      const keyType = ulong(p11, session, h, pkcs11js.CKA_KEY_TYPE);
      const isAes = keyType === pkcs11js.CKK_AES;
      const isPrivate = cls === pkcs11js.CKO_PRIVATE_KEY;
      return {
        cls: cls === pkcs11js.CKO_SECRET_KEY ? 'secret' : isPrivate ? 'private' : cls === pkcs11js.CKO_PUBLIC_KEY ? 'public' : 'other',
        keyType: isAes ? 'AES' : keyType === pkcs11js.CKK_RSA ? 'RSA' : 'other',
        id: p11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_ID }])[0]?.value?.toString('hex') ?? '',
        token: bool(p11, session, h, pkcs11js.CKA_TOKEN) === true,
        private: bool(p11, session, h, pkcs11js.CKA_PRIVATE) === true,
        sensitive: bool(p11, session, h, pkcs11js.CKA_SENSITIVE),
        extractable: bool(p11, session, h, pkcs11js.CKA_EXTRACTABLE),
        neverExtractable: bool(p11, session, h, pkcs11js.CKA_NEVER_EXTRACTABLE),
        alwaysSensitive: bool(p11, session, h, pkcs11js.CKA_ALWAYS_SENSITIVE),
        size: isAes ? ulong(p11, session, h, pkcs11js.CKA_VALUE_LEN) : ulong(p11, session, h, pkcs11js.CKA_MODULUS_BITS),
        secretRead: outcome(() => p11.C_GetAttributeValue(session, h, [{ type: isPrivate ? pkcs11js.CKA_PRIVATE_EXPONENT : pkcs11js.CKA_VALUE }]), 'readable'),
        wrapAttempt: outcome(() => p11.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD }, wrapper, h, Buffer.alloc(4096)), 'wrapped'),
      };
    });
  } finally {
    logoutSlot(lib, String(slot.id), session);
    p11.C_CloseSession(session);
    releaseLibrary(lib);
  }
}
