/**
 * KV v2 `delete/<path>`, `undelete/<path>` and `destroy/<path>` (path_delete.go,
 * path_destroy.go): act on listed versions. Soft delete sets deletion_time; undelete clears it
 * (re-arming delete_version_after); destroy removes the data for good.
 */
import type { LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import { formatRfc3339Nano } from '../../util/go-format.js';
import { secretKey, type V2Context } from './context.js';
import { isDeleted, scheduledDeletionTime, versionOf } from './records.js';
import { deleteVersionOp, putMetadataOp } from './store.js';

const versionsFields = {
  path: field.string(),
  versions: field.intSlice(),
};

type VersionsHandler = (req: LogicalRequest) => Promise<LogicalResponse | undefined>;

function versionsPath(name: string, handler: VersionsHandler): PathDef {
  // No existence check: POST/PUT is always `update` here, as in Vault.
  return { pattern: `${name}/(?<path>.*)`, operations: { update: handler } };
}

export function deletePath(ctx: V2Context): PathDef {
  return versionsPath('delete', async (req) => {
    const { values } = parseFields(versionsFields, req.data);
    if (values.versions.length === 0) throw new LogicalError('No version number provided');
    const key = secretKey(req);
    const store = ctx.store(req);
    await ctx.locks.run(key, async () => {
      const meta = await store.readMetadata(key);
      if (!meta) return;
      const now = ctx.nowMs();
      for (const n of values.versions) {
        const vm = versionOf(meta, n);
        if (!vm || vm.destroyed || isDeleted(vm, now)) continue;
        vm.deletion_time = formatRfc3339Nano(now);
      }
      await store.commit([putMetadataOp(meta)]);
    });
    return undefined;
  });
}

export function undeletePath(ctx: V2Context): PathDef {
  return versionsPath('undelete', async (req) => {
    const { values } = parseFields(versionsFields, req.data);
    if (values.versions.length === 0) throw new LogicalError('No version number provided');
    const key = secretKey(req);
    const store = ctx.store(req);
    const config = await store.readConfig();
    await ctx.locks.run(key, async () => {
      const meta = await store.readMetadata(key);
      if (!meta) return;
      const now = ctx.nowMs();
      for (const n of values.versions) {
        const vm = versionOf(meta, n);
        if (!vm || vm.destroyed) continue;
        // delete_version_after counts again from the undelete.
        vm.deletion_time = scheduledDeletionTime(config, meta, now);
      }
      await store.commit([putMetadataOp(meta)]);
    });
    return undefined;
  });
}

export function destroyPath(ctx: V2Context): PathDef {
  return versionsPath('destroy', async (req) => {
    const { values } = parseFields(versionsFields, req.data);
    if (values.versions.length === 0) throw new LogicalError('no version number provided');
    const key = secretKey(req);
    const store = ctx.store(req);
    await ctx.locks.run(key, async () => {
      const meta = await store.readMetadata(key);
      if (!meta) return;
      const destroyed = new Set<number>();
      for (const n of values.versions) {
        const vm = versionOf(meta, n);
        if (!vm || vm.destroyed) continue;
        vm.destroyed = true;
        destroyed.add(n);
      }
      await store.commit([putMetadataOp(meta), ...[...destroyed].map((n) => deleteVersionOp(key, n))]);
    });
    return undefined;
  });
}
