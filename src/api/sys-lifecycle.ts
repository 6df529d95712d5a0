/**
 * The sys endpoints that work while sealed or uninitialised and answer with bare JSON rather than
 * the envelope: health, init, seal-status, unseal, leader.
 */
import type { Core } from '../core/core.js';
import { LogicalError } from '../core/logical.js';
import { parseFields, field, parseGoBool } from '../core/fields.js';

export const VAULT_VERSION = '1.21.0';
export const BUILD_DATE = '2026-11-01T00:00:00Z';

export interface BareResult {
  status: number;
  body?: unknown;
}

const HEALTH_CODES = {
  activecode: 200,
  standbycode: 429,
  drsecondarycode: 472,
  performancestandbycode: 473,
  haunhealthycode: 474,
  removedcode: 530,
  sealedcode: 503,
  uninitcode: 501,
} as const;

/** GET|HEAD sys/health with every override parameter. */
export async function health(core: Core, query: Record<string, string>): Promise<BareResult> {
  const codes: Record<string, number> = { ...HEALTH_CODES };
  for (const name of Object.keys(HEALTH_CODES)) {
    const v = query[name];
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) return { status: 400, body: { errors: [] } };
    codes[name] = Number.parseInt(v, 10);
  }
  for (const flag of ['standbyok', 'perfstandbyok']) {
    const v = query[flag];
    if (v !== undefined && v !== '' && parseGoBool(v) === undefined) {
      return { status: 400, body: { errors: [`bad value for ${flag} parameter: ${v}`] } };
    }
  }
  const initialized = await core.isInitialized();
  const sealed = core.sealed;
  const standby = core.standby;
  const standbyOk = parseGoBool(query['standbyok'] ?? '') === true;
  let status: number;
  if (!initialized) status = codes['uninitcode']!;
  else if (sealed) status = codes['sealedcode']!;
  else if (standby && !standbyOk) status = codes['standbycode']!;
  else status = codes['activecode']!;
  const body: Record<string, unknown> = {
    initialized,
    sealed,
    standby,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: VAULT_VERSION,
    enterprise: false,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
  };
  if (!sealed && initialized) {
    body['cluster_name'] = core.clusterName;
    body['cluster_id'] = core.clusterId;
  }
  return { status, body };
}

export async function sealStatus(core: Core): Promise<Record<string, unknown>> {
  const initialized = await core.isInitialized();
  const p = initialized ? await core.unsealProgress() : { t: 0, n: 0, progress: 0, nonce: '' };
  const out: Record<string, unknown> = {
    type: core.seal.type,
    initialized,
    sealed: core.sealed,
    t: p.t,
    n: p.n,
    progress: p.progress,
    nonce: p.nonce,
    version: VAULT_VERSION,
    build_date: BUILD_DATE,
    migration: core.migrationPending,
    recovery_seal: core.seal.recoverySeal,
    ...(core.seal.recoverySeal ? { recovery_seal_type: 'shamir' } : {}),
    storage_type: core.storageType,
  };
  if (core.sealError) out['warnings'] = [core.sealError];
  if (!core.sealed) {
    out['cluster_name'] = core.clusterName;
    out['cluster_id'] = core.clusterId;
  }
  return out;
}

const initFields = {
  secret_shares: field.int(),
  secret_threshold: field.int(),
  pgp_keys: field.commaStringSlice(),
  root_token_pgp_key: field.string(),
  stored_shares: field.int(),
  recovery_shares: field.int(),
  recovery_threshold: field.int(),
  recovery_pgp_keys: field.commaStringSlice(),
};

export async function init(core: Core, data: Record<string, unknown>): Promise<BareResult> {
  const { values, present } = parseFields(initFields, data);
  const given = (keys: string[]): string[] =>
    keys.filter((k) => present.has(k) && !(k !== 'recovery_pgp_keys' && k !== 'pgp_keys' && values[k as 'recovery_shares'] === 0));
  if (core.seal.recoverySeal) {
    // Auto-unseal: the server forces 1/1 for the barrier; operators get recovery shares.
    const wrong = given(['secret_shares', 'secret_threshold', 'pgp_keys']);
    if (wrong.length > 0) throw new LogicalError(`parameters ${wrong.join(',')} not applicable to seal type ${core.seal.type}`);
  } else {
    const wrong = given(['recovery_shares', 'recovery_threshold', 'recovery_pgp_keys']);
    if (wrong.length > 0) throw new LogicalError(`parameters ${wrong.join(',')} not applicable to seal type shamir`);
  }
  if (values.pgp_keys.length > 0 || values.recovery_pgp_keys.length > 0 || values.root_token_pgp_key !== '') {
    throw new LogicalError('PGP-encrypted key shares are not supported by this server');
  }
  const result = await core.initialize({
    secretShares: values.secret_shares,
    secretThreshold: values.secret_threshold,
    recoveryShares: values.recovery_shares,
    recoveryThreshold: values.recovery_threshold,
  });
  const body: Record<string, unknown> = {
    keys: result.keys.map((k) => k.toString('hex')),
    keys_base64: result.keys.map((k) => k.toString('base64')),
  };
  if (result.recoveryKeys.length > 0) {
    body['recovery_keys'] = result.recoveryKeys.map((k) => k.toString('hex'));
    body['recovery_keys_base64'] = result.recoveryKeys.map((k) => k.toString('base64'));
  }
  body['root_token'] = result.rootToken;
  return { status: 200, body };
}

/** Decodes an unseal key: hex when it decodes to a plausible key length, else base64. */
export function decodeUnsealKey(key: string): Buffer {
  const trimmed = key.trim();
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0 && trimmed.length >= 32) {
    return Buffer.from(trimmed, 'hex');
  }
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0) {
    const b = Buffer.from(trimmed, 'base64');
    if (b.length >= 16) return b;
  }
  throw new LogicalError("'key' must be a valid hex or base64 string");
}

export async function unseal(core: Core, data: Record<string, unknown>): Promise<BareResult> {
  // Vault matches these keys case-insensitively.
  const lower: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) lower[k.toLowerCase()] = v;
  const { values } = parseFields({ key: field.string(), reset: field.bool(), migrate: field.bool() }, lower);
  if (!(await core.isInitialized())) throw new LogicalError('Vault is not initialized');
  if (values.reset) {
    if (!core.sealed) throw new LogicalError('vault is unsealed');
    core.resetUnsealProgress();
    return { status: 200, body: await sealStatus(core) };
  }
  if (values.key === '') throw new LogicalError("'key' must be specified in request body as JSON, or 'reset' set to true");
  const key = decodeUnsealKey(values.key);
  if (core.sealed) await core.submitUnsealKey(key, values.migrate);
  return { status: 200, body: await sealStatus(core) };
}

export async function leader(core: Core, raft?: { stats(): { commitIndex: number; appliedIndex: number } }): Promise<BareResult> {
  if (core.sealed) return { status: 503, body: { errors: ['Vault is sealed'] } };
  const active = core.haEnabled ? await core.activeNode() : undefined;
  const stats = raft?.stats();
  return {
    status: 200,
    body: {
      ha_enabled: core.haEnabled,
      is_self: core.haEnabled ? !core.standby : false,
      active_time: active?.active_time ?? '0001-01-01T00:00:00Z',
      leader_address: active?.api_addr ?? '',
      leader_cluster_address: active ? `https://${active.cluster_addr}` : '',
      performance_standby: false,
      performance_standby_last_remote_wal: 0,
      ...(stats ? { raft_committed_index: stats.commitIndex, raft_applied_index: stats.appliedIndex } : {}),
    },
  };
}
