/**
 * Where KV v2 keeps its records inside the mount's view. Everything lives under `_kvv2/` so that
 * a KV v1 mount's data (stored at the view's root under raw paths) can be upgraded in place:
 *
 *   _kvv2/config                      mount-wide settings
 *   _kvv2/metadata/<secret path>      KeyMetadata, one per secret (listing walks this tree)
 *   _kvv2/versions/<sha256(path)>/<n> VersionRecord, one per version
 *   _kvv2/upgraded                    marker: the v1→v2 upgrade has run
 */
import type { StorageView } from '../../core/storage-view.js';
import type { TxnOp } from '../../storage/physical.js';
import { sha256Hex } from '../../util/ids.js';
import { emptyConfig, type KeyMetadata, type KvConfig, type VersionRecord } from './records.js';

export const V2_ROOT = '_kvv2/';
const CONFIG_KEY = `${V2_ROOT}config`;
const METADATA_PREFIX = `${V2_ROOT}metadata/`;
const VERSIONS_PREFIX = `${V2_ROOT}versions/`;
export const UPGRADE_MARKER_KEY = `${V2_ROOT}upgraded`;

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

export class VersionedKvStore {
  constructor(private readonly view: StorageView) {}

  async readConfig(): Promise<KvConfig> {
    return { ...emptyConfig(), ...((await this.view.getJson<KvConfig>(CONFIG_KEY)) ?? {}) };
  }

  writeConfig(config: KvConfig): Promise<void> {
    return this.view.putJson(CONFIG_KEY, config);
  }

  /** `key` must be a cleaned, non-empty secret path. */
  async readMetadata(key: string): Promise<KeyMetadata | undefined> {
    if (key === '') return undefined;
    const meta = await this.view.getJson<KeyMetadata>(METADATA_PREFIX + key);
    if (meta !== undefined && meta.key !== key) {
      throw new Error(`kv: metadata record at "${key}" names another key "${meta.key}"`);
    }
    return meta;
  }

  /**
   * Read-only lookups for the read hot path: the records may be shared with other readers and are
   * frozen (never modify them; read-modify-write paths use readMetadata / readVersion).
   */
  async readMetadataShared(key: string): Promise<Readonly<KeyMetadata> | undefined> {
    if (key === '') return undefined;
    const meta = await this.view.getSharedJson<KeyMetadata>(METADATA_PREFIX + key);
    if (meta !== undefined && meta.key !== key) {
      throw new Error(`kv: metadata record at "${key}" names another key "${meta.key}"`);
    }
    return meta as Readonly<KeyMetadata> | undefined;
  }

  async readVersionShared(key: string, version: number): Promise<Readonly<VersionRecord> | undefined> {
    return (await this.view.getSharedJson<VersionRecord>(versionKey(key, version))) as Readonly<VersionRecord> | undefined;
  }

  async readVersion(key: string, version: number): Promise<VersionRecord | undefined> {
    return this.view.getJson<VersionRecord>(versionKey(key, version));
  }

  /** Children of a metadata folder (`prefix` is '' or ends in '/'). */
  listMetadata(prefix: string): Promise<string[]> {
    return this.view.list(METADATA_PREFIX + prefix);
  }

  /** Applies record changes atomically. */
  commit(ops: TxnOp[]): Promise<void> {
    return ops.length === 0 ? Promise.resolve() : this.view.txn(ops);
  }
}

function versionKey(key: string, version: number): string {
  if (!Number.isSafeInteger(version) || version < 1) throw new Error(`kv: invalid version number ${version}`);
  return `${VERSIONS_PREFIX}${hashedKey(key)}/${version}`;
}

// The hash of a secret's path names its version records; hot keys are memoised (bounded).
const hashedKeys = new Map<string, string>();
function hashedKey(key: string): string {
  let h = hashedKeys.get(key);
  if (h === undefined) {
    h = sha256Hex(key);
    if (hashedKeys.size >= 10_000) hashedKeys.clear();
    hashedKeys.set(key, h);
  }
  return h;
}

export const putMetadataOp = (meta: KeyMetadata): TxnOp => ({ op: 'put', key: METADATA_PREFIX + meta.key, value: json(meta) });
export const deleteMetadataOp = (key: string): TxnOp => ({ op: 'delete', key: METADATA_PREFIX + key });
export const putVersionOp = (key: string, version: number, record: VersionRecord): TxnOp => ({
  op: 'put',
  key: versionKey(key, version),
  value: json(record),
});
export const deleteVersionOp = (key: string, version: number): TxnOp => ({ op: 'delete', key: versionKey(key, version) });
