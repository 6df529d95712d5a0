/**
 * Request body decoding with Vault's limits: JSON (or form-encoded) objects only, bounded depth,
 * string length and collection size, so a hostile body costs little and fails with a clear 400.
 */
import { LogicalError } from '../core/logical.js';

export const MAX_JSON_DEPTH = 500;
export const MAX_STRING_LENGTH = 1024 * 1024;
export const MAX_COLLECTION_ITEMS = 10_000;

/** Walks a parsed JSON value iteratively and enforces the limits. */
export function assertJsonLimits(value: unknown): void {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > MAX_STRING_LENGTH) throw new LogicalError(`failed to parse JSON input: string exceeds maximum length of ${MAX_STRING_LENGTH}`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw new LogicalError(`failed to parse JSON input: JSON input exceeds maximum nesting depth of ${MAX_JSON_DEPTH}`);
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    if (children.length > MAX_COLLECTION_ITEMS) {
      throw new LogicalError(`failed to parse JSON input: JSON ${Array.isArray(v) ? 'array' : 'object'} exceeds maximum of ${MAX_COLLECTION_ITEMS} items`);
    }
    if (!Array.isArray(v)) {
      for (const k of Object.keys(v as Record<string, unknown>)) {
        if (k.length > MAX_STRING_LENGTH) throw new LogicalError('failed to parse JSON input: key exceeds maximum length');
      }
    }
    for (const c of children) stack.push({ v: c, depth: depth + 1 });
  }
}

/**
 * Decodes a request body into request data. An empty body is no data. Form bodies are decoded
 * only when declared as such and not JSON-looking, as Vault does.
 */
export function decodeBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = raw.toString('utf8');
  const trimmed = text.trim();
  if (trimmed === '') return {};
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/x-www-form-urlencoded' && trimmed[0] !== '{' && trimmed[0] !== '[') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof RangeError ? 'JSON input exceeds maximum nesting depth' : (e as Error).message;
    throw new LogicalError(`failed to parse JSON input: ${msg}`);
  }
  assertJsonLimits(parsed);
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LogicalError('failed to parse JSON input: request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
