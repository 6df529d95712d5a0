import { copyFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Pkcs11SealError, assertSealAllowed, isLibraryLoaded, softHsmEvidence, type Pkcs11SealConfig } from '../../../src/seal/pkcs11/index.js';
import { SOFTHSM_LIB, closeAllSeals, createToken, openSeal, sandboxDir, sealConfig, removeSandbox } from './softhsm.js';

afterEach(closeAllSeals);
afterAll(removeSandbox);

function guardError(config: Pkcs11SealConfig, environment: string | undefined): Pkcs11SealError {
  let caught: unknown;
  try {
    assertSealAllowed(config, environment);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(Pkcs11SealError);
  return caught as Pkcs11SealError;
}

describe('assertSealAllowed: SoftHSM is refused in production only', () => {
  it('production + SoftHSM by file name → config error saying why and what to use', () => {
    const token = createToken('guard');
    const err = guardError(sealConfig(token), 'production');
    expect(err.code).toBe('config');
    expect(err.message).toMatch(/SoftHSM is not allowed in production \(the library file "libsofthsm2.so" is SoftHSM\)/);
    expect(err.message).toMatch(/stores its keys in ordinary files/);
    expect(err.message).toMatch(/YubiHSM 2.*Thales Luna.*AWS CloudHSM/);
    // Refused on the name alone: the library was not even loaded.
    expect(isLibraryLoaded(SOFTHSM_LIB)).toBe(false);
  });

  it('a neutral-named symlink to SoftHSM is caught by its real path', () => {
    const token = createToken('guard');
    const link = join(sandboxDir(), 'libacme-link-pkcs11.so');
    symlinkSync(SOFTHSM_LIB, link);
    const err = guardError(sealConfig(token, { lib: link }), 'production');
    expect(err.message).toMatch(/resolves to SoftHSM's/);
  });

  it('a renamed copy of SoftHSM is caught by what the library itself reports (C_GetInfo)', () => {
    const token = createToken('guard');
    const copy = join(sandboxDir(), 'libacme-pkcs11.so');
    copyFileSync(SOFTHSM_LIB, copy);
    const err = guardError(sealConfig(token, { lib: copy }), 'production');
    expect(err.code).toBe('config');
    expect(err.message).toMatch(/the library manufacturer reported by ".*libacme-pkcs11.so" is "SoftHSM"/);
    expect(isLibraryLoaded(copy)).toBe(false);
  });

  it('"Production" is matched without regard to case or surrounding blanks', () => {
    const token = createToken('guard');
    expect(guardError(sealConfig(token), ' PRODUCTION ').code).toBe('config');
  });

  it('any other environment allows SoftHSM, and the seal then opens', async () => {
    const token = createToken('guard');
    for (const env of [undefined, '', 'development', 'test', 'staging']) {
      expect(() => assertSealAllowed(sealConfig(token), env)).not.toThrow();
    }
    const seal = openSeal(sealConfig(token));
    expect((await seal.decrypt(await seal.encrypt(Buffer.from('dev')))).toString()).toBe('dev');
  });

  it('production with a library that cannot be checked → library error, not a silent pass', () => {
    const err = guardError({ lib: '/opt/vendor/libhsm-pkcs11.so', tokenLabel: 't', pin: 'p', keyLabel: 'k' }, 'production');
    expect(err.code).toBe('library');
  });
});

describe('softHsmEvidence (the decision, from facts)', () => {
  it('allows a real HSM library', () => {
    expect(
      softHsmEvidence({
        path: '/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so',
        realPath: '/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so',
        libraryManufacturer: 'Yubico (www.yubico.com)',
        libraryDescription: 'YubiHSM PKCS#11 Library',
        tokenManufacturer: 'Yubico (www.yubico.com)',
        tokenModel: 'YubiHSM',
      }),
    ).toBeNull();
    expect(softHsmEvidence({ path: '/opt/safenet/lunaclient/lib/libCryptoki2_64.so', libraryManufacturer: 'SafeNet' })).toBeNull();
  });

  it('flags a proxy (p11-kit) whose token is SoftHSM', () => {
    expect(
      softHsmEvidence({ path: '/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so', libraryManufacturer: 'PKCS#11 Kit', tokenManufacturer: 'SoftHSM project', tokenModel: 'SoftHSM v2' }),
    ).toMatch(/token manufacturer .* "SoftHSM project"/);
  });
});
