/**
 * KV v2 `data/<path>` (path_data.go): read a version, write a new one (with check-and-set),
 * merge-patch the current one, soft-delete the current one.
 */
import type { LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import { formatRfc3339Nano } from '../../util/go-format.js';
import { applyMergePatch, isJsonObject } from '../merge-patch.js';
import { emptyNotFound, secretKey, withWarnings, type V2Context } from './context.js';
import {
  addVersion,
  checkAndSet,
  isDeleted,
  newKeyMetadata,
  scheduledDeletionTime,
  versionOf,
  versionView,
  type KeyMetadata,
  type KvConfig,
} from './records.js';
import { lookupVersion } from './version-lookup.js';
import { deleteVersionOp, putMetadataOp, putVersionOp, type VersionedKvStore } from './store.js';

const dataFields = {
  path: field.string(),
  version: field.int(),
  options: field.map(),
  data: field.map(),
};

/** Vault's notFound-with-metadata answer for a deleted or destroyed version. */
const notFoundWith = (data: Record<string, unknown>): LogicalResponse => ({ statusCode: 404, data });

/** Writes `data` as the key's next version; shared by write and patch. */
async function appendVersion(
  ctx: V2Context,
  store: VersionedKvStore,
  config: KvConfig,
  meta: KeyMetadata,
  data: Record<string, unknown>,
): Promise<LogicalResponse> {
  const now = ctx.nowMs();
  const created = formatRfc3339Nano(now);
  const vm = { created_time: created, deletion_time: scheduledDeletionTime(config, meta, now), destroyed: false };
  const { version, purged } = addVersion(meta, vm, config.max_versions);
  await store.commit([
    putVersionOp(meta.key, version, { data, created_time: created }),
    putMetadataOp(meta),
    ...purged.map((n) => deleteVersionOp(meta.key, n)),
  ]);
  return { data: versionView(meta, version, vm) };
}

export function dataPath(ctx: V2Context): PathDef {
  const read = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, warnings } = parseFields(dataFields, req.data);
    const found = await lookupVersion(ctx.store(req), secretKey(req), values.version, ctx.nowMs());
    if (found.kind === 'absent') return undefined;
    const metadata = versionView(found.meta, found.version, found.vm);
    if (found.kind === 'gone') return notFoundWith({ data: null, metadata });
    return withWarnings({ data: { data: found.record.data, metadata } }, warnings);
  };

  const write = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present, warnings } = parseFields(dataFields, req.data);
    const key = secretKey(req);
    if (key === '') throw new LogicalError('missing path');
    const store = ctx.store(req);
    const config = await store.readConfig();
    if (!present.has('data')) throw new LogicalError('no data provided');
    return ctx.locks.run(key, async () => {
      const meta = (await store.readMetadata(key)) ?? newKeyMetadata(key);
      checkAndSet(values.options, config, meta);
      return withWarnings(await appendVersion(ctx, store, config, meta, values.data), warnings);
    });
  };

  const patch = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present, warnings } = parseFields(dataFields, req.data);
    if (!present.has('data')) throw new LogicalError('no data provided');
    const key = secretKey(req);
    const store = ctx.store(req);
    return ctx.locks.run(key, async () => {
      const meta = await store.readMetadata(key);
      if (!meta) return emptyNotFound();
      const config = await store.readConfig();
      checkAndSet(values.options, config, meta);
      const current = meta.current_version;
      const vm = versionOf(meta, current);
      if (!vm) return emptyNotFound();
      if (isDeleted(vm, ctx.nowMs()) || vm.destroyed) return notFoundWith(versionView(meta, current, vm));
      const record = await store.readVersion(key, current);
      if (!record) throw new Error(`kv: could not find version data for "${key}" version ${current}`);
      const patched = applyMergePatch(record.data, values.data);
      if (!isJsonObject(patched)) throw new Error('kv: merge patch of an object produced a non-object');
      return withWarnings(await appendVersion(ctx, store, config, meta, patched), warnings);
    });
  };

  const softDelete = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    parseFields(dataFields, req.data);
    const key = secretKey(req);
    const store = ctx.store(req);
    await ctx.locks.run(key, async () => {
      const meta = await store.readMetadata(key);
      if (!meta) return;
      const vm = versionOf(meta, meta.current_version);
      const now = ctx.nowMs();
      if (!vm || vm.destroyed || isDeleted(vm, now)) return;
      vm.deletion_time = formatRfc3339Nano(now);
      await store.commit([putMetadataOp(meta)]);
    });
    return undefined;
  };

  return {
    // At least one character and no trailing slash (Vault's matchAllNoTrailingSlashRegex).
    pattern: 'data/(?<path>.*[^/])',
    operations: { read, create: write, update: write, patch, delete: softDelete },
    existenceCheck: async (req) => (await ctx.store(req).readMetadata(secretKey(req))) !== undefined,
  };
}
