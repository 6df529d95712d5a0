/** Environment variables that override the config files (as `vault server` reads them). */
import { ConfigError } from './errors.js';
import type { ServerConfig } from './schema.js';
import { applySealEnv, type Env } from './seal.js';
import { isHttpUrl, parseLogFormat, parseLogLevel } from './values.js';

export { applySealEnv, type Env } from './seal.js';

/**
 * VAULT_API_ADDR, VAULT_CLUSTER_ADDR, VAULT_LOG_LEVEL, VAULT_LOG_FORMAT, COFFER_ENVIRONMENT,
 * then the seal variables (applySealEnv). Set, non-empty variables win over the files. Pure.
 */
export function applyEnv(config: ServerConfig, env: Env): ServerConfig {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const out: ServerConfig = { ...config };
  for (const [name, key] of [
    ['VAULT_API_ADDR', 'api_addr'],
    ['VAULT_CLUSTER_ADDR', 'cluster_addr'],
  ] as const) {
    const v = get(name);
    if (v === undefined) continue;
    if (!isHttpUrl(v)) throw new ConfigError(`${name} must be a URL such as "https://10.0.0.1:8200", got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  const level = get('VAULT_LOG_LEVEL');
  if (level !== undefined) {
    const parsed = parseLogLevel(level);
    if (parsed === undefined) throw new ConfigError(`VAULT_LOG_LEVEL must be one of trace, debug, info, warn, error, got ${JSON.stringify(level)}`);
    out.log_level = parsed;
  }
  const format = get('VAULT_LOG_FORMAT');
  if (format !== undefined) {
    const parsed = parseLogFormat(format);
    if (parsed === undefined) throw new ConfigError(`VAULT_LOG_FORMAT must be "standard" or "json", got ${JSON.stringify(format)}`);
    out.log_format = parsed;
  }
  const environment = get('COFFER_ENVIRONMENT');
  if (environment !== undefined) out.environment = environment;
  return applySealEnv(out, env);
}
