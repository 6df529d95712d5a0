/**
 * KV v1, the pass-through engine (passthrough.go): a JSON map per path, no versions. Reads report
 * the secret's own `ttl` (or legacy `lease`) key as lease_duration, else the mount's default lease
 * TTL, without creating a lease: the response carries `secret` with internalData.kvPassthrough,
 * which the core renders with an empty lease_id and `secret.ttl` seconds as lease_duration.
 */
import type { Backend, BackendContext, LogicalRequest, LogicalResponse, PathDef } from '../core/logical.js';
import { LogicalError } from '../core/logical.js';
import { parseDuration } from '../config/duration.js';
import { assertStorablePath, isStorablePath, rawListPrefix } from './key-path.js';

/** Vault's parseutil.ParseDurationSecond on a stored `ttl`; undefined if it does not parse. */
function storedTtlSeconds(raw: unknown): number | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  try {
    const seconds = Math.trunc(parseDuration(raw));
    return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
  } catch {
    return undefined;
  }
}

export function leaseSecondsFor(data: Record<string, unknown>, defaultLeaseTtl: number): number {
  const raw = Object.prototype.hasOwnProperty.call(data, 'ttl') ? data['ttl'] : data['lease'];
  return storedTtlSeconds(raw) ?? defaultLeaseTtl;
}

function pathOf(req: LogicalRequest): string {
  const path = req.params['path'] ?? '';
  assertStorablePath(path);
  return path;
}

export function createPassthroughBackend(bctx: BackendContext): Backend {
  const read = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const data = await req.storage.getJson<Record<string, unknown>>(pathOf(req));
    if (data === undefined) return undefined;
    const ttl = leaseSecondsFor(data, bctx.effectiveTtls().defaultLeaseTtl);
    return { data, secret: { ttl, renewable: false, internalData: { kvPassthrough: true } } };
  };

  const write = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const path = pathOf(req);
    if (path === '') throw new LogicalError('missing path');
    if (Object.keys(req.data).length === 0) throw new LogicalError('missing data fields');
    await req.storage.putJson(path, req.data);
    return undefined;
  };

  const remove = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    await req.storage.delete(pathOf(req));
    return undefined;
  };

  const list = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const keys = await req.storage.list(rawListPrefix(pathOf(req)));
    return keys.length === 0 ? undefined : { data: { keys } };
  };

  const path: PathDef = {
    pattern: '(?<path>.*)',
    operations: { read, create: write, update: write, delete: remove, list },
    existenceCheck: async (req) => {
      const p = req.params['path'] ?? '';
      return isStorablePath(p) && (await req.storage.get(p)) !== undefined;
    },
  };
  return { type: 'kv', paths: [path] };
}
