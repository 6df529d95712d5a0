/**
 * Lock-free lookup of one version for reads (data and subkeys). Writers commit metadata and
 * version-record changes in one transaction, so a record that is missing for a version the
 * metadata still lists means the metadata changed after we read it: read it again. The records
 * returned are shared and frozen (see VersionedKvStore.readMetadataShared).
 */
import { isDeleted, versionOf, type KeyMetadata, type VersionMetadata, type VersionRecord } from './records.js';
import type { VersionedKvStore } from './store.js';

export type VersionLookup =
  | { kind: 'absent' }
  | { kind: 'gone'; meta: KeyMetadata; version: number; vm: VersionMetadata }
  | { kind: 'live'; meta: KeyMetadata; version: number; vm: VersionMetadata; record: VersionRecord };

const ATTEMPTS = 3;

/** `requested` ≤ 0 means the current version. */
export async function lookupVersion(store: VersionedKvStore, key: string, requested: number, nowMs: number): Promise<VersionLookup> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const meta = await store.readMetadataShared(key);
    if (!meta) return { kind: 'absent' };
    const version = requested > 0 ? requested : meta.current_version;
    const vm = versionOf(meta, version);
    if (!vm) return { kind: 'absent' };
    if (vm.destroyed || isDeleted(vm, nowMs)) return { kind: 'gone', meta, version, vm };
    const record = await store.readVersionShared(key, version);
    if (record) return { kind: 'live', meta, version, vm, record };
  }
  throw new Error(`kv: could not find version data for "${key}" (requested version ${requested})`);
}
