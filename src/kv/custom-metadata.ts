/**
 * KV v2 `custom_metadata`: user key/value strings on a secret's metadata. Parsing and limits
 * follow vault-plugin-secrets-kv (path_metadata.go), messages included; several problems are
 * reported together in go-multierror's format.
 */
import { LogicalError } from '../core/logical.js';
import { goQuote, isGoPrintable } from '../util/go-format.js';
import { weakDecodeString } from './kv-fields.js';
import { setOwn } from './merge-patch.js';

export const MAX_CUSTOM_METADATA_KEYS = 64;
export const MAX_CUSTOM_METADATA_KEY_LENGTH = 128;
export const MAX_CUSTOM_METADATA_VALUE_LENGTH = 512;
const PREFIX = 'custom_metadata validation failed';

/** go-multierror's Error(): "N error(s) occurred:\n\t* a\n\t* b\n\n". */
export function multiErrorMessage(errors: string[]): string {
  const plural = errors.length === 1 ? '' : 's';
  return `${errors.length} error${plural} occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/**
 * Turns the request's map into strings (mapstructure WeakDecode per value). With `dropNulls`
 * (PATCH), null values are left out: they mean "remove this key" to the merge patch.
 */
export function parseCustomMetadata(raw: Record<string, unknown>, dropNulls: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (dropNulls && value === null) continue;
    const decoded = weakDecodeString(value);
    if (!decoded.ok) throw new LogicalError(`${PREFIX}: ${decoded.error}`);
    setOwn(out, key, decoded.value);
  }
  return out;
}

/** Throws a LogicalError listing every violated limit (or just the key count, checked first). */
export function validateCustomMetadata(metadata: Record<string, string>): void {
  const keys = Object.keys(metadata);
  if (keys.length > MAX_CUSTOM_METADATA_KEYS) {
    throw new LogicalError(
      multiErrorMessage([`${PREFIX}: payload must contain at most ${MAX_CUSTOM_METADATA_KEYS} keys, provided ${keys.length}`]),
    );
  }
  const errors: string[] = [];
  for (const key of keys) {
    const value = metadata[key] ?? '';
    // Go's len() counts UTF-8 bytes.
    const keyLen = Buffer.byteLength(key, 'utf8');
    const valueLen = Buffer.byteLength(value, 'utf8');
    if (keyLen === 0 || keyLen > MAX_CUSTOM_METADATA_KEY_LENGTH) {
      errors.push(`${PREFIX}: length of key ${goQuote(key)} is ${keyLen} but must be 0 < len(key) <= ${MAX_CUSTOM_METADATA_KEY_LENGTH}`);
    }
    if (valueLen === 0 || valueLen > MAX_CUSTOM_METADATA_VALUE_LENGTH) {
      errors.push(
        `${PREFIX}: length of value for key ${goQuote(key)} is ${valueLen} but must be 0 < len(value) <= ${MAX_CUSTOM_METADATA_VALUE_LENGTH}`,
      );
    }
    if (!isGoPrintable(key)) errors.push(`${PREFIX}: key ${goQuote(key)} (${key}) contains unprintable characters`);
    if (!isGoPrintable(value)) errors.push(`${PREFIX}: value for key ${goQuote(key)} contains unprintable characters`);
  }
  if (errors.length > 0) throw new LogicalError(multiErrorMessage(errors));
}
