/**
 * Finding and creating the seal key on the token.
 *
 * CKM_AES_GCM uses one AES secret key; CKM_RSA_PKCS_OAEP uses an RSA key pair whose halves share
 * the label (public half encrypts, private half decrypts). Generated keys are token objects,
 * private, sensitive and non-extractable, like Vault's generated seal key.
 */
import { randomBytes } from 'node:crypto';
import { CKM_AES_GCM, mechanismName, type SealMechanism } from './config.js';
import { Pkcs11SealError, describeNativeError } from './errors.js';
import { pkcs11js, type Pkcs11Module } from './library.js';
import { ulongOf } from './slots.js';

export interface SealKey {
  mechanism: SealMechanism;
  label: string;
  id: Buffer;
  /** AES key, or the RSA public key; undefined when only the decrypting half was looked up. */
  encryptHandle: Buffer | undefined;
  /** AES key, or the RSA private key. */
  decryptHandle: Buffer;
}

export const AES_KEY_BYTES = 32;
export const RSA_MODULUS_BITS = 2048;
const GENERATED_ID_BYTES = 16;

interface ObjectFacts {
  handle: Buffer;
  cls: number;
  keyType: number | undefined;
  id: Buffer;
}

const CLASS_NAMES: ReadonlyMap<number, string> = new Map([
  [pkcs11js.CKO_DATA, 'data object'],
  [pkcs11js.CKO_CERTIFICATE, 'certificate'],
  [pkcs11js.CKO_PUBLIC_KEY, 'public key'],
  [pkcs11js.CKO_PRIVATE_KEY, 'private key'],
  [pkcs11js.CKO_SECRET_KEY, 'secret key'],
]);
const KEY_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [pkcs11js.CKK_RSA, 'RSA'],
  [pkcs11js.CKK_EC, 'EC'],
  [pkcs11js.CKK_AES, 'AES'],
  [pkcs11js.CKK_GENERIC_SECRET, 'generic'],
  [pkcs11js.CKK_DES3, 'DES3'],
]);

function describeObject(o: ObjectFacts): string {
  const cls = CLASS_NAMES.get(o.cls) ?? `class 0x${o.cls.toString(16)}`;
  const type = o.keyType === undefined ? '' : `${KEY_TYPE_NAMES.get(o.keyType) ?? `type 0x${o.keyType.toString(16)}`} `;
  return `${type}${cls}${o.id.length ? ` id ${o.id.toString('hex')}` : ''}`;
}

function findHandles(p11: Pkcs11Module, session: Buffer, template: { type: number; value: string | Buffer | number }[]): Buffer[] {
  p11.C_FindObjectsInit(session, template);
  try {
    const found: Buffer[] = [];
    for (;;) {
      const batch = p11.C_FindObjects(session, 16);
      if (batch.length === 0) return found;
      found.push(...batch);
    }
  } finally {
    p11.C_FindObjectsFinal(session);
  }
}

function attribute(p11: Pkcs11Module, session: Buffer, handle: Buffer, type: number): Buffer | undefined {
  try {
    return p11.C_GetAttributeValue(session, handle, [{ type }])[0]?.value;
  } catch {
    return undefined; // CKR_ATTRIBUTE_TYPE_INVALID for objects that do not carry it
  }
}

function factsOf(p11: Pkcs11Module, session: Buffer, handle: Buffer): ObjectFacts {
  const cls = attribute(p11, session, handle, pkcs11js.CKA_CLASS);
  const keyType = attribute(p11, session, handle, pkcs11js.CKA_KEY_TYPE);
  return {
    handle,
    cls: cls ? Number(ulongOf(cls)) : -1,
    keyType: keyType ? Number(ulongOf(keyType)) : undefined,
    id: attribute(p11, session, handle, pkcs11js.CKA_ID) ?? Buffer.alloc(0),
  };
}

/**
 * The seal key labelled `label` (and carrying CKA_ID `id`, when given), or null when no object on
 * the token has that label. Throws when objects with the label exist but do not make a usable key,
 * so a caller never generates a second key next to them. `where` names the token for messages.
 */
