/** Reading config files and directories from disk (the I/O shell around the pure parser). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { applyEnv } from './env.js';
import { ConfigError } from './errors.js';
import { finalizeConfig } from './finalize.js';
import { mergeFragments, parseConfigFragment } from './fragment.js';
import type { Env } from './seal.js';
import { DEFAULT_LEASE_TTL, DEFAULT_MAX_REQUEST_DURATION, DEFAULT_MAX_REQUEST_SIZE, defaultTelemetry, ServerConfigSchema, type ServerConfig } from './schema.js';

export { parseConfigText } from './finalize.js';

/**
 * Loads and merges `-config` paths in order, like Vault: a directory contributes its *.hcl and
 * *.json files sorted by name (files named *_override.* last); later files override scalar
 * settings and the storage/telemetry blocks, listeners and seals accumulate. Then the
 * environment overrides are applied (applyEnv: VAULT_API_ADDR, COFFER_ENVIRONMENT, VAULT_HSM_*, …),
 * which also checks that a pkcs11 seal has its lib, pin, key label and slot or token label.
 */
export function loadConfig(paths: readonly string[], env: Env = process.env): ServerConfig {
  if (paths.length === 0) throw new ConfigError('no configuration files given');
  const files = paths.flatMap(expandPath);
  return applyEnv(finalizeConfig(mergeFragments(files.map((file) => parseConfigFragment(readText(file), file)))), env);
}

function expandPath(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new ConfigError(`cannot read configuration: ${(e as Error).message}`, { file: path });
  }
  if (!isDir) return [path];
  const names = readdirSync(path, { withFileTypes: true })
    .filter((d) => !d.isDirectory() && ['.hcl', '.json'].includes(extname(d.name)) && !isTemporaryFile(d.name))
    .map((d) => d.name)
    .sort();
  if (names.length === 0) throw new ConfigError('directory has no .hcl or .json configuration files', { file: path });
  const isOverride = (n: string): boolean => basename(n, extname(n)).endsWith('_override');
  return [...names.filter((n) => !isOverride(n)), ...names.filter(isOverride)].map((n) => join(path, n));
}

/** Editor backup and lock files, which Vault also skips. */
function isTemporaryFile(name: string): boolean {
  return name.endsWith('~') || name.startsWith('.#') || (name.startsWith('#') && name.endsWith('#'));
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read configuration: ${(e as Error).message}`, { file });
  }
}

/** What `server -dev` runs with: in-memory storage, one plain-HTTP listener, UI on. */
export function devConfig(listenAddress = '127.0.0.1:8200'): ServerConfig {
  return ServerConfigSchema.parse({
    listeners: [
      {
        type: 'tcp',
        address: listenAddress,
        tls_disable: true,
        tls_require_and_verify_client_cert: false,
        tls_disable_client_certs: false,
        tls_min_version: 'tls12',
        tls_max_version: 'tls13',
        tls_cipher_suites: [],
        max_request_size: DEFAULT_MAX_REQUEST_SIZE,
        x_forwarded_for_authorized_addrs: [],
        x_forwarded_for_hop_skips: 0,
        x_forwarded_for_reject_not_authorized: true,
        x_forwarded_for_reject_not_present: true,
        x_forwarded_for_client_cert_header_decoders: [],
        redact_addresses: false,
        redact_cluster_name: false,
        redact_version: false,
        telemetry: { unauthenticated_metrics_access: false },
        custom_response_headers: {},
        source: 'dev',
      },
    ],
    storage: { type: 'inmem', source: 'dev' },
    seals: [],
    ui: true,
    default_lease_ttl: DEFAULT_LEASE_TTL,
    max_lease_ttl: DEFAULT_LEASE_TTL,
    default_max_request_duration: DEFAULT_MAX_REQUEST_DURATION,
    disable_mlock: true,
    log_level: 'info',
    log_format: 'standard',
    raw_storage_endpoint: true,
    telemetry: { ...defaultTelemetry(), disable_hostname: true },
    enable_response_header_hostname: false,
    enable_response_header_raft_node_id: false,
    disable_cache: false,
    disable_clustering: false,
    disable_performance_standby: false,
    allow_audit_log_prefixing: false,
    user_lockouts: [],
    sources: [],
  } satisfies ServerConfig);
}
