/**
 * The cubbyhole engine (vault/logical_cubbyhole.go): per-token private pass-through storage. The
 * core hands each request a view already narrowed to the calling token's cubbyhole and clears it
 * when the token is revoked; the backend only stores JSON maps. No leases, no lease_duration.
 * Vault answers its few refusals with plain errors (HTTP 500); those statuses are kept.
 */
import type { Backend, BackendContext, LogicalRequest, LogicalResponse, PathDef } from '../core/logical.js';
import { LogicalError } from '../core/logical.js';
import { assertStorablePath, isStorablePath, rawListPrefix } from './key-path.js';

function pathOf(req: LogicalRequest): string {
  if (req.clientToken === '') throw new LogicalError('client token empty', 500);
  const path = req.params['path'] ?? '';
  assertStorablePath(path);
  return path;
}

export function createCubbyholeBackend(_bctx: BackendContext): Backend {
  const read = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const path = pathOf(req);
    if (path === '') throw new LogicalError('missing path', 500);
    const data = await req.storage.getJson<Record<string, unknown>>(path);
    return data === undefined ? undefined : { data };
  };

  const write = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const path = pathOf(req);
    if (Object.keys(req.data).length === 0) throw new LogicalError('missing data fields', 500);
    if (path === '') throw new LogicalError('missing path', 500);
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
  return { type: 'cubbyhole', paths: [path] };
}
