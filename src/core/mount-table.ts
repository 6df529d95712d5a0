/**
 * The mount table: which backend serves which path prefix. Persisted in the barrier at
 * `core/mounts` (secrets engines) and `core/auth` (auth methods), like Vault.
 * Routing picks the longest mount path that prefixes the request path.
 */
import { z } from 'zod';
import { LogicalError } from './logical.js';
import { randomHex, uuid } from '../util/ids.js';

export const mountConfigSchema = z.object({
  default_lease_ttl: z.number().int().nonnegative().default(0),
  max_lease_ttl: z.number().int().nonnegative().default(0),
  force_no_cache: z.boolean().default(false),
  audit_non_hmac_request_keys: z.array(z.string()).optional(),
  audit_non_hmac_response_keys: z.array(z.string()).optional(),
  listing_visibility: z.string().optional(),
  passthrough_request_headers: z.array(z.string()).optional(),
  allowed_response_headers: z.array(z.string()).optional(),
  token_type: z.string().optional(),
});
export type StoredMountConfig = z.infer<typeof mountConfigSchema>;

export const mountEntrySchema = z.object({
  table: z.enum(['mounts', 'auth']),
  /** Path relative to its table, ending in '/': `secret/`, or `approle/` for `auth/approle/`. */
  path: z.string(),
  type: z.string(),
  description: z.string().default(''),
  accessor: z.string(),
  uuid: z.string(),
  local: z.boolean().default(false),
  seal_wrap: z.boolean().default(false),
  external_entropy_access: z.boolean().default(false),
  options: z.record(z.string(), z.string()).nullable().default(null),
  config: mountConfigSchema,
  plugin_version: z.string().default(''),
});
export type MountEntry = z.infer<typeof mountEntrySchema>;

/** Paths no one may mount over. */
const PROTECTED = ['sys/', 'auth/', 'cubbyhole/', 'identity/', 'audit/'];

export function routePrefix(entry: MountEntry): string {
  return entry.table === 'auth' ? `auth/${entry.path}` : entry.path;
}

/** Storage prefix of a mount's own view in the barrier. */
export function storagePrefix(entry: MountEntry): string {
  if (entry.type === 'system') return 'sys/';
  if (entry.type === 'token') return 'sys/token/';
  return entry.table === 'auth' ? `auth/${entry.uuid}/` : `logical/${entry.uuid}/`;
}

export function newMountEntry(
  table: 'mounts' | 'auth',
  path: string,
  type: string,
  rest: Partial<Omit<MountEntry, 'table' | 'path' | 'type'>> = {},
): MountEntry {
  return mountEntrySchema.parse({
    table,
    path,
    type,
    accessor: `${table === 'auth' ? 'auth_' : ''}${type}_${randomHex(4)}`,
    uuid: uuid(),
    config: {},
    ...rest,
  });
}

/** Normalises a user-supplied mount path: no leading slash, exactly one trailing slash. */
export function normaliseMountPath(p: string): string {
  let path = p.trim().replace(/^\/+/, '');
  if (!path.endsWith('/')) path += '/';
  if (path === '/' || path.includes('//') || path.split('/').some((s) => s === '..' || s === '.')) {
    throw new LogicalError(`invalid mount path "${p}"`);
  }
  return path;
}

export class MountTable {
  private entries = new Map<string, MountEntry>(); // key: route prefix
  /** Route prefixes sorted longest first, for longest-prefix routing. */
  private sorted: string[] = [];

  constructor(entries: MountEntry[] = []) {
    for (const e of entries) this.entries.set(routePrefix(e), e);
    this.resort();
  }

  private resort(): void {
    this.sorted = [...this.entries.keys()].sort((a, b) => b.length - a.length);
  }

  all(table?: 'mounts' | 'auth'): MountEntry[] {
    return [...this.entries.values()].filter((e) => table === undefined || e.table === table);
  }

  /** The mount serving `path` (longest prefix), or undefined. */
  match(path: string): MountEntry | undefined {
    for (const prefix of this.sorted) {
      if (path.startsWith(prefix) || path + '/' === prefix) return this.entries.get(prefix);
    }
    return undefined;
  }

  get(routePath: string): MountEntry | undefined {
    return this.entries.get(routePath);
  }

  byAccessor(accessor: string): MountEntry | undefined {
    return [...this.entries.values()].find((e) => e.accessor === accessor);
  }

  /** Throws 409 when `prefix` overlaps an existing mount either way, 403 on protected paths. */
  assertMountable(prefix: string, table: 'mounts' | 'auth'): void {
    if (table === 'mounts' && PROTECTED.some((p) => prefix.startsWith(p))) {
      throw new LogicalError(`cannot mount "${prefix}"`, 403);
    }
    for (const existing of this.entries.keys()) {
      if (existing.startsWith(prefix) || prefix.startsWith(existing)) {
        throw new LogicalError(`path is already in use at ${existing}`, 409);
      }
    }
  }

  add(entry: MountEntry): void {
    this.entries.set(routePrefix(entry), entry);
    this.resort();
  }

  remove(routePath: string): MountEntry | undefined {
    const e = this.entries.get(routePath);
    this.entries.delete(routePath);
    this.resort();
    return e;
  }

  toJSON(table: 'mounts' | 'auth'): MountEntry[] {
    return this.all(table);
  }
}
