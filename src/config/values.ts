/**
 * Parsers for individual config values, shared by the file reader and the environment
 * overrides. Each returns undefined for an unacceptable value; callers build the message.
 */
import { LOG_LEVELS, type ServerConfig } from './schema.js';

/** Go's strconv.ParseBool spellings, which Vault accepts for boolean settings. */
export function parseBoolString(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

const LOG_LEVEL_ALIASES: Record<string, ServerConfig['log_level']> = { warning: 'warn', err: 'error' };

export function parseLogLevel(s: string): ServerConfig['log_level'] | undefined {
  const v = s.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as ServerConfig['log_level'];
  return LOG_LEVEL_ALIASES[v];
}

export function parseLogFormat(s: string): ServerConfig['log_format'] | undefined {
  const v = s.trim().toLowerCase();
  if (v === '' || v === 'standard') return 'standard';
  if (v === 'json') return 'json';
  return undefined;
}

/** PKCS#11 mechanisms Vault's pkcs11 seal documents, by name. */
export const PKCS11_MECHANISMS: Record<string, number> = {
  CKM_RSA_PKCS: 0x0001,
  CKM_RSA_PKCS_OAEP: 0x0009,
  CKM_SHA256_HMAC: 0x0251,
  CKM_AES_CBC: 0x1082,
  CKM_AES_CBC_PAD: 0x1085,
  CKM_AES_GCM: 0x1087,
};

/** A CKM_* value from a number, "0x1085", "4229" or a name such as "CKM_AES_GCM". */
export function parseMechanism(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const s = v.trim();
  if (/^0x[0-9a-f]+$/i.test(s) || /^\d+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return PKCS11_MECHANISMS[s.toUpperCase()];
}

/** A CK_SLOT_ID (64-bit) from decimal or 0x-hex, as a canonical decimal string. */
export function canonicalSlot(v: string | number): string | undefined {
  const s = typeof v === 'number' ? (Number.isSafeInteger(v) && v >= 0 ? String(v) : '') : v.trim();
  if (!/^\d+$/.test(s) && !/^0x[0-9a-f]+$/i.test(s)) return undefined;
  const n = BigInt(s);
  return n < 1n << 64n ? n.toString() : undefined;
}

/** A CKA_ID in hex ("0x" prefix optional), as lowercase hex digits without the prefix. */
export function canonicalHexId(s: string): string | undefined {
  const v = s.trim().replace(/^0x/i, '');
  return /^[0-9a-f]+$/i.test(v) && v.length % 2 === 0 ? v.toLowerCase() : undefined;
}

/** Vault's api_addr/cluster_addr must be URLs with an http(s) scheme. */
export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** host:port with a non-empty host (IPv6 in brackets) and a port in 0–65535. */
export function isHostPort(s: string): boolean {
  const m = /^(?:\[[0-9a-fA-F:.%\w]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(s);
  return m !== null && Number(m[1]) <= 65535;
}

/** `{ key: value }` when value is defined, else `{}`: for optional fields under exactOptionalPropertyTypes-style spreads. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
