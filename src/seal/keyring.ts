/**
 * The barrier keyring and its JSON encoding, Vault's EncodedKeyring layout:
 *   {"MasterKey": b64, "Keys": [{"Term", "Version", "Value": b64, "InstallTime", "Encryptions"}],
 *    "RotationConfig": {"MaxOperations"}}
 * The active key is the one with the highest term. `Encryptions` is persisted as the count
 * *reserved* for that term (≥ the count actually used), so a restart never reuses nonce budget.
 */
import { KEY_SIZE } from './barrier-cipher.js';

export interface TermKey {
  term: number;
  value: Buffer;
  installTime: Date;
  /** Encryptions done under this key (after a restart: starts at the persisted reservation). */
  used: number;
  /** Encryptions durably reserved in storage; `used` never exceeds it. */
  reserved: number;
}

export interface Keyring {
  rootKey: Buffer;
  keys: Map<number, TermKey>;
  active: TermKey;
}

interface EncodedKey {
  Term: number;
  Version: number;
  Value: string;
  InstallTime: string;
  Encryptions: number;
}

interface EncodedKeyring {
  MasterKey: string;
  Keys: EncodedKey[];
  RotationConfig?: { MaxOperations?: number };
}

/** Serialises the keyring; `reserved` overrides the persisted count for some terms, `extra` adds a key. */
export function encodeKeyring(
  ring: { rootKey: Buffer; keys: Iterable<TermKey> },
  opts: { reserved?: Map<number, number>; extra?: TermKey; maxOperations: number },
): Buffer {
  const keys = [...ring.keys, ...(opts.extra ? [opts.extra] : [])].sort((a, b) => a.term - b.term);
  const encoded: EncodedKeyring = {
    MasterKey: ring.rootKey.toString('base64'),
    Keys: keys.map((k) => ({
      Term: k.term,
      Version: 1,
      Value: k.value.toString('base64'),
      InstallTime: k.installTime.toISOString(),
      Encryptions: opts.reserved?.get(k.term) ?? k.reserved,
    })),
    RotationConfig: { MaxOperations: opts.maxOperations },
  };
  return Buffer.from(JSON.stringify(encoded), 'utf8');
}

function isEncodedKey(k: unknown): k is EncodedKey {
  const o = k as EncodedKey;
  return (
    typeof o === 'object' && o !== null &&
    Number.isInteger(o.Term) && o.Term >= 0 && o.Term <= 0xffffffff &&
    typeof o.Value === 'string' && typeof o.InstallTime === 'string' &&
    Number.isSafeInteger(o.Encryptions ?? 0) && (o.Encryptions ?? 0) >= 0
  );
}

/** Parses a decrypted keyring; throws (without echoing contents) on anything malformed. */
export function decodeKeyring(raw: Buffer): Keyring {
  let parsed: EncodedKeyring;
  try {
    parsed = JSON.parse(raw.toString('utf8')) as EncodedKeyring;
  } catch {
    throw new Error('keyring is not valid JSON');
  }
  if (typeof parsed?.MasterKey !== 'string' || !Array.isArray(parsed.Keys) || parsed.Keys.length === 0) {
    throw new Error('keyring is malformed');
  }
  const keys = new Map<number, TermKey>();
  let active: TermKey | undefined;
  for (const k of parsed.Keys) {
    if (!isEncodedKey(k)) throw new Error('keyring holds a malformed key');
    const value = Buffer.from(k.Value, 'base64');
    if (value.length !== KEY_SIZE) throw new Error(`keyring key for term ${k.Term} has the wrong length`);
    if (keys.has(k.Term)) throw new Error(`keyring holds term ${k.Term} twice`);
    const count = k.Encryptions ?? 0;
    const key: TermKey = { term: k.Term, value, installTime: new Date(k.InstallTime), used: count, reserved: count };
    keys.set(k.Term, key);
    if (!active || key.term > active.term) active = key;
  }
  return { rootKey: Buffer.from(parsed.MasterKey, 'base64'), keys, active: active! };
}
