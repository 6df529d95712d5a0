/**
 * One conformance suite, two seals: every case runs against the Shamir seal and the PKCS#11
 * auto-unseal seal (real SoftHSM). "Operator shares" are unseal shares for Shamir and recovery
 * shares for pkcs11; the contract around them is the same.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../../src/storage/sqlite.js';
import { ShamirSeal } from '../../src/core/shamir-seal.js';
import { HsmSeal } from '../../src/core/hsm-seal.js';
import type { CoreSeal } from '../../src/core/seal-types.js';
import { Pkcs11Seal } from '../../src/seal/pkcs11/index.js';
import { createToken, removeSandbox, SOFTHSM_LIB } from '../seal/pkcs11/softhsm.js';

const token = createToken('conformance');

interface Subject {
  name: string;
  make(physical: SqliteBackend): CoreSeal;
  init(seal: CoreSeal): ReturnType<CoreSeal['initialize']>;
  shares(r: Awaited<ReturnType<CoreSeal['initialize']>>): Buffer[];
}

const subjects: Subject[] = [
  {
    name: 'shamir',
    make: (p) => new ShamirSeal(p),
    init: (s) => s.initialize({ secretShares: 5, secretThreshold: 3 }),
    shares: (r) => r.result.keys,
  },
  {
    name: 'pkcs11',
    make: (p) =>
      new HsmSeal(p, (gen) => Pkcs11Seal.open({ lib: SOFTHSM_LIB, tokenLabel: token.label, pin: token.pin, keyLabel: 'conformance-key', generateKey: gen }), 'conformance-key'),
    init: (s) => s.initialize({ secretShares: 0, secretThreshold: 0, recoveryShares: 5, recoveryThreshold: 3 }),
    shares: (r) => r.result.recoveryKeys,
  },
];

const opened: CoreSeal[] = [];
afterAll(() => {
  for (const s of opened) s.close?.();
  removeSandbox();
});

describe.each(subjects)('seal conformance: $name', (subject) => {
  const setup = async () => {
    const physical = SqliteBackend.open({ path: ':memory:' });
    const seal = subject.make(physical);
    opened.push(seal);
    const init = await subject.init(seal);
    return { physical, seal, init, shares: subject.shares(init) };
  };

  it('reports its share parameters after init', async () => {
    const { seal, shares } = await setup();
    expect(shares).toHaveLength(5);
    expect(await seal.config()).toMatchObject({ type: subject.name, secret_shares: 5, secret_threshold: 3 });
  });

  it('a quorum of shares yields the root key; any three of five work', async () => {
    const { seal, init, shares } = await setup();
    expect((await seal.rootKeyFromShares([shares[0]!, shares[2]!, shares[4]!])).equals(init.rootKey)).toBe(true);
    expect((await seal.rootKeyFromShares([shares[3]!, shares[1]!, shares[0]!])).equals(init.rootKey)).toBe(true);
  });

  it('refuses too few shares and a forged share', async () => {
    const { seal, shares } = await setup();
    await expect(seal.rootKeyFromShares([shares[0]!, shares[1]!])).rejects.toThrow();
    const forged = Buffer.from(shares[2]!);
    forged[3] = forged[3]! ^ 0x01;
    await expect(seal.rootKeyFromShares([shares[0]!, shares[1]!, forged])).rejects.toThrow();
  });

  it('rekey replaces the shares: new ones work, old ones no longer do', async () => {
    const { seal, init, shares } = await setup();
    const { kek, keys } = seal.prepareRekey(3, 2);
    await seal.commitRekey(init.rootKey, kek, 3, 2);
    expect(await seal.config()).toMatchObject({ secret_shares: 3, secret_threshold: 2 });
    expect((await seal.rootKeyFromShares([keys[0]!, keys[2]!])).equals(init.rootKey)).toBe(true);
    await expect(seal.rootKeyFromShares(shares.slice(0, 3))).rejects.toThrow();
  });

  it('unlock yields the share secret that migration hands to the other seal', async () => {
    const { seal, init, shares } = await setup();
    const u = await seal.unlockWithShares(shares.slice(0, 3));
    expect(u.rootKey.equals(init.rootKey)).toBe(true);
    expect(u.shareSecret).toHaveLength(32);
    expect({ shares: u.shares, threshold: u.threshold }).toEqual({ shares: 5, threshold: 3 });
  });

  it('refuses a second initialisation', async () => {
    const { seal } = await setup();
    await expect(subject.init(seal)).rejects.toThrow(/already initialized/);
  });
});
