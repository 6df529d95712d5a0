/**
 * Production guard: SoftHSM keeps its "HSM" keys in files on the server's own disk, readable by
 * anyone with that disk and the PIN, so it is a test stand-in, never a production seal.
 */
import { basename } from 'node:path';
import { realpathSync } from 'node:fs';
import { resolveConfig, type Pkcs11SealConfig } from './config.js';
import { Pkcs11SealError, describeNativeError } from './errors.js';
import { acquireLibrary, releaseLibrary } from './library.js';
import { selectSlot } from './slots.js';

export interface LibraryFacts {
  /** Configured and resolved (symlink-free) paths of the library. */
  path: string;
  realPath?: string;
  /** C_GetInfo manufacturerID / libraryDescription. */
  libraryManufacturer?: string;
  libraryDescription?: string;
  /** Manufacturer / model of the configured token, when it could be found. */
  tokenManufacturer?: string;
  tokenModel?: string;
}

const SOFTHSM = /softhsm/i;

/** Why these facts identify SoftHSM, or null. Pure. */
export function softHsmEvidence(facts: LibraryFacts): string | null {
  if (SOFTHSM.test(basename(facts.path))) return `the library file "${basename(facts.path)}" is SoftHSM`;
  if (facts.realPath && SOFTHSM.test(basename(facts.realPath))) return `"${facts.path}" resolves to SoftHSM's "${facts.realPath}"`;
  for (const [what, value] of [
    ['library manufacturer', facts.libraryManufacturer],
    ['library description', facts.libraryDescription],
    ['token manufacturer', facts.tokenManufacturer],
    ['token model', facts.tokenModel],
  ] as const) {
    if (value && SOFTHSM.test(value)) return `the ${what} reported by "${facts.path}" is "${value.trim()}"`;
  }
  return null;
}

export function isProduction(environment: string | undefined): boolean {
  return environment?.trim().toLowerCase() === 'production';
}

/** Facts from the library itself: C_GetInfo, plus the configured token when it can be found. */
function probeLibrary(config: Pkcs11SealConfig): LibraryFacts {
  const lib = acquireLibrary(config.lib);
  try {
    const facts: LibraryFacts = { path: config.lib, realPath: lib.realPath };
    try {
      const info = lib.p11.C_GetInfo();
      facts.libraryManufacturer = info.manufacturerID;
      facts.libraryDescription = info.libraryDescription;
    } catch (err) {
      throw new Pkcs11SealError('library', `pkcs11 seal: C_GetInfo on "${config.lib}" failed (${describeNativeError(err)}), so it cannot be checked for production use`, { cause: err });
    }
    try {
      // A proxy module (p11-kit) can front SoftHSM under another library name.
      const { slot, tokenLabel } = resolveConfig(config);
      const token = selectSlot(lib, { slot, tokenLabel });
      facts.tokenManufacturer = token.manufacturer;
      facts.tokenModel = token.model;
    } catch {
      // Token not found or config incomplete: Pkcs11Seal.open reports that precisely.
    }
    return facts;
  } finally {
    releaseLibrary(lib);
  }
}

/**
 * Throws a 'config' error when `environment` is production and the library is SoftHSM (by file
 * name, or by what the library and token report). Any other environment is allowed.
 */
export function assertSealAllowed(config: Pkcs11SealConfig, environment: string | undefined): void {
  if (!isProduction(environment)) return;
  let realPath: string | undefined;
  try {
    realPath = realpathSync(config.lib);
  } catch {
    realPath = undefined; // missing file: the probe below reports it as a 'library' error
  }
  const evidence = softHsmEvidence({ path: config.lib, realPath }) ?? softHsmEvidence(probeLibrary(config));
  if (evidence === null) return;
  throw new Pkcs11SealError(
    'config',
    `pkcs11 seal: SoftHSM is not allowed in production (${evidence}). SoftHSM stores its keys in ordinary files on this host, so whoever can read its token directory and knows the PIN can unseal: it is a test stand-in, not an HSM. ` +
      "Set `lib` to a hardware HSM's PKCS#11 library (YubiHSM 2: yubihsm_pkcs11.so, Thales Luna: libCryptoki2_64.so, AWS CloudHSM: libcloudhsm_pkcs11.so, Entrust nShield: libcknfast.so, …), or run with a non-production environment for testing",
  );
}
