/**
 * The `seal "pkcs11"` stanza and its validation. Pure: nothing here touches the library.
 *
 * Field meanings follow Vault's / OpenBao's pkcs11 seal: `slot` is the token's slot ID (decimal,
 * or hex with 0x), `token_label` picks the slot by its token's label instead; `key_id` is the key's
 * CKA_ID in hex; `mechanism` is a CKM_* number in hex or decimal (or its name). Only AES-GCM and
 * RSA-OAEP seal: the CBC mechanisms (which need `hmac_key_label`) and PKCS#1 v1.5 are refused,
 * as OpenBao does, so `hmacKeyLabel` is accepted for config compatibility and otherwise unused.
 */
import { Pkcs11SealError } from './errors.js';

export interface Pkcs11SealConfig {
  /** Path of the HSM vendor's PKCS#11 shared library. */
  lib: string;
  /** Slot ID, decimal or 0x-hex. One of `slot` / `tokenLabel` is required. */
  slot?: string;
  tokenLabel?: string;
  /** User PIN. */
  pin: string;
  /** CKA_LABEL of the seal key (of both halves of the RSA key pair for OAEP). */
  keyLabel: string;
  /** Only meaningful for the CBC mechanisms, which this seal refuses. */
  hmacKeyLabel?: string;
  /** "0x1087" CKM_AES_GCM (default) or "0x0009" CKM_RSA_PKCS_OAEP. */
  mechanism?: string;
  /** Create the key inside the token when no object carries `keyLabel`. Default false. */
  generateKey?: boolean;
  /** CKA_ID of the key, hex (0x optional). */
  keyId?: string;
}

export const CKM_AES_GCM = 0x1087;
export const CKM_RSA_PKCS_OAEP = 0x0009;
export type SealMechanism = typeof CKM_AES_GCM | typeof CKM_RSA_PKCS_OAEP;

export interface ResolvedSealConfig {
  lib: string;
  slot: bigint | undefined;
  tokenLabel: string | undefined;
  pin: string;
  keyLabel: string;
  keyId: Buffer | undefined;
  mechanism: SealMechanism;
  generateKey: boolean;
}

/** Lengths the blob header can carry (one length byte each). */
export const MAX_LABEL_BYTES = 255;
export const MAX_KEY_ID_BYTES = 255;
/** CK_TOKEN_INFO.label is a fixed 32-byte field. */
const MAX_TOKEN_LABEL_BYTES = 32;

const SUPPORTED = 'use "0x1087" (CKM_AES_GCM) or "0x0009" (CKM_RSA_PKCS_OAEP)';

const MECHANISM_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0000, 'CKM_RSA_PKCS_KEY_PAIR_GEN'],
  [0x0001, 'CKM_RSA_PKCS'],
  [0x0009, 'CKM_RSA_PKCS_OAEP'],
  [0x1080, 'CKM_AES_KEY_GEN'],
  [0x1082, 'CKM_AES_CBC'],
  [0x1085, 'CKM_AES_CBC_PAD'],
  [0x1087, 'CKM_AES_GCM'],
]);

export function mechanismName(mechanism: number): string {
  return MECHANISM_NAMES.get(mechanism) ?? `CKM_0x${mechanism.toString(16).padStart(4, '0')}`;
}

/** The config spelling of a mechanism: "0x1087". */
export function mechanismHex(mechanism: number): string {
  return `0x${mechanism.toString(16).padStart(4, '0')}`;
}

