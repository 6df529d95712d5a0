/** KV v2 `config` (path_config.go): mount-wide max_versions, cas_required, delete_version_after. */
import type { LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import { goDurationString } from '../../util/go-format.js';
import { durationField } from '../kv-fields.js';
import { CONFIG_LOCK, withWarnings, type V2Context } from './context.js';
import { DELETE_VERSION_AFTER_DISABLED, toUint32 } from './records.js';

const configFields = {
  max_versions: field.int(),
  cas_required: field.bool(),
  delete_version_after: durationField({ signed: true }),
};

export function configPath(ctx: V2Context): PathDef {
  const read = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { warnings } = parseFields(configFields, req.data);
    const config = await ctx.store(req).readConfig();
    return withWarnings(
      {
        data: {
          cas_required: config.cas_required,
          delete_version_after: goDurationString(config.delete_version_after),
          max_versions: config.max_versions,
        },
      },
      warnings,
    );
  };

  const write = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present } = parseFields(configFields, req.data);
    if (!['max_versions', 'cas_required', 'delete_version_after'].some((f) => present.has(f))) return undefined;
    const store = ctx.store(req);
    await ctx.locks.run(CONFIG_LOCK, async () => {
      const config = await store.readConfig();
      if (present.has('max_versions')) config.max_versions = toUint32(values.max_versions);
      if (present.has('cas_required')) config.cas_required = values.cas_required;
      if (present.has('delete_version_after')) {
        const dva = values.delete_version_after;
        // Negative disables the feature for every key; zero clears the setting.
        config.delete_version_after = dva < 0 ? DELETE_VERSION_AFTER_DISABLED : dva;
      }
      await store.writeConfig(config);
    });
    return undefined;
  };

  return { pattern: 'config', operations: { read, update: write } };
}
