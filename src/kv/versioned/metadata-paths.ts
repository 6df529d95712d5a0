/**
 * KV v2 `metadata/<path>` (path_metadata.go): a secret's settings and version history — read,
 * write (creates the record without versions), merge-patch, delete everything, list a folder.
 */
import type { LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import { parseCustomMetadata, validateCustomMetadata } from '../custom-metadata.js';
import { formatRfc3339Nano, goDurationString } from '../../util/go-format.js';
import { listPrefix } from '../key-path.js';
import { durationField } from '../kv-fields.js';
import { applyMergePatch, isJsonObject } from '../merge-patch.js';
import { emptyNotFound, secretKey, withWarnings, type V2Context } from './context.js';
import { customMetadataView, newKeyMetadata, toUint32, versionOf, type KeyMetadata } from './records.js';
import { deleteMetadataOp, deleteVersionOp, putMetadataOp } from './store.js';

const metadataFields = {
  path: field.string(),
  max_versions: field.int(),
  cas_required: field.bool(),
  delete_version_after: durationField({ signed: false }),
  custom_metadata: field.map(),
};

const CAS_MANDATED_WARNING = '"cas_required" set to false, but is mandated by backend config. This value will be ignored.';

function metadataView(meta: KeyMetadata): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [n, vm] of Object.entries(meta.versions)) {
    versions[n] = { created_time: vm.created_time, deletion_time: vm.deletion_time, destroyed: vm.destroyed };
  }
  return {
    cas_required: meta.cas_required,
    created_time: meta.created_time,
    current_version: meta.current_version,
    custom_metadata: customMetadataView(meta),
    delete_version_after: goDurationString(meta.delete_version_after),
    max_versions: meta.max_versions,
    oldest_version: meta.oldest_version,
    updated_time: meta.updated_time,
    versions,
  };
}

export function metadataPath(ctx: V2Context): PathDef {
  const read = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { warnings } = parseFields(metadataFields, req.data);
    const store = ctx.store(req);
    const meta = await store.readMetadata(secretKey(req));
    return meta ? withWarnings({ data: metadataView(meta) }, warnings) : undefined;
  };

  const list = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { warnings } = parseFields(metadataFields, req.data);
    const keys = await ctx.store(req).listMetadata(listPrefix(req.params['path'] ?? ''));
    return keys.length === 0 ? undefined : withWarnings({ data: { keys } }, warnings);
  };

  const write = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present, warnings } = parseFields(metadataFields, req.data);
    const key = secretKey(req);
    if (key === '') throw new LogicalError('missing path');
    const changes = ['max_versions', 'cas_required', 'delete_version_after', 'custom_metadata'].filter((f) => present.has(f));
    if (changes.length === 0) return undefined;
    const store = ctx.store(req);
    const config = await store.readConfig();
    let customMetadata: Record<string, string> | undefined;
    if (present.has('custom_metadata')) {
      customMetadata = parseCustomMetadata(values.custom_metadata, false);
      validateCustomMetadata(customMetadata);
    }
    const res: LogicalResponse | undefined =
      present.has('cas_required') && config.cas_required && !values.cas_required ? { warnings: [CAS_MANDATED_WARNING] } : undefined;

    await ctx.locks.run(key, async () => {
      const meta = (await store.readMetadata(key)) ?? newKeyMetadata(key, formatRfc3339Nano(ctx.nowMs()));
      if (present.has('max_versions')) meta.max_versions = toUint32(values.max_versions);
      if (present.has('cas_required')) meta.cas_required = values.cas_required;
      if (present.has('delete_version_after')) meta.delete_version_after = values.delete_version_after;
      if (customMetadata !== undefined) meta.custom_metadata = customMetadata;
      await store.commit([putMetadataOp(meta)]);
    });
    return withWarnings(res, warnings);
  };

  const patch = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present, warnings } = parseFields(metadataFields, req.data);
    const key = secretKey(req);
    if (key === '') throw new LogicalError('missing path');
    // Like Vault, the limits apply to the patch document itself (nulls are removals, not values).
    if (present.has('custom_metadata')) validateCustomMetadata(parseCustomMetadata(values.custom_metadata, true));
    const store = ctx.store(req);
    const config = await store.readConfig();
    return ctx.locks.run(key, async () => {
      const meta = await store.readMetadata(key);
      if (!meta) return emptyNotFound();
      if (present.has('max_versions')) meta.max_versions = toUint32(values.max_versions);
      if (present.has('cas_required')) meta.cas_required = values.cas_required;
      if (present.has('delete_version_after')) meta.delete_version_after = values.delete_version_after;
      if (req.data['custom_metadata'] === null) {
        // A null member of a merge patch removes it: all custom metadata goes.
        meta.custom_metadata = null;
      } else if (present.has('custom_metadata')) {
        const merged = applyMergePatch(meta.custom_metadata ?? {}, values.custom_metadata);
        if (!isJsonObject(merged)) throw new Error('kv: merge patch of an object produced a non-object');
        meta.custom_metadata = parseCustomMetadata(merged, false);
      }
      await store.commit([putMetadataOp(meta)]);
      const res: LogicalResponse | undefined =
        present.has('cas_required') && config.cas_required && !values.cas_required ? { warnings: [CAS_MANDATED_WARNING] } : undefined;
      return withWarnings(res, warnings);
    });
  };

  const destroyAll = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    parseFields(metadataFields, req.data);
    const key = secretKey(req);
    const store = ctx.store(req);
    await ctx.locks.run(key, async () => {
      const meta = await store.readMetadata(key);
      if (!meta) return;
      const withRecords = Object.keys(meta.versions)
        .map(Number)
        .filter((n) => versionOf(meta, n)?.destroyed === false);
      await store.commit([...withRecords.map((n) => deleteVersionOp(key, n)), deleteMetadataOp(key)]);
    });
    return undefined;
  };

  return {
    pattern: 'metadata/(?<path>.*)',
    operations: { read, list, create: write, update: write, patch, delete: destroyAll },
    existenceCheck: async (req) => (await ctx.store(req).readMetadata(secretKey(req))) !== undefined,
  };
}
