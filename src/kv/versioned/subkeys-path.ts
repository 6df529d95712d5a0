/** KV v2 `subkeys/<path>` (path_subkeys.go): a version's key structure without its values. */
import type { LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import { subkeysOf } from '../subkeys.js';
import { secretKey, withWarnings, type V2Context } from './context.js';
import { versionView } from './records.js';
import { lookupVersion } from './version-lookup.js';

const subkeysFields = {
  path: field.string(),
  version: field.int(),
  depth: field.int(),
};

export function subkeysPath(ctx: V2Context): PathDef {
  const read = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, warnings } = parseFields(subkeysFields, req.data);
    const found = await lookupVersion(ctx.store(req), secretKey(req), values.version, ctx.nowMs());
    if (found.kind === 'absent') return undefined;
    const metadata = versionView(found.meta, found.version, found.vm);
    if (found.kind === 'gone') return { statusCode: 404, data: { subkeys: null, metadata } };
    return withWarnings({ data: { subkeys: subkeysOf(found.record.data, values.depth), metadata } }, warnings);
  };
  return { pattern: 'subkeys/(?<path>.*)', operations: { read } };
}
