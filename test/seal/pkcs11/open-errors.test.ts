import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Pkcs11Seal, Pkcs11SealError, isLibraryLoaded, type Pkcs11SealConfig } from '../../../src/seal/pkcs11/index.js';
import { inspectKeys } from './inspect.js';
import { SOFTHSM_LIB, closeAllSeals, createToken, openSeal, sandboxDir, sealConfig, removeSandbox } from './softhsm.js';

afterEach(closeAllSeals);
afterAll(removeSandbox);

function openError(config: Pkcs11SealConfig): Pkcs11SealError {
  let caught: unknown;
  try {
    openSeal(config);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(Pkcs11SealError);
  return caught as Pkcs11SealError;
}

describe('Pkcs11Seal.open failures name the cause', () => {
  it('wrong PIN → pin error, and the library is released again', () => {
    const token = createToken('err');
    const err = openError(sealConfig(token, { pin: 'not-the-pin' }));
    expect(err.code).toBe('pin');
    expect(err.message).toContain(`token "${token.label}"`);
    expect(err.message).toMatch(/CKR_PIN_INCORRECT.*check `pin`/);
    expect(isLibraryLoaded(SOFTHSM_LIB)).toBe(false);
  });

  it('wrong PIN is refused even while another seal holds the login on that token', () => {
    const token = createToken('err');
    openSeal(sealConfig(token));
    const err = openError(sealConfig(token, { pin: 'wrong', generateKey: false }));
    expect(err.code).toBe('pin');
  });

  it('missing key with generate_key off → key-missing naming the label, and nothing is created', () => {
    const token = createToken('err');
    const err = openError(sealConfig(token, { keyLabel: 'vault-hsm-key', generateKey: false }));
    expect(err.code).toBe('key-missing');
    expect(err.message).toContain('no key labelled "vault-hsm-key"');
    expect(err.message).toContain('generate_key');
    expect(inspectKeys(token, 'vault-hsm-key')).toEqual([]);
  });

  it('never generates a second key when the label exists with another CKA_ID', () => {
    const token = createToken('err');
    openSeal(sealConfig(token, { keyId: '0x01' }));
    closeAllSeals();
    const err = openError(sealConfig(token, { keyId: '0x02' }));
    expect(err.code).toBe('key-missing');
    expect(err.message).toMatch(/none has CKA_ID 02 .*check `key_id`/);
    expect(inspectKeys(token, 'seal-key').map((o) => o.id)).toEqual(['01']);
  });

  it('a label holding the wrong kind of key → mechanism error, no new key', () => {
    const token = createToken('err');
    openSeal(sealConfig(token, { keyLabel: 'rsa-pair', mechanism: '0x0009' }));
    closeAllSeals();
    const err = openError(sealConfig(token, { keyLabel: 'rsa-pair', mechanism: '0x1087' }));
    expect(err.code).toBe('mechanism');
    expect(err.message).toMatch(/not the AES secret key CKM_AES_GCM needs/);
    expect(inspectKeys(token, 'rsa-pair')).toHaveLength(2);
  });

  it('missing library file → library error naming the path', () => {
    const err = openError({ lib: '/opt/nowhere/libvendor-pkcs11.so', tokenLabel: 'x', pin: '1', keyLabel: 'k' });
    expect(err.code).toBe('library');
    expect(err.message).toContain('not found at "/opt/nowhere/libvendor-pkcs11.so"');
    expect(err.message).toContain('VAULT_HSM_LIB');
  });

  it('a file that is not a PKCS#11 module → library error', () => {
    const bogus = join(sandboxDir(), 'libnot-a-module.so');
    writeFileSync(bogus, 'this is not an ELF object');
    const err = openError({ lib: bogus, tokenLabel: 'x', pin: '1', keyLabel: 'k' });
    expect(err.code).toBe('library');
    expect(err.message).toContain('cannot load PKCS#11 library');
  });

  it('unknown slot ID / token label → slot error listing what exists', () => {
    const token = createToken('err');
    const bySlot = openError({ ...sealConfig(token), tokenLabel: undefined, slot: '424242' });
    expect(bySlot.code).toBe('slot');
    expect(bySlot.message).toContain('no token in slot 424242');
    expect(bySlot.message).toContain(`${token.slot} ("${token.label}")`);

    const byLabel = openError(sealConfig(token, { tokenLabel: 'no-such-token' }));
    expect(byLabel.code).toBe('slot');
    expect(byLabel.message).toContain('no token labelled "no-such-token"');
    expect(byLabel.message).toContain(`"${token.label}"`);

    const disagree = openError(sealConfig(token, { slot: token.slot, tokenLabel: 'other' }));
    expect(disagree.code).toBe('slot');
    expect(disagree.message).toMatch(/`slot` and `token_label` disagree/);
  });

  it('config mistakes are caught before the library is touched', () => {
    const token = createToken('err');
    const cases: [Partial<Pkcs11SealConfig>, Pkcs11SealError['code'], RegExp][] = [
      [{ mechanism: '0x1085' }, 'mechanism', /CKM_AES_CBC_PAD.*not supported/],
      [{ mechanism: 'CKM_SHA256' }, 'mechanism', /unknown mechanism/],
      [{ tokenLabel: undefined, slot: undefined }, 'config', /set `slot`.*or `token_label`/],
      [{ slot: 'two' }, 'config', /not a slot number/],
      [{ keyId: 'xyz' }, 'config', /key_id "xyz"/],
      [{ pin: '' }, 'config', /`pin` is required/],
    ];
    for (const [overrides, code, message] of cases) {
      const err = openError(sealConfig(token, overrides));
      expect(err.code, JSON.stringify(overrides)).toBe(code);
      expect(err.message).toMatch(message);
    }
    expect(isLibraryLoaded(SOFTHSM_LIB)).toBe(false);
  });

  it('a closed seal refuses work', async () => {
    const token = createToken('err');
    const seal = Pkcs11Seal.open(sealConfig(token));
    seal.close();
    seal.close(); // idempotent
    await expect(seal.encrypt(Buffer.from('x'))).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/closed/) });
    expect(isLibraryLoaded(SOFTHSM_LIB)).toBe(false);
  });
});
