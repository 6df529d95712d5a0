/**
 * One config file's settings before merging: only what the file sets, plus where it set it.
 * Merging follows Vault: later files override scalars and storage/telemetry blocks; listeners,
 * seals and user_lockout blocks accumulate.
 */
import type { HclObject } from '../hcl/ast.js';
import { parseHclOrJson } from '../hcl/parse.js';
import { HclSyntaxError } from '../hcl/syntax-error.js';
import { BodyReader } from './body-reader.js';
import { ConfigError } from './errors.js';
import { parseListener } from './listener.js';
import { parseSeal } from './seal.js';
import type { ListenerConfig, SealConfig, ServerConfig, StorageConfig, TelemetryConfig, UserLockoutConfig } from './schema.js';
import { parseStorage } from './storage.js';
import { parseTelemetry, parseUserLockout } from './telemetry.js';
import { isHttpUrl, parseLogFormat, parseLogLevel } from './values.js';

export const SCALAR_KEYS = [
  'api_addr',
  'cluster_addr',
  'cluster_name',
  'ui',
  'default_lease_ttl',
  'max_lease_ttl',
  'default_max_request_duration',
  'disable_mlock',
  'log_level',
  'log_format',
  'environment',
  'pid_file',
  'raw_storage_endpoint',
  'plugin_directory',
  'enable_response_header_hostname',
  'enable_response_header_raft_node_id',
  'disable_cache',
  'disable_clustering',
  'disable_performance_standby',
  'cache_size',
  'allow_audit_log_prefixing',
] as const satisfies ReadonlyArray<keyof ServerConfig>;
export type ScalarKey = (typeof SCALAR_KEYS)[number];
export type ScalarSettings = Pick<ServerConfig, ScalarKey>;

export interface ConfigFragment {
  sources: string[];
  settings: Partial<ScalarSettings>;
  /** "file:line" of each setting and of storage/ha_storage/telemetry, for later messages. */
  origins: Partial<Record<ScalarKey | 'storage' | 'ha_storage' | 'telemetry', string>>;
  listeners: ListenerConfig[];
  seals: SealConfig[];
  user_lockouts: UserLockoutConfig[];
  storage?: StorageConfig;
  ha_storage?: StorageConfig;
  telemetry?: TelemetryConfig;
}

/** Reads one HCL or JSON config file; throws ConfigError naming file, line and key. */
export function parseConfigFragment(text: string, file: string): ConfigFragment {
  let root: HclObject;
  try {
    root = parseHclOrJson(text, file);
  } catch (e) {
    if (e instanceof HclSyntaxError) throw new ConfigError(e.reason, { file, line: e.line, column: e.column });
    throw e;
  }
  const r = new BodyReader(root, { file });
  const settings: Partial<ScalarSettings> = {};
  const origins: ConfigFragment['origins'] = {};
  const set = <K extends ScalarKey>(key: K, value: ScalarSettings[K] | undefined): void => {
    if (value === undefined) return;
    settings[key] = value;
    origins[key] = r.source(r.node(key)!.pos);
  };
  const url = (key: 'api_addr' | 'cluster_addr'): string | undefined => {
    const v = r.string(key);
    if (v !== undefined && !isHttpUrl(v)) throw r.error(`${r.name(key)} must be a URL such as "https://10.0.0.1:8200", got ${JSON.stringify(v)}`, r.node(key)!.pos);
    return v;
  };
  const choice = <T>(key: ScalarKey, parse: (s: string) => T | undefined, want: string): T | undefined => {
    const v = r.string(key);
    if (v === undefined) return undefined;
    const parsed = parse(v);
    if (parsed === undefined) throw r.error(`${r.name(key)} must be ${want}, got ${JSON.stringify(v)}`, r.node(key)!.pos);
    return parsed;
  };

  set('api_addr', url('api_addr'));
  set('cluster_addr', url('cluster_addr'));
  set('cluster_name', r.string('cluster_name'));
  set('ui', r.bool('ui'));
  set('default_lease_ttl', r.duration('default_lease_ttl'));
  set('max_lease_ttl', r.duration('max_lease_ttl'));
  set('default_max_request_duration', r.duration('default_max_request_duration'));
  set('disable_mlock', r.bool('disable_mlock'));
  set('log_level', choice('log_level', parseLogLevel, 'one of trace, debug, info, warn, error'));
  set('log_format', choice('log_format', parseLogFormat, '"standard" or "json"'));
  set('environment', r.string('environment'));
  set('pid_file', r.string('pid_file'));
  set('raw_storage_endpoint', r.bool('raw_storage_endpoint'));
  set('plugin_directory', r.string('plugin_directory'));
  set('enable_response_header_hostname', r.bool('enable_response_header_hostname'));
  set('enable_response_header_raft_node_id', r.bool('enable_response_header_raft_node_id'));
  set('disable_cache', r.bool('disable_cache'));
  set('disable_clustering', r.bool('disable_clustering'));
  set('disable_performance_standby', r.bool('disable_performance_standby'));
  set('cache_size', r.int('cache_size', { min: 0 }));
  set('allow_audit_log_prefixing', r.bool('allow_audit_log_prefixing'));

  const fragment: ConfigFragment = {
    sources: [file],
    settings,
    origins,
    listeners: r.blocks('listener', 1).map((b) => parseListener(b, file)),
    seals: r.blocks('seal', 1).map((b) => parseSeal(b, file)),
    user_lockouts: r.blocks('user_lockout', 1).map((b) => parseUserLockout(b, file)),
  };
  for (const [stanza, legacy] of [
    ['storage', 'backend'],
    ['ha_storage', 'ha_backend'],
  ] as const) {
    const found = [...r.blocks(stanza, 1).map((b) => [stanza, b] as const), ...r.blocks(legacy, 1).map((b) => [legacy, b] as const)];
    if (found.length > 1) {
      const [name, second] = found[1]!;
      const why = found[0]![0] === name ? `only one "${name}" stanza is allowed` : `"${legacy}" is the old name of "${stanza}"; use only one of them`;
      throw r.error(why, second.pos);
    }
    if (found[0]) {
      const [name, block] = found[0];
      fragment[stanza] = parseStorage(block, file, name);
      origins[stanza] = r.source(block.pos);
    }
  }
  const telemetry = r.optionalBlock('telemetry');
  if (telemetry) {
    fragment.telemetry = parseTelemetry(telemetry, file);
    origins.telemetry = r.source(telemetry.pos);
  }
  r.finish();
  return fragment;
}

export function mergeFragments(fragments: readonly ConfigFragment[]): ConfigFragment {
  const merged: ConfigFragment = { sources: [], settings: {}, origins: {}, listeners: [], seals: [], user_lockouts: [] };
  for (const f of fragments) {
    merged.sources.push(...f.sources);
    Object.assign(merged.settings, f.settings);
    Object.assign(merged.origins, f.origins);
    merged.listeners.push(...f.listeners);
    merged.seals.push(...f.seals);
    merged.user_lockouts.push(...f.user_lockouts);
    if (f.storage) merged.storage = f.storage;
    if (f.ha_storage) merged.ha_storage = f.ha_storage;
    if (f.telemetry) merged.telemetry = f.telemetry;
  }
  return merged;
}