export function findSealKey(
  p11: Pkcs11Module,
  session: Buffer,
  want: { mechanism: SealMechanism; label: string; id: Buffer | undefined; need: 'encrypt+decrypt' | 'decrypt' },
  where: string,
): SealKey | null {
  const labelled = findHandles(p11, session, [{ type: pkcs11js.CKA_LABEL, value: Buffer.from(want.label, 'utf8') }]).map((h) => factsOf(p11, session, h));
  if (labelled.length === 0) return null;
  const mech = mechanismName(want.mechanism);
  const seen = labelled.map(describeObject).join('; ');
  const candidates = want.id ? labelled.filter((o) => o.id.equals(want.id!)) : labelled;
  if (candidates.length === 0) {
    throw new Pkcs11SealError('key-missing', `pkcs11 seal: objects labelled "${want.label}" exist on ${where} but none has CKA_ID ${want.id!.toString('hex')} (found: ${seen}): check \`key_id\``);
  }
  const ambiguous = (n: number, what: string): Pkcs11SealError =>
    new Pkcs11SealError('config', `pkcs11 seal: ${n} ${what} are labelled "${want.label}" on ${where} (found: ${seen}): set \`key_id\` to the CKA_ID of the one to use`);

  if (want.mechanism === CKM_AES_GCM) {
    const aes = candidates.filter((o) => o.cls === pkcs11js.CKO_SECRET_KEY && o.keyType === pkcs11js.CKK_AES);
    if (aes.length === 0) {
      throw new Pkcs11SealError('mechanism', `pkcs11 seal: "${want.label}" on ${where} is ${seen}, not the AES secret key ${mech} needs: point \`key_label\` at an AES key or set \`mechanism\` to match the key`);
    }
    if (aes.length > 1) throw ambiguous(aes.length, 'AES keys');
    const key = aes[0]!;
    return { mechanism: want.mechanism, label: want.label, id: key.id, encryptHandle: key.handle, decryptHandle: key.handle };
  }

  const priv = candidates.filter((o) => o.cls === pkcs11js.CKO_PRIVATE_KEY && o.keyType === pkcs11js.CKK_RSA);
  const pub = candidates.filter((o) => o.cls === pkcs11js.CKO_PUBLIC_KEY && o.keyType === pkcs11js.CKK_RSA);
  if (priv.length === 0 && pub.length === 0) {
    throw new Pkcs11SealError('mechanism', `pkcs11 seal: "${want.label}" on ${where} is ${seen}, not the RSA key pair ${mech} needs: point \`key_label\` at an RSA key pair or set \`mechanism\` to match the key`);
  }
  if (priv.length > 1) throw ambiguous(priv.length, 'RSA private keys');
  if (pub.length > 1) throw ambiguous(pub.length, 'RSA public keys');
  const privateKey = priv[0];
  if (!privateKey) {
    throw new Pkcs11SealError('key-missing', `pkcs11 seal: only the public half of RSA key pair "${want.label}" is on ${where}: the private key with the same label is needed to unseal`);
  }
  const publicKey = pub[0];
  if (!publicKey && want.need === 'encrypt+decrypt') {
    throw new Pkcs11SealError('key-missing', `pkcs11 seal: only the private half of RSA key pair "${want.label}" is on ${where}: ${mech} sealing needs the public key with the same label (import it from the key pair)`);
  }
  return { mechanism: want.mechanism, label: want.label, id: privateKey.id, encryptHandle: publicKey?.handle, decryptHandle: privateKey.handle };
}

/** Creates the seal key inside the token. Only call after findSealKey returned null. */
export function generateSealKey(p11: Pkcs11Module, session: Buffer, want: { mechanism: SealMechanism; label: string; id: Buffer | undefined }, where: string): SealKey {
  const id = want.id ?? randomBytes(GENERATED_ID_BYTES);
  const label = Buffer.from(want.label, 'utf8');
  const stored = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: id },
  ];
  // Private, sensitive, non-extractable: the key never leaves the token in any form.
  const secret = [
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
  ];
  try {
    if (want.mechanism === CKM_AES_GCM) {
      const handle = p11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE_LEN, value: AES_KEY_BYTES },
        ...stored,
        ...secret,
        { type: pkcs11js.CKA_ENCRYPT, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: true },
        { type: pkcs11js.CKA_WRAP, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
      ]);
      return { mechanism: want.mechanism, label: want.label, id, encryptHandle: handle, decryptHandle: handle };
    }
    const pair = p11.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
        { type: pkcs11js.CKA_MODULUS_BITS, value: RSA_MODULUS_BITS },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([0x01, 0x00, 0x01]) },
        ...stored,
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
        { type: pkcs11js.CKA_VERIFY, value: false },
        { type: pkcs11js.CKA_WRAP, value: false },
      ],
      [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
        ...stored,
        ...secret,
        { type: pkcs11js.CKA_DECRYPT, value: true },
        { type: pkcs11js.CKA_SIGN, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
      ],
    );
    return { mechanism: want.mechanism, label: want.label, id, encryptHandle: pair.publicKey, decryptHandle: pair.privateKey };
  } catch (err) {
    throw new Pkcs11SealError('key-missing', `pkcs11 seal: key "${want.label}" is not on ${where} and generating it (${mechanismName(want.mechanism)}) failed: ${describeNativeError(err)}. Check the token has free object storage and allows key generation, or create the key with the HSM's tools`, { cause: err });
  }
}
