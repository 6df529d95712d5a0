/** `tidy`, `tidy-status`, `tidy-cancel` and `config/auto-tidy`. */
import { parseDuration } from '../../config/duration.js';
import { field, parseFields } from '../../core/fields.js';
import { LogicalError, type LogicalRequest, type LogicalResponse, type PathDef } from '../../core/logical.js';
import { PATH } from '../records.js';
import type { PkiState } from '../state.js';
import { TIDY_DEFAULTS, type Tidier, type TidyParams } from '../tidy.js';

const TIDY_FIELDS = {
  tidy_cert_store: field.bool(),
  tidy_revoked_certs: field.bool(),
  tidy_revocation_list: field.bool(),
  tidy_revoked_cert_issuer_associations: field.bool(),
  tidy_expired_issuers: field.bool(),
  tidy_move_legacy_ca_bundle: field.bool(),
  tidy_revocation_queue: field.bool(),
  tidy_cross_cluster_revoked_certs: field.bool(),
  tidy_acme: field.bool(),
  safety_buffer: field.duration(),
  issuer_safety_buffer: field.duration(),
  revocation_queue_safety_buffer: field.duration(),
  acme_account_safety_buffer: field.duration(),
  pause_duration: field.string(),
};

export interface AutoTidyConfig extends TidyParams {
  enabled: boolean;
  interval_duration: number;
  maintain_stored_certificate_counts: boolean;
  publish_stored_certificate_count_metrics: boolean;
}

export const AUTO_TIDY_DEFAULTS: AutoTidyConfig = {
  ...TIDY_DEFAULTS,
  enabled: false,
  interval_duration: 12 * 3600,
  maintain_stored_certificate_counts: false,
  publish_stored_certificate_count_metrics: false,
};

/** Applies sent tidy fields over `base`, validating as Vault does. */
function tidyParams(data: Record<string, unknown>, base: TidyParams): { params: TidyParams; pauseMs: number; warnings: string[]; present: Set<string> } {
  const p = parseFields(TIDY_FIELDS, data);
  const out = { ...base } as Record<string, unknown>;
  for (const k of Object.keys(TIDY_DEFAULTS)) if (p.present.has(k)) out[k] = (p.values as Record<string, unknown>)[k];
  if (p.present.has('tidy_revocation_list') && p.values.tidy_revocation_list) out['tidy_revoked_certs'] = true;
  const params = out as unknown as TidyParams;
  if (params.safety_buffer < 1) throw new LogicalError('safety_buffer must be greater than zero');
  if (params.issuer_safety_buffer < 1) throw new LogicalError('issuer_safety_buffer must be greater than zero');
  let pause: number;
  try {
    pause = parseDuration(params.pause_duration);
  } catch (e) {
    throw new LogicalError(`Error parsing pause_duration: ${(e as Error).message}`);
  }
  if (pause < 0) throw new LogicalError('received invalid, negative pause_duration');
  return { params, pauseMs: pause * 1000, warnings: p.warnings, present: p.present };
}

const anyOperation = (p: TidyParams): boolean =>
  p.tidy_cert_store || p.tidy_revoked_certs || p.tidy_revoked_cert_issuer_associations || p.tidy_expired_issuers ||
  p.tidy_move_legacy_ca_bundle || p.tidy_revocation_queue || p.tidy_cross_cluster_revoked_certs || p.tidy_acme;

async function startTidy(tidier: Tidier, req: LogicalRequest): Promise<LogicalResponse> {
  const { params, pauseMs, warnings } = tidyParams(req.data, TIDY_DEFAULTS);
  if (!anyOperation(params)) throw new LogicalError('No tidy operations were requested, nothing to do');
  if (!tidier.start(req.storage, params, pauseMs)) return { warnings: ['Tidy operation already in progress.'] };
  return {
    statusCode: 202,
    data: {},
    warnings: [...warnings, "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs."],
  };
}

