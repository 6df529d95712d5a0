/**
 * AppRole roles in storage: `role/<lower-cased name>` holds the role, `role_id/<hmac(role_id)>`
 * maps a role ID back to its role (the login lookup). Role IDs are stored in the role entry in
 * the clear, as Vault does (they are readable at role/:name/role-id), but indexed by HMAC.
 */
import type { StorageView } from '../../core/storage-view.js';
import { LogicalError } from '../../core/logical.js';
import type { MountSalt } from '../mount-salt.js';
import type { LegacyTokenValues, TokenParams } from '../tokenutil.js';
import { storedTokenParams } from '../tokenutil.js';

export interface AppRoleEntry {
  name: string;
  role_id: string;
  bind_secret_id: boolean;
  secret_id_bound_cidrs: string[];
  secret_id_num_uses: number;
  /** Seconds; 0 = secret IDs do not expire. */
  secret_id_ttl: number;
  local_secret_ids: boolean;
  token: TokenParams;
  legacy: LegacyTokenValues;
}

interface RoleIdIndex {
  name: string;
}

export class AppRoleStore {
  constructor(private readonly salt: MountSalt) {}

  async get(storage: StorageView, name: string): Promise<AppRoleEntry | undefined> {
    const raw = await storage.getJson<AppRoleEntry>(`role/${name.toLowerCase()}`);
    return raw ? { ...raw, token: storedTokenParams(raw.token), legacy: raw.legacy ?? {} } : undefined;
  }

  list(storage: StorageView): Promise<string[]> {
    return storage.list('role/');
  }

  async nameForRoleId(storage: StorageView, roleId: string): Promise<string | undefined> {
    const idx = await storage.getJson<RoleIdIndex>(`role_id/${await this.salt.hmac(storage, roleId)}`);
    return idx?.name;
  }

  /** Vault's validateRoleConstraints. */
  static hasConstraint(role: AppRoleEntry): boolean {
    return role.bind_secret_id || role.secret_id_bound_cidrs.length > 0 || role.token.token_bound_cidrs.length > 0;
  }

  /**
   * Persists the role and its role-ID index (setRoleEntry): refuses a role without constraints
   * and a role ID that another role already uses; moves the index when the role ID changed.
   */
  async put(storage: StorageView, role: AppRoleEntry, previousRoleId: string): Promise<void> {
    if (!AppRoleStore.hasConstraint(role)) throw new LogicalError('at least one constraint should be enabled on the role');
    const idKey = `role_id/${await this.salt.hmac(storage, role.role_id)}`;
    const existing = await storage.getJson<RoleIdIndex>(idKey);
    if (existing && existing.name !== role.name) throw new LogicalError('role_id already in use');
    const ops: Array<{ op: 'put'; key: string; value: Buffer } | { op: 'delete'; key: string }> = [
      { op: 'put', key: `role/${role.name}`, value: Buffer.from(JSON.stringify(role)) },
      { op: 'put', key: idKey, value: Buffer.from(JSON.stringify({ name: role.name } satisfies RoleIdIndex)) },
    ];
    if (previousRoleId !== '' && previousRoleId !== role.role_id) {
      ops.push({ op: 'delete', key: `role_id/${await this.salt.hmac(storage, previousRoleId)}` });
    }
    await storage.txn(ops);
  }

  async delete(storage: StorageView, role: AppRoleEntry): Promise<void> {
    await storage.txn([
      { op: 'delete', key: `role_id/${await this.salt.hmac(storage, role.role_id)}` },
      { op: 'delete', key: `role/${role.name}` },
    ]);
  }
}
