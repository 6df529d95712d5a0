/**
 * The normalised server configuration. Field names are the config file's keys (snake_case);
 * durations are numbers of SECONDS; every block carries `source` ("file:line") for messages.
 */
import { z } from 'zod';

export const TLS_VERSIONS = ['tls10', 'tls11', 'tls12', 'tls13'] as const;
export const TlsVersionSchema = z.enum(TLS_VERSIONS);
export type TlsVersion = z.infer<typeof TlsVersionSchema>;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export const LogLevelSchema = z.enum(LOG_LEVELS);

const seconds = z.number().finite().nonnegative();
const source = z.string();

export const ListenerConfigSchema = z.object({
  type: z.literal('tcp'),
  address: z.string(),
  cluster_address: z.string().optional(),
  tls_disable: z.boolean(),
  tls_cert_file: z.string().optional(),
  tls_key_file: z.string().optional(),
  tls_client_ca_file: z.string().optional(),
  tls_require_and_verify_client_cert: z.boolean(),
  tls_disable_client_certs: z.boolean(),
  tls_min_version: TlsVersionSchema,
  tls_max_version: TlsVersionSchema,
  tls_cipher_suites: z.array(z.string()),
  /** Bytes; a negative value disables the limit (Vault semantics). */
  max_request_size: z.number().int(),
  max_request_duration: seconds.optional(),
  http_idle_timeout: seconds.optional(),
  http_read_header_timeout: seconds.optional(),
  http_read_timeout: seconds.optional(),
  http_write_timeout: seconds.optional(),
  x_forwarded_for_authorized_addrs: z.array(z.string()),
  x_forwarded_for_hop_skips: z.number().int().nonnegative(),
  x_forwarded_for_reject_not_authorized: z.boolean(),
  x_forwarded_for_reject_not_present: z.boolean(),
  x_forwarded_for_client_cert_header: z.string().optional(),
  x_forwarded_for_client_cert_header_decoders: z.array(z.string()),
  redact_addresses: z.boolean(),
  redact_cluster_name: z.boolean(),
  redact_version: z.boolean(),
  telemetry: z.object({ unauthenticated_metrics_access: z.boolean() }),
  /** status ("default", "307", "3xx") → header → values (Vault joins values with "; "). */
  custom_response_headers: z.record(z.string(), z.record(z.string(), z.array(z.string()))),
  source,
});
export type ListenerConfig = z.infer<typeof ListenerConfigSchema>;

export const RetryJoinConfigSchema = z.object({
  leader_api_addr: z.string(),
  leader_ca_cert_file: z.string().optional(),
  leader_client_cert_file: z.string().optional(),
  leader_client_key_file: z.string().optional(),
  /** Inline PEM alternatives to the *_file keys. */
  leader_ca_cert: z.string().optional(),
  leader_client_cert: z.string().optional(),
  leader_client_key: z.string().optional(),
  leader_tls_servername: z.string().optional(),
  source,
});
export type RetryJoinConfig = z.infer<typeof RetryJoinConfigSchema>;

export const FileStorageSchema = z.object({ type: z.literal('file'), path: z.string(), source });
export const InmemStorageSchema = z.object({ type: z.literal('inmem'), source });
export const RaftStorageSchema = z.object({
  type: z.literal('raft'),
  path: z.string(),
  node_id: z.string().optional(),
  performance_multiplier: z.number().int().nonnegative().optional(),
  trailing_logs: z.number().int().nonnegative().optional(),
  snapshot_threshold: z.number().int().nonnegative().optional(),
  snapshot_interval: seconds.optional(),
  max_entry_size: z.number().int().positive().optional(),
  autopilot_reconcile_interval: seconds.optional(),
  autopilot_update_interval: seconds.optional(),
  autopilot_redundancy_zone: z.string().optional(),
  autopilot_upgrade_version: z.string().optional(),
  retry_join: z.array(RetryJoinConfigSchema),
  source,
});
export const StorageConfigSchema = z.discriminatedUnion('type', [FileStorageSchema, InmemStorageSchema, RaftStorageSchema]);
export type StorageConfig = z.infer<typeof StorageConfigSchema>;
export type RaftStorageConfig = z.infer<typeof RaftStorageSchema>;
export const STORAGE_TYPES = ['file', 'inmem', 'raft'] as const;

