/**
 * In-place upgrade of a KV v1 mount's data to KV v2 (upgrade.go), run when a mount is served as
 * v2 (enabled as v2, or tuned from version 1 to 2). Each v1 entry at the view's root becomes
 * version 1 of the same secret and the original is removed, atomically per key; a marker makes
 * the upgrade run once. Entries that are not JSON objects cannot be KV data and are left alone.
 */
import type { StorageView } from '../../core/storage-view.js';
import { formatRfc3339Nano } from '../../util/go-format.js';
import { cleanKeyPath } from '../key-path.js';
import { isJsonObject } from '../merge-patch.js';
import { addVersion, newKeyMetadata } from './records.js';
import { putMetadataOp, putVersionOp, UPGRADE_MARKER_KEY, V2_ROOT, VersionedKvStore } from './store.js';

export interface UpgradeResult {
  upgraded: number;
  skipped: string[];
}

async function v1Keys(view: StorageView): Promise<string[]> {
  const keys: string[] = [];
  for (const child of await view.list('')) {
    if (child === V2_ROOT) continue;
    if (child.endsWith('/')) for await (const k of view.walk(child)) keys.push(k);
    else keys.push(child);
  }
  return keys;
}

export async function upgradeV1Data(view: StorageView, nowMs: () => number): Promise<UpgradeResult | undefined> {
  if ((await view.get(UPGRADE_MARKER_KEY)) !== undefined) return undefined;
  const store = new VersionedKvStore(view);
  const result: UpgradeResult = { upgraded: 0, skipped: [] };
  for (const rawKey of await v1Keys(view)) {
    const key = cleanKeyPath(rawKey);
    const raw = await view.get(rawKey);
    let data: unknown;
    try {
      data = raw === undefined ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      data = undefined;
    }
    if (key === '' || !isJsonObject(data) || (await store.readMetadata(key)) !== undefined) {
      result.skipped.push(rawKey);
      continue;
    }
    const created = formatRfc3339Nano(nowMs());
    const meta = newKeyMetadata(key);
    // Vault upgrades with a window of one version, so oldest_version starts at 1.
    const { version } = addVersion(meta, { created_time: created, deletion_time: '', destroyed: false }, 1);
    await store.commit([
      putVersionOp(key, version, { data, created_time: created }),
      putMetadataOp(meta),
      { op: 'delete', key: rawKey },
    ]);
    result.upgraded += 1;
  }
  await view.putJson(UPGRADE_MARKER_KEY, { done: true, finished_time: formatRfc3339Nano(nowMs()) });
  return result;
}
