/**
 * KV v2 `subkeys`: the shape of a secret with every value replaced by null (path_subkeys.go
 * removeValues). Non-empty objects are walked; leaves, empty objects and anything at the depth
 * limit become null. `maxDepth` 0 means unlimited; depth 1 is the top level.
 */
import { isJsonObject, setOwn, type JsonObject } from './merge-patch.js';

export function subkeysOf(data: JsonObject, maxDepth: number, depth = 1): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const next = depth + 1;
    const walk = isJsonObject(value) && Object.keys(value).length > 0 && (maxDepth === 0 || next <= maxDepth);
    setOwn(out, key, walk ? subkeysOf(value as JsonObject, maxDepth, next) : null);
  }
  return out;
}
