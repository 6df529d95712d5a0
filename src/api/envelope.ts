/** Vault's JSON response envelope and error shape (http/logical.go, sdk/logical/response_util.go). */
import type { CoreResponse } from '../core/core.js';

export interface Envelope {
  request_id: string;
  lease_id: string;
  renewable: boolean;
  lease_duration: number;
  data: Record<string, unknown> | null;
  wrap_info: unknown;
  warnings: string[] | null;
  auth: unknown;
  mount_type: string;
  [injected: string]: unknown;
}

export function renderEnvelope(res: CoreResponse): Envelope {
  const env: Envelope = {
    request_id: res.requestId,
    lease_id: res.leaseId,
    renewable: res.renewable,
    lease_duration: res.leaseDuration,
    data: res.data ?? null,
    wrap_info: res.wrapInfo ?? null,
    warnings: res.warnings && res.warnings.length > 0 ? res.warnings : null,
    auth: res.renderedAuth ?? null,
    mount_type: res.mountType,
  };
  if (res.injectData && res.data) {
    for (const [k, v] of Object.entries(res.data)) if (!(k in env)) env[k] = v;
  }
  return env;
}

/** True when a response carries nothing a client could read (→ 204 for writes, 404 for reads). */
export function isEmptyResponse(res: CoreResponse): boolean {
  return (
    (res.data === undefined || res.data === null) &&
    !res.renderedAuth &&
    (!res.warnings || res.warnings.length === 0) &&
    res.leaseId === '' &&
    res.wrapInfo === undefined &&
    res.raw === undefined &&
    res.bareJson === undefined
  );
}

export function errorBody(errors: string[], data?: Record<string, unknown>): string {
  return JSON.stringify(data ? { errors, data } : { errors });
}
