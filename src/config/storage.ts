/** `storage "file|inmem|raft" { … }` (also `backend`, and `ha_storage` / `ha_backend`). */
import type { HclBlock } from '../hcl/decode.js';
import { BodyReader } from './body-reader.js';
import { ConfigError } from './errors.js';
import { STORAGE_TYPES, type RetryJoinConfig, type StorageConfig } from './schema.js';
import { isHttpUrl, optional } from './values.js';

export function parseStorage(block: HclBlock, file: string, stanza: string): StorageConfig {
  const type = block.labels[0]!;
  const where = `${stanza} "${type}"`;
  const r = new BodyReader(block.body, { file, where });
  const source = r.source(block.pos);
  let storage: StorageConfig;
  switch (type) {
    case 'inmem':
      storage = { type, source };
      break;
    case 'file':
      storage = { type, path: requiredPath(r, block), source };
      break;
    case 'raft':
      storage = {
        type,
        path: requiredPath(r, block),
        ...optional('node_id', r.string('node_id')),
        ...optional('performance_multiplier', r.int('performance_multiplier', { min: 0 })),
        ...optional('trailing_logs', r.int('trailing_logs', { min: 0 })),
        ...optional('snapshot_threshold', r.int('snapshot_threshold', { min: 0 })),
        ...optional('snapshot_interval', r.duration('snapshot_interval')),
        ...optional('max_entry_size', r.int('max_entry_size', { min: 1 })),
        ...optional('autopilot_reconcile_interval', r.duration('autopilot_reconcile_interval')),
        ...optional('autopilot_update_interval', r.duration('autopilot_update_interval')),
        ...optional('autopilot_redundancy_zone', r.string('autopilot_redundancy_zone')),
        ...optional('autopilot_upgrade_version', r.string('autopilot_upgrade_version')),
        retry_join: r.blocks('retry_join', 0).map((b) => parseRetryJoin(b, file, where)),
        source,
      };
      break;
    default:
      throw new ConfigError(`unsupported ${stanza} type "${type}" (supported: ${STORAGE_TYPES.map((t) => `"${t}"`).join(', ')})`, {
        file,
        line: block.pos.line,
      });
  }
  r.finish();
  return storage;
}

function requiredPath(r: BodyReader, block: HclBlock): string {
  const path = r.string('path');
  if (path === undefined || path === '') throw r.error(`${r.ctx.where}: "path" is required`, block.pos);
  return path;
}

function parseRetryJoin(block: HclBlock, file: string, parent: string): RetryJoinConfig {
  const r = new BodyReader(block.body, { file, where: `retry_join of ${parent}` });
  const leader = r.string('leader_api_addr');
  if (leader === undefined) throw r.error(`retry_join of ${parent}: "leader_api_addr" is required`, block.pos);
  if (!isHttpUrl(leader)) throw r.error(`${r.name('leader_api_addr')} must be an http(s) URL, got ${JSON.stringify(leader)}`, r.node('leader_api_addr')!.pos);
  const join: RetryJoinConfig = {
    leader_api_addr: leader,
    ...optional('leader_ca_cert_file', r.string('leader_ca_cert_file')),
    ...optional('leader_client_cert_file', r.string('leader_client_cert_file')),
    ...optional('leader_client_key_file', r.string('leader_client_key_file')),
    ...optional('leader_ca_cert', r.string('leader_ca_cert')),
    ...optional('leader_client_cert', r.string('leader_client_cert')),
    ...optional('leader_client_key', r.string('leader_client_key')),
    ...optional('leader_tls_servername', r.string('leader_tls_servername')),
    source: r.source(block.pos),
  };
  r.finish();
  return join;
}
