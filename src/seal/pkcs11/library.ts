/**
 * Process-wide registry of loaded PKCS#11 libraries.
 *
 * A PKCS#11 library has one global state per process: dlopen returns the same handle for the same
 * file, a second C_Initialize fails with CKR_CRYPTOKI_ALREADY_INITIALIZED, C_Finalize tears down
 * every caller's sessions, and a login belongs to the application, not to a session (C_Logout in
 * one seal would log out every other seal on that token). So seals share one entry per library
 * (keyed by real path), reference-counted, and logins are counted per slot: the library is
 * finalized and the token logged out only when the last user lets go.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { Pkcs11SealError, describeNativeError, returnValueOf } from './errors.js';

export type Pkcs11Module = InstanceType<typeof pkcs11js.PKCS11>;
export { pkcs11js };

export interface LoadedLibrary {
  readonly p11: Pkcs11Module;
  /** The path as configured, for messages. */
  readonly path: string;
  readonly realPath: string;
  refs: number;
  /** False when something outside this registry had already initialized the library. */
  readonly ownsInit: boolean;
  readonly logins: Map<string, { refs: number; pinDigest: Buffer }>;
}

const loaded = new Map<string, LoadedLibrary>();

/** Whether a library is currently loaded and initialized by some seal in this process. */
export function isLibraryLoaded(path: string): boolean {
  return existsSync(path) && loaded.has(realpathSync(path));
}

export function acquireLibrary(path: string): LoadedLibrary {
  if (!existsSync(path)) {
    throw new Pkcs11SealError('library', `pkcs11 seal: PKCS#11 library not found at "${path}": check \`lib\` (VAULT_HSM_LIB) names the HSM vendor's PKCS#11 .so and that this process can read it`);
  }
  const realPath = realpathSync(path);
  const existing = loaded.get(realPath);
  if (existing) {
    existing.refs++;
    return existing;
  }
  const p11: Pkcs11Module = new pkcs11js.PKCS11();
  try {
    p11.load(path);
  } catch (err) {
    throw new Pkcs11SealError('library', `pkcs11 seal: cannot load PKCS#11 library "${path}": ${describeNativeError(err)}. Check it is a PKCS#11 module (exports C_GetFunctionList) built for this platform and that its own dependencies are installed`, { cause: err });
  }
  let ownsInit = true;
  try {
    // OS locking: async encrypt/decrypt run on libuv's thread pool, not the main thread.
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (returnValueOf(err) === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      ownsInit = false;
    } else {
      closeQuietly(p11);
      throw new Pkcs11SealError('library', `pkcs11 seal: C_Initialize of "${path}" failed (${describeNativeError(err)}): check the library's own configuration (for SoftHSM: SOFTHSM2_CONF and its directories.tokendir)`, { cause: err });
    }
  }
  const entry: LoadedLibrary = { p11, path, realPath, refs: 1, ownsInit, logins: new Map() };
  loaded.set(realPath, entry);
  return entry;
}

export function releaseLibrary(lib: LoadedLibrary): void {
  if (loaded.get(lib.realPath) !== lib) return;
  lib.refs--;
  if (lib.refs > 0) return;
  loaded.delete(lib.realPath);
  if (lib.ownsInit) {
    try {
      lib.p11.C_Finalize();
    } catch {
      // Finalizing is best effort: the library is being unloaded either way.
    }
  }
  closeQuietly(lib.p11);
}

function closeQuietly(p11: Pkcs11Module): void {
  try {
    p11.close();
  } catch {
    // Nothing useful to do if dlclose fails.
  }
}

function pinDigest(pin: string): Buffer {
  return createHash('sha256').update(pin, 'utf8').digest();
}

/**
 * Logs the application in to a slot as CKU_USER, or joins an existing login made by another seal
 * of this process with the same PIN. `describe` names the token for messages.
 */
export function loginSlot(lib: LoadedLibrary, slotKey: string, session: Buffer, pin: string, describe: string): void {
  const digest = pinDigest(pin);
  const existing = lib.logins.get(slotKey);
  if (existing) {
    // The token would answer CKR_USER_ALREADY_LOGGED_IN to any PIN: compare with the PIN that
    // actually logged in so a wrong PIN is still refused.
    if (!timingSafeEqual(existing.pinDigest, digest)) throw pinError(describe, 'CKR_PIN_INCORRECT');
    existing.refs++;
    return;
  }
  const { p11 } = lib;
  try {
    p11.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (err) {
    if (returnValueOf(err) !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw loginError(err, describe);
    // Logged in by code outside this registry: log out and in again so the PIN is really checked.
    try {
      p11.C_Logout(session);
      p11.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (again) {
      throw loginError(again, describe);
    }
  }
  lib.logins.set(slotKey, { refs: 1, pinDigest: digest });
}

export function logoutSlot(lib: LoadedLibrary, slotKey: string, session: Buffer): void {
  const login = lib.logins.get(slotKey);
  if (!login) return;
  login.refs--;
  if (login.refs > 0) return;
  lib.logins.delete(slotKey);
  try {
    lib.p11.C_Logout(session);
  } catch {
    // Closing the token's last session logs out anyway.
  }
}

function pinError(describe: string, rv: string): Pkcs11SealError {
  return new Pkcs11SealError('pin', `pkcs11 seal: ${describe} rejected the PIN (${rv}): check \`pin\` (VAULT_HSM_PIN) is the token's user PIN; on a real HSM repeated failures lock the PIN`);
}

function loginError(err: unknown, describe: string): Pkcs11SealError {
  const rv = returnValueOf(err);
  const name = describeNativeError(err);
  switch (rv) {
    case pkcs11js.CKR_PIN_INCORRECT:
    case pkcs11js.CKR_PIN_INVALID:
    case pkcs11js.CKR_PIN_LEN_RANGE:
      return pinError(describe, name);
    case pkcs11js.CKR_PIN_LOCKED:
      return new Pkcs11SealError('pin', `pkcs11 seal: the user PIN of ${describe} is locked (${name}): the token's security officer must unlock or reset it`, { cause: err });
    case pkcs11js.CKR_PIN_EXPIRED:
      return new Pkcs11SealError('pin', `pkcs11 seal: the user PIN of ${describe} has expired (${name}): set a new user PIN with the HSM's tools`, { cause: err });
    case pkcs11js.CKR_USER_PIN_NOT_INITIALIZED:
      return new Pkcs11SealError('pin', `pkcs11 seal: ${describe} has no user PIN yet (${name}): initialise it (e.g. softhsm2-util --init-pin, or the HSM vendor's tool)`, { cause: err });
    default:
      return new Pkcs11SealError('pin', `pkcs11 seal: login to ${describe} failed (${name}): check \`pin\` and that the token is usable`, { cause: err });
  }
}
