/**
 * KV v2's stored records and the pure rules over them (vault-plugin-secrets-kv: types.proto,
 * path_data.go AddVersion, delete_version_after.go). Timestamps are stored as the RFC3339Nano
 * strings the API shows ('' = unset); durations as whole seconds.
 */
import { LogicalError } from '../../core/logical.js';
import { formatRfc3339Nano, parseTimestamp } from '../../util/go-format.js';
import { weakDecodeInt } from '../kv-fields.js';

export const DEFAULT_MAX_VERSIONS = 10;
/** Mount config `delete_version_after` of -1s: the feature is disabled for every key. */
export const DELETE_VERSION_AFTER_DISABLED = -1;

export interface KvConfig {
  max_versions: number;
  cas_required: boolean;
  /** Seconds; 0 = unset, -1 = disabled. */
  delete_version_after: number;
}

export const emptyConfig = (): KvConfig => ({ max_versions: 0, cas_required: false, delete_version_after: 0 });

export interface VersionMetadata {
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

/** One record per secret: its settings and the state of every retained version. */
export interface KeyMetadata {
  key: string;
  versions: Record<string, VersionMetadata>;
  current_version: number;
  oldest_version: number;
  created_time: string;
  updated_time: string;
  max_versions: number;
  cas_required: boolean;
  /** Seconds; 0 = unset. */
  delete_version_after: number;
  custom_metadata: Record<string, string> | null;
}

/** One record per version: the secret's data (kept apart so writes never rewrite old versions). */
export interface VersionRecord {
  data: Record<string, unknown>;
  created_time: string;
}

export function newKeyMetadata(key: string, createdTime = ''): KeyMetadata {
  return {
    key,
    versions: {},
    current_version: 0,
    oldest_version: 0,
    created_time: createdTime,
    updated_time: createdTime,
    max_versions: 0,
    cas_required: false,
    delete_version_after: 0,
    custom_metadata: null,
  };
}

/** Go's uint32(int) conversion, which Vault applies to max_versions. */
export const toUint32 = (n: number): number => n >>> 0;

export function versionOf(meta: KeyMetadata, version: number): VersionMetadata | undefined {
  return Object.prototype.hasOwnProperty.call(meta.versions, String(version)) ? meta.versions[String(version)] : undefined;
}

/**
 * Deleted = a deletion time at or before now. (Vault tests `Before(now)` with a nanosecond clock;
 * with millisecond timestamps a delete and a read in the same millisecond must still see it gone.)
 */
export function isDeleted(vm: VersionMetadata, nowMs: number): boolean {
  const at = parseTimestamp(vm.deletion_time);
  return at !== undefined && at <= nowMs;
}

/** The shorter non-zero of the mount's and the key's delete_version_after, or 0 for none. */
export function effectiveDeleteVersionAfter(config: KvConfig, meta: KeyMetadata): number {
  if (config.delete_version_after === DELETE_VERSION_AFTER_DISABLED) return 0;
  const mount = config.delete_version_after;
  const key = meta.delete_version_after;
  if (mount === 0) return key;
  if (key === 0) return mount;
  return Math.min(mount, key);
}

/** The deletion_time a version created (or undeleted) at `fromMs` gets: '' if none applies. */
export function scheduledDeletionTime(config: KvConfig, meta: KeyMetadata, fromMs: number): string {
  const after = effectiveDeleteVersionAfter(config, meta);
  return after > 0 ? formatRfc3339Nano(fromMs + after * 1000) : '';
}

/**
 * Appends a version and slides the max_versions window (AddVersion). Versions retained =
 * max(key, mount) max_versions, or 10 if both are 0. Mutates `meta`; returns the new version's
 * number and the numbers dropped from the window, whose records the caller must delete.
 */
export function addVersion(
  meta: KeyMetadata,
  vm: VersionMetadata,
  configMaxVersions: number,
): { version: number; purged: number[] } {
  meta.current_version += 1;
  const version = meta.current_version;
  meta.versions[String(version)] = vm;
  meta.updated_time = vm.created_time;
  if (meta.created_time === '') meta.created_time = vm.created_time;

  const maxVersions = Math.max(meta.max_versions, configMaxVersions) || DEFAULT_MAX_VERSIONS;
  const purged: number[] = [];
  if (meta.current_version - meta.oldest_version >= maxVersions) {
    const lastToDelete = meta.current_version - maxVersions;
    for (let n = meta.oldest_version; n <= lastToDelete; n++) {
      if (versionOf(meta, n) !== undefined) purged.push(n);
      delete meta.versions[String(n)];
    }
    meta.oldest_version = lastToDelete + 1;
  }
  return { version, purged };
}

/**
 * The check-and-set rule for data writes and patches: a supplied `cas` must equal the current
 * version (0 = the key has no versions yet); without one, the write is refused if the mount or
 * the key requires cas.
 */
export function checkAndSet(options: Record<string, unknown>, config: KvConfig, meta: KeyMetadata): void {
  if (Object.prototype.hasOwnProperty.call(options, 'cas')) {
    const cas = weakDecodeInt(options['cas']);
    if (cas === undefined) throw new LogicalError('error parsing check-and-set parameter');
    if (cas !== meta.current_version) throw new LogicalError('check-and-set parameter did not match the current version');
  } else if (config.cas_required || meta.cas_required) {
    throw new LogicalError('check-and-set parameter required for this call');
  }
}

/** A version's metadata as data reads/writes show it. */
export function versionView(meta: KeyMetadata, version: number, vm: VersionMetadata): Record<string, unknown> {
  return {
    created_time: vm.created_time,
    custom_metadata: customMetadataView(meta),
    deletion_time: vm.deletion_time,
    destroyed: vm.destroyed,
    version,
  };
}

/** An empty map reads back as null, as in Vault (protobuf drops empty maps). */
export function customMetadataView(meta: KeyMetadata): Record<string, string> | null {
  return meta.custom_metadata && Object.keys(meta.custom_metadata).length > 0 ? { ...meta.custom_metadata } : null;
}
