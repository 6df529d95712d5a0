/**
 * Secret paths as storage keys. KV v1 and cubbyhole store under the raw request path (as Vault
 * does); the views refuse `.`/`..` segments and a leading `/`, so such paths are refused here with
 * a client error instead of surfacing as a storage failure. KV v2 cleans paths the way Vault's
 * encrypted key storage does (path.Clean), so `a//b/`, `a/./b` and `a/b` name the same secret.
 */
import { LogicalError } from '../core/logical.js';

/** Whether a view accepts `path` as a key (existence checks answer "no" rather than refuse). */
export function isStorablePath(path: string): boolean {
  if (path.startsWith('/')) return false;
  const segments = path.split('/');
  return !segments.includes('..') && !segments.includes('.');
}

export function assertStorablePath(path: string): void {
  if (path.startsWith('/')) throw new LogicalError(`invalid path "${path}": must not start with "/"`);
  const segments = path.split('/');
  if (segments.includes('..')) throw new LogicalError('relative paths not supported');
  if (segments.includes('.')) throw new LogicalError(`invalid path "${path}": "." segments are not supported`);
}

/** Go's path.Clean on a rooted path, without the root: no empty, `.` or `..` segments, no trailing `/`. */
export function cleanKeyPath(raw: string): string {
  const out: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out.join('/');
}

/** The folder to list for a LIST request's path: '' for the root, else the cleaned path plus `/`. */
export function listPrefix(raw: string): string {
  const clean = cleanKeyPath(raw);
  return clean === '' ? '' : `${clean}/`;
}

/** The folder to list for KV v1 / cubbyhole (raw paths, as stored): '' or the path ending in `/`. */
export function rawListPrefix(raw: string): string {
  return raw === '' || raw.endsWith('/') ? raw : `${raw}/`;
}