/** "0x1087" / "4231" / "CKM_AES_GCM" / "AES_GCM" → 0x1087; likewise for OAEP. */
export function parseMechanism(value: string): SealMechanism {
  const text = value.trim();
  let code: number | undefined;
  if (/^0x[0-9a-f]+$/i.test(text)) code = Number.parseInt(text.slice(2), 16);
  else if (/^[0-9]+$/.test(text)) code = Number.parseInt(text, 10);
  else {
    const name = text.toUpperCase().replace(/^CKM_/, '');
    for (const [num, known] of MECHANISM_NAMES) if (known === `CKM_${name}`) code = num;
  }
  if (code === CKM_AES_GCM || code === CKM_RSA_PKCS_OAEP) return code;
  if (code !== undefined && MECHANISM_NAMES.has(code)) {
    const why = code === 0x1082 || code === 0x1085 ? ' (CBC needs a separate HMAC key and is deprecated for seals)' : '';
    throw new Pkcs11SealError('mechanism', `pkcs11 seal: mechanism "${value}" (${mechanismName(code)}) is not supported${why}: ${SUPPORTED}`);
  }
  throw new Pkcs11SealError('mechanism', `pkcs11 seal: unknown mechanism "${value}": ${SUPPORTED}`);
}

/** Slot IDs are CK_ULONGs: decimal, or hex with 0x. */
export function parseSlot(value: string): bigint {
  const text = value.trim();
  if (/^0x[0-9a-f]{1,16}$/i.test(text) || /^[0-9]{1,20}$/.test(text)) {
    const slot = BigInt(text);
    if (slot <= 0xffff_ffff_ffff_ffffn) return slot;
  }
  throw new Pkcs11SealError('config', `pkcs11 seal: slot "${value}" is not a slot number: give the decimal (or 0x-hex) slot ID the HSM tool lists, or use token_label instead`);
}

/** CKA_ID in hex, "0x" optional. */
export function parseKeyId(value: string): Buffer {
  const hex = value.trim().replace(/^0x/i, '');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(hex) || hex.length / 2 > MAX_KEY_ID_BYTES) {
    throw new Pkcs11SealError('config', `pkcs11 seal: key_id "${value}" must be an even number of hex digits (the key's CKA_ID, at most ${MAX_KEY_ID_BYTES} bytes), e.g. "0x1a2b"`);
  }
  return Buffer.from(hex, 'hex');
}

function required(value: string | undefined, field: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Pkcs11SealError('config', `pkcs11 seal: \`${field}\` is required: ${what}`);
  return value;
}

export function resolveConfig(config: Pkcs11SealConfig): ResolvedSealConfig {
  const lib = required(config.lib, 'lib', "the path of the HSM vendor's PKCS#11 library (.so)");
  const pin = required(config.pin, 'pin', "the token's user PIN");
  const keyLabel = required(config.keyLabel, 'key_label', 'the CKA_LABEL of the seal key on the token');
  if (Buffer.byteLength(keyLabel, 'utf8') > MAX_LABEL_BYTES) {
    throw new Pkcs11SealError('config', `pkcs11 seal: key_label is longer than ${MAX_LABEL_BYTES} bytes`);
  }
  const slot = config.slot === undefined || config.slot === '' ? undefined : parseSlot(config.slot);
  const tokenLabel = config.tokenLabel === undefined || config.tokenLabel === '' ? undefined : config.tokenLabel;
  if (slot === undefined && tokenLabel === undefined) {
    throw new Pkcs11SealError('config', 'pkcs11 seal: set `slot` (the slot ID) or `token_label` (the token\'s label) to choose the token');
  }
  if (tokenLabel !== undefined && Buffer.byteLength(tokenLabel, 'utf8') > MAX_TOKEN_LABEL_BYTES) {
    throw new Pkcs11SealError('config', `pkcs11 seal: token_label "${tokenLabel}" is longer than the ${MAX_TOKEN_LABEL_BYTES} bytes a PKCS#11 token label can hold`);
  }
  if (config.generateKey !== undefined && typeof config.generateKey !== 'boolean') {
    throw new Pkcs11SealError('config', 'pkcs11 seal: generate_key must be a boolean');
  }
  return {
    lib,
    slot,
    tokenLabel,
    pin,
    keyLabel,
    keyId: config.keyId === undefined || config.keyId === '' ? undefined : parseKeyId(config.keyId),
    mechanism: parseMechanism(config.mechanism ?? mechanismHex(CKM_AES_GCM)),
    generateKey: config.generateKey ?? false,
  };
}
