/** Defaults and whole-config checks that apply after all files are merged. */
import { formatDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { mergeFragments, parseConfigFragment, type ConfigFragment } from './fragment.js';
import { sourceOf } from './seal.js';
import {
  DEFAULT_LEASE_TTL,
  DEFAULT_MAX_REQUEST_DURATION,
  defaultTelemetry,
  ServerConfigSchema,
  type ServerConfig,
  type UserLockoutConfig,
} from './schema.js';

/** Parses one config file (HCL or JSON) into a complete, checked ServerConfig. */
export function parseConfigText(text: string, filename: string): ServerConfig {
  return finalizeConfig(parseConfigFragment(text, filename));
}

export function finalizeConfig(fragment: ConfigFragment): ServerConfig {
  const files = fragment.sources.length > 0 ? fragment.sources.join(', ') : '<config>';
  if (!fragment.storage) throw new ConfigError('missing required "storage" stanza (e.g. storage "raft" { path = "/var/lib/coffer" })', { file: files });
  if (fragment.listeners.length === 0) throw new ConfigError('missing required "listener" stanza (e.g. listener "tcp" { address = "127.0.0.1:8200" })', { file: files });
  checkSeals(fragment);

  const s = fragment.settings;
  const config: ServerConfig = {
    listeners: fragment.listeners,
    storage: fragment.storage,
    ...(fragment.ha_storage ? { ha_storage: fragment.ha_storage } : {}),
    seals: fragment.seals,
    ...pick(s, 'api_addr'),
    ...pick(s, 'cluster_addr'),
    ...pick(s, 'cluster_name'),
    ui: s.ui ?? false,
    // An unset default_lease_ttl follows a max_lease_ttl set below the 768h default.
    default_lease_ttl: nonZero(s.default_lease_ttl) ?? Math.min(DEFAULT_LEASE_TTL, nonZero(s.max_lease_ttl) ?? DEFAULT_LEASE_TTL),
    max_lease_ttl: nonZero(s.max_lease_ttl) ?? DEFAULT_LEASE_TTL,
    default_max_request_duration: nonZero(s.default_max_request_duration) ?? DEFAULT_MAX_REQUEST_DURATION,
    disable_mlock: s.disable_mlock ?? false,
    log_level: s.log_level ?? 'info',
    log_format: s.log_format ?? 'standard',
    ...pick(s, 'environment'),
    ...pick(s, 'pid_file'),
    raw_storage_endpoint: s.raw_storage_endpoint ?? false,
    telemetry: fragment.telemetry ?? defaultTelemetry(),
    ...pick(s, 'plugin_directory'),
    enable_response_header_hostname: s.enable_response_header_hostname ?? false,
    enable_response_header_raft_node_id: s.enable_response_header_raft_node_id ?? false,
    disable_cache: s.disable_cache ?? false,
    disable_clustering: s.disable_clustering ?? false,
    disable_performance_standby: s.disable_performance_standby ?? false,
    ...pick(s, 'cache_size'),
    allow_audit_log_prefixing: s.allow_audit_log_prefixing ?? false,
    user_lockouts: lastPerMethod(fragment.user_lockouts),
    sources: fragment.sources,
  };

  if (config.default_lease_ttl > config.max_lease_ttl) {
    const origin = fragment.origins.default_lease_ttl ?? fragment.origins.max_lease_ttl;
    throw new ConfigError(
      `default_lease_ttl (${formatDuration(config.default_lease_ttl)}) cannot be greater than max_lease_ttl (${formatDuration(config.max_lease_ttl)})`,
      origin ? sourceOf(origin) : { file: files },
    );
  }
  // The schema is the contract other modules rely on; a failure here is a bug in this loader.
  return ServerConfigSchema.parse(config);
}

/** Merges several parsed files (later ones win) into one ServerConfig. */
export function mergeConfigs(fragments: readonly ConfigFragment[]): ServerConfig {
  return finalizeConfig(mergeFragments(fragments));
}

function pick<K extends keyof ConfigFragment['settings']>(s: ConfigFragment['settings'], key: K): Partial<Pick<ServerConfig, K>> {
  const v = s[key];
  return (v === undefined ? {} : { [key]: v }) as Partial<Pick<ServerConfig, K>>;
}

/** Vault reads a zero TTL or duration as "use the default". */
function nonZero(n: number | undefined): number | undefined {
  return n === 0 ? undefined : n;
}

function lastPerMethod(lockouts: UserLockoutConfig[]): UserLockoutConfig[] {
  const byMethod = new Map<string, UserLockoutConfig>();
  for (const l of lockouts) {
    byMethod.delete(l.auth_method);
    byMethod.set(l.auth_method, l);
  }
  return [...byMethod.values()];
}

/** At most two seals; two only for migration, with exactly one marked disabled. */
function checkSeals(fragment: ConfigFragment): void {
  const seals = fragment.seals;
  if (seals.length > 2) throw new ConfigError(`at most two seal stanzas are allowed (one of them disabled, for migration), found ${seals.length}`, sourceOf(seals[2]!.source));
  if (seals.length === 2) {
    const disabled = seals.filter((s) => s.disabled).length;
    if (disabled !== 1) {
      const why = disabled === 0 ? 'mark the seal being migrated away from with disabled = true' : 'both are disabled';
      throw new ConfigError(`two seal stanzas need exactly one with disabled = true (seal migration): ${why}`, sourceOf(seals[1]!.source));
    }
    if (seals[0]!.type === seals[1]!.type && seals[0]!.type === 'shamir') {
      throw new ConfigError('migrating from shamir to shamir is not a seal migration', sourceOf(seals[1]!.source));
    }
  }
}
