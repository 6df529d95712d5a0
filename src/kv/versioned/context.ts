/**
 * What every KV v2 path handler shares: the clock, the per-key lock table, the storage layout
 * over the request's view, and the guard that refuses requests while a v1→v2 upgrade runs.
 */
import type { LogicalRequest, LogicalResponse } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { KeyedMutex } from '../keyed-mutex.js';
import { cleanKeyPath } from '../key-path.js';
import { VersionedKvStore } from './store.js';

export const UPGRADING_MESSAGE =
  'Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.';

/** Lock name for the mount config (cannot collide with a cleaned secret path, which has no NUL). */
export const CONFIG_LOCK = '\u0000config';

export class V2Context {
  readonly locks = new KeyedMutex();
  upgrading = false;

  constructor(private readonly clock: () => Date) {}

  nowMs(): number {
    return this.clock().getTime();
  }

  store(req: LogicalRequest): VersionedKvStore {
    if (this.upgrading) throw new LogicalError(UPGRADING_MESSAGE);
    return new VersionedKvStore(req.storage);
  }
}

/** The secret path named by the request (cleaned; '' when it names nothing). */
export function secretKey(req: LogicalRequest): string {
  return cleanKeyPath(req.params['path'] ?? '');
}

/** Vault adds "unrecognized parameters" warnings to a response, never turns nothing into one. */
export function withWarnings<T extends LogicalResponse | undefined>(res: T, warnings: string[]): T {
  if (res === undefined || warnings.length === 0) return res;
  res.warnings = [...(res.warnings ?? []), ...warnings];
  return res;
}

/**
 * Vault's RespondWithStatusCode(nil, req, 404): a 404 with an empty body (PATCH of a secret that
 * does not exist). Distinct from "nothing", which a write would turn into 204.
 */
export const emptyNotFound = (): LogicalResponse => ({ raw: { status: 404, contentType: 'application/json', body: '' } });