function statusData(tidier: Tidier): Record<string, unknown> {
  const s = tidier.status;
  const p = s.params;
  return {
    safety_buffer: p?.safety_buffer ?? null,
    issuer_safety_buffer: p?.issuer_safety_buffer ?? null,
    revocation_queue_safety_buffer: p?.revocation_queue_safety_buffer ?? null,
    acme_account_safety_buffer: p?.acme_account_safety_buffer ?? null,
    tidy_cert_store: p?.tidy_cert_store ?? null,
    tidy_revoked_certs: p?.tidy_revoked_certs ?? null,
    tidy_revoked_cert_issuer_associations: p?.tidy_revoked_cert_issuer_associations ?? null,
    tidy_expired_issuers: p?.tidy_expired_issuers ?? null,
    tidy_move_legacy_ca_bundle: p?.tidy_move_legacy_ca_bundle ?? null,
    tidy_revocation_queue: p?.tidy_revocation_queue ?? null,
    tidy_cross_cluster_revoked_certs: p?.tidy_cross_cluster_revoked_certs ?? null,
    tidy_acme: p?.tidy_acme ?? null,
    pause_duration: p?.pause_duration ?? null,
    state: s.state,
    error: s.error,
    time_started: s.time_started,
    time_finished: s.time_finished,
    message: s.message,
    cert_store_deleted_count: s.cert_store_deleted_count,
    revoked_cert_deleted_count: s.revoked_cert_deleted_count,
    missing_issuer_cert_count: s.missing_issuer_cert_count,
    current_cert_store_count: s.current_cert_store_count,
    current_revoked_cert_count: s.current_revoked_cert_count,
    revocation_queue_deleted_count: 0,
    cross_revoked_cert_deleted_count: 0,
    last_auto_tidy_finished: tidier.lastAutoTidyFinishedMs ? new Date(tidier.lastAutoTidyFinishedMs).toISOString() : null,
  };
}

export async function readAutoTidy(req: LogicalRequest | { storage: LogicalRequest['storage'] }): Promise<AutoTidyConfig> {
  return { ...AUTO_TIDY_DEFAULTS, ...((await req.storage.getJson<AutoTidyConfig>(PATH.autoTidy)) ?? {}) };
}

export function tidyPaths(state: PkiState, tidier: Tidier): PathDef[] {
  return [
    { pattern: 'tidy', operations: { update: (req) => startTidy(tidier, req) } },
    { pattern: 'tidy-status', operations: { read: async () => ({ data: statusData(tidier) }) } },
    {
      pattern: 'tidy-cancel',
      operations: {
        update: async () => {
          if (!tidier.cancel()) throw new LogicalError('Tidy operation cannot be cancelled as none is currently running.');
          return { data: statusData(tidier) };
        },
      },
    },
    {
      pattern: 'config/auto-tidy',
      operations: {
        read: async (req) => ({ data: { ...(await readAutoTidy(req)) } }),
        update: (req) =>
          state.withLock(async () => {
            const current = await readAutoTidy(req);
            const extra = parseFields(
              { enabled: field.bool(), interval_duration: field.duration(), maintain_stored_certificate_counts: field.bool(), publish_stored_certificate_count_metrics: field.bool() },
              Object.fromEntries(Object.entries(req.data).filter(([k]) => k in AUTO_TIDY_DEFAULTS && !(k in TIDY_DEFAULTS))),
            );
            const tidyData = Object.fromEntries(Object.entries(req.data).filter(([k]) => !(k in AUTO_TIDY_DEFAULTS) || k in TIDY_DEFAULTS));
            const { params, warnings } = tidyParams(tidyData, current);
            const next: AutoTidyConfig = { ...current, ...params };
            for (const k of ['enabled', 'interval_duration', 'maintain_stored_certificate_counts', 'publish_stored_certificate_count_metrics'] as const) {
              if (extra.present.has(k)) (next as unknown as Record<string, unknown>)[k] = extra.values[k];
            }
            if (next.enabled && !anyOperation(next)) throw new LogicalError('Auto-tidy enabled but no tidy operations were requested. Enable at least one tidy operation to be run (tidy_*).');
            if (next.publish_stored_certificate_count_metrics && !next.maintain_stored_certificate_counts) {
              throw new LogicalError('Can not publish a stored certificate count metric without first maintaining the count');
            }
            await req.storage.putJson(PATH.autoTidy, next);
            return { data: { ...next }, warnings };
          }),
      },
    },
  ];
}

/** The periodic check (Vault's periodicFunc): starts tidy when auto-tidy is due. */
export async function autoTidyTick(state: PkiState, tidier: Tidier): Promise<void> {
  const cfg = await readAutoTidy({ storage: state.storage });
  if (!cfg.enabled || tidier.isRunning) return;
  if (state.nowMs() - tidier.lastAutoTidyFinishedMs < cfg.interval_duration * 1000) return;
  tidier.start(state.storage, cfg, parseDuration(cfg.pause_duration) * 1000, true);
}