export const ShamirSealSchema = z.object({ type: z.literal('shamir'), disabled: z.boolean(), source });
export const Pkcs11SealSchema = z.object({
  type: z.literal('pkcs11'),
  disabled: z.boolean(),
  lib: z.string().optional(),
  /** Canonical decimal string (CK_SLOT_ID is 64-bit). */
  slot: z.string().regex(/^\d+$/).optional(),
  token_label: z.string().optional(),
  pin: z.string().optional(),
  key_label: z.string().optional(),
  hmac_key_label: z.string().optional(),
  /** CKM_* mechanism number, e.g. 0x1085 (CKM_AES_CBC_PAD). */
  mechanism: z.number().int().nonnegative().optional(),
  hmac_mechanism: z.number().int().nonnegative().optional(),
  generate_key: z.boolean(),
  /** Hex CKA_ID values. */
  key_id: z.string().optional(),
  hmac_key_id: z.string().optional(),
  max_parallel: z.number().int().positive(),
  source,
});
export const SealConfigSchema = z.discriminatedUnion('type', [ShamirSealSchema, Pkcs11SealSchema]);
export type SealConfig = z.infer<typeof SealConfigSchema>;
export type Pkcs11SealConfig = z.infer<typeof Pkcs11SealSchema>;

export const TelemetryConfigSchema = z.object({
  prometheus_retention_time: seconds,
  disable_hostname: z.boolean(),
  metrics_prefix: z.string(),
  /** 0 when set to "none" (usage gauges off). */
  usage_gauge_period: seconds,
  filter_default: z.boolean(),
  prefix_filter: z.array(z.string()),
  statsd_address: z.string().optional(),
  dogstatsd_addr: z.string().optional(),
  dogstatsd_tags: z.array(z.string()),
  maximum_gauge_cardinality: z.number().int(),
  enable_hostname_label: z.boolean(),
});
export type TelemetryConfig = z.infer<typeof TelemetryConfigSchema>;

export const USER_LOCKOUT_METHODS = ['all', 'userpass', 'approle', 'ldap'] as const;
export const UserLockoutConfigSchema = z.object({
  auth_method: z.enum(USER_LOCKOUT_METHODS),
  lockout_threshold: z.number().int().nonnegative().optional(),
  lockout_duration: seconds.optional(),
  lockout_counter_reset: seconds.optional(),
  disable_lockout: z.boolean().optional(),
  source,
});
export type UserLockoutConfig = z.infer<typeof UserLockoutConfigSchema>;

export const ServerConfigSchema = z.object({
  listeners: z.array(ListenerConfigSchema),
  storage: StorageConfigSchema,
  ha_storage: StorageConfigSchema.optional(),
  /** Empty = the default Shamir seal. At most two; with two, exactly one is `disabled` (migration). */
  seals: z.array(SealConfigSchema),
  api_addr: z.string().optional(),
  cluster_addr: z.string().optional(),
  cluster_name: z.string().optional(),
  ui: z.boolean(),
  default_lease_ttl: seconds,
  max_lease_ttl: seconds,
  default_max_request_duration: seconds,
  /** Accepted for compatibility; has no effect. */
  disable_mlock: z.boolean(),
  log_level: LogLevelSchema,
  log_format: z.enum(['standard', 'json']),
  environment: z.string().optional(),
  pid_file: z.string().optional(),
  raw_storage_endpoint: z.boolean(),
  telemetry: TelemetryConfigSchema,
  plugin_directory: z.string().optional(),
  enable_response_header_hostname: z.boolean(),
  enable_response_header_raft_node_id: z.boolean(),
  disable_cache: z.boolean(),
  disable_clustering: z.boolean(),
  disable_performance_standby: z.boolean(),
  cache_size: z.number().int().nonnegative().optional(),
  allow_audit_log_prefixing: z.boolean(),
  user_lockouts: z.array(UserLockoutConfigSchema),
  /** The files this configuration was read from, in merge order. */
  sources: z.array(z.string()),
});
export type ServerConfig = z.infer<typeof ServerConfigSchema>;

export const DEFAULT_LEASE_TTL = 768 * 3600;
export const DEFAULT_MAX_REQUEST_SIZE = 33554432;
export const DEFAULT_MAX_REQUEST_DURATION = 90;

export function defaultTelemetry(): TelemetryConfig {
  return {
    prometheus_retention_time: 24 * 3600,
    disable_hostname: false,
    metrics_prefix: 'vault',
    usage_gauge_period: 600,
    filter_default: true,
    prefix_filter: [],
    dogstatsd_tags: [],
    maximum_gauge_cardinality: 500,
    enable_hostname_label: false,
  };
}
