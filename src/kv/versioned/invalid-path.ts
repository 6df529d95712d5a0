/**
 * Everything a KV v2 mount does not serve (backend.go pathInvalid): a 404 whose warning points
 * at the right API or `vault kv` subcommand. Must be the last path: it matches anything.
 */
import type { LogicalRequest, LogicalResponse, Operation, PathDef } from '../../core/logical.js';

const ROOTS = new Set(['metadata', 'data', 'delete', 'undelete', 'destroy']);
const SUBCOMMAND: Partial<Record<Operation, string>> = {
  create: 'put',
  update: 'put',
  patch: 'patch',
  read: 'get',
  list: 'list',
  delete: 'delete',
};

export const ROOT_WARNING = 'Non-listing operations on the root of a K/V v2 mount are not supported.';

export const invalidPathWarning = (subcommand: string): string =>
  `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${subcommand}' for this operation.`;

async function invalid(req: LogicalRequest): Promise<LogicalResponse> {
  const warning = ROOTS.has(req.relativePath) ? ROOT_WARNING : invalidPathWarning(SUBCOMMAND[req.operation] ?? '');
  return { statusCode: 404, data: null, warnings: [warning] };
}

export function invalidPath(): PathDef {
  return { pattern: '.*', operations: { read: invalid, update: invalid, patch: invalid, delete: invalid, list: invalid } };
}
