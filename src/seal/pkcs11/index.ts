/** PKCS#11 seal primitives: the HSM-facing half of `seal "pkcs11"`. */
export { Pkcs11Seal, type Pkcs11KeyInfo, type Pkcs11TokenInfo } from './seal.js';
export { Pkcs11SealError, type Pkcs11SealErrorCode } from './errors.js';
export { assertSealAllowed, isProduction, softHsmEvidence, type LibraryFacts } from './guard.js';
export {
  CKM_AES_GCM, CKM_RSA_PKCS_OAEP, mechanismHex, mechanismName, parseMechanism, resolveConfig,
  type Pkcs11SealConfig, type ResolvedSealConfig, type SealMechanism,
} from './config.js';
export { isLibraryLoaded } from './library.js';
