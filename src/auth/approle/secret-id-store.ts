/**
 * AppRole secret IDs in storage. A secret ID is never stored: its entry lives at
 * `secret_id/<hmac(role name)>/<hmac(secret id)>` and its accessor at
 * `accessor/<hmac(accessor)>`, both HMACs under the mount salt. The entry keeps its own HMAC so
 * a lookup can confirm it in constant time. Use-count updates and deletions for one secret ID
 * are serialised (KeyedMutex per secret-ID HMAC), so a secret ID with N uses logs in at most N
 * times however many logins race.
 */
import { randomUUID } from 'node:crypto';
import type { StorageView } from '../../core/storage-view.js';
import type { TxnOp } from '../../storage/physical.js';
import { KeyedMutex } from '../../kv/keyed-mutex.js';
import type { MountSalt } from '../mount-salt.js';
import { digestsEqual } from '../mount-salt.js';

export interface SecretIdEntry {
  secret_id_hmac: string;
  secret_id_accessor: string;
  secret_id_num_uses: number;
  /** Seconds as requested/derived; 0 = no expiry. */
  secret_id_ttl: number;
  /** Unix ms. */
  creation_time: number;
  /** Unix ms; 0 = never. */
  expiration_time: number;
  last_updated_time: number;
  metadata: Record<string, string>;
  cidr_list: string[];
  token_bound_cidrs: string[];
}

interface AccessorEntry {
  secret_id_hmac: string;
  role_name_hmac: string;
}

/** Why a secret ID could not be used; the login answers all of these the same way. */
export type ConsumeResult =
  | { ok: true; entry: SecretIdEntry }
  | { ok: false; reason: 'unknown' | 'expired' | 'orphaned' };

export class SecretIdStore {
  private readonly locks = new KeyedMutex();

  constructor(private readonly salt: MountSalt) {}

  private async keys(storage: StorageView, roleName: string, secretId: string): Promise<{ roleHmac: string; idHmac: string; key: string }> {
    const roleHmac = await this.salt.hmac(storage, roleName);
    const idHmac = await this.salt.hmac(storage, secretId);
    return { roleHmac, idHmac, key: `secret_id/${roleHmac}/${idHmac}` };
  }

  private accessorKey = async (storage: StorageView, accessor: string): Promise<string> => `accessor/${await this.salt.hmac(storage, accessor)}`;

  /** Registers a new secret ID; refuses one that already exists for the role. */
  async create(
    storage: StorageView,
    roleName: string,
    secretId: string,
    fields: Omit<SecretIdEntry, 'secret_id_hmac' | 'secret_id_accessor' | 'creation_time' | 'last_updated_time'>,
    nowMs: number,
  ): Promise<SecretIdEntry> {
    const { idHmac, key } = await this.keys(storage, roleName, secretId);
    return this.locks.run(idHmac, async () => {
      if (await storage.get(key)) throw new Error('SecretID is already registered');
      const accessor = randomUUID();
      const entry: SecretIdEntry = {
        ...fields,
        secret_id_hmac: idHmac,
        secret_id_accessor: accessor,
        creation_time: nowMs,
        last_updated_time: nowMs,
      };
      const accessorEntry: AccessorEntry = { secret_id_hmac: idHmac, role_name_hmac: await this.salt.hmac(storage, roleName) };
      await storage.txn([
        { op: 'put', key: await this.accessorKey(storage, accessor), value: Buffer.from(JSON.stringify(accessorEntry)) },
        { op: 'put', key, value: Buffer.from(JSON.stringify(entry)) },
      ]);
      return entry;
    });
  }

  private async deleteOps(storage: StorageView, key: string, entry: SecretIdEntry): Promise<TxnOp[]> {
    return [
      { op: 'delete', key: await this.accessorKey(storage, entry.secret_id_accessor) },
      { op: 'delete', key },
    ];
  }

  private async read(storage: StorageView, key: string, idHmac: string): Promise<SecretIdEntry | undefined> {
    const entry = await storage.getJson<SecretIdEntry>(key);
    // The key already is the HMAC; the stored copy is compared in constant time as a guard
    // against a corrupted or misplaced entry.
    if (entry && !digestsEqual(entry.secret_id_hmac, idHmac)) return undefined;
    return entry;
  }

  async lookup(storage: StorageView, roleName: string, secretId: string): Promise<SecretIdEntry | undefined> {
    const { idHmac, key } = await this.keys(storage, roleName, secretId);
    return this.read(storage, key, idHmac);
  }

  async lookupByAccessor(storage: StorageView, roleName: string, accessor: string): Promise<SecretIdEntry | undefined> {
    const acc = await storage.getJson<AccessorEntry>(await this.accessorKey(storage, accessor));
    if (!acc) return undefined;
    const roleHmac = await this.salt.hmac(storage, roleName);
    if (acc.role_name_hmac !== undefined && acc.role_name_hmac !== roleHmac) return undefined;
    return this.read(storage, `secret_id/${roleHmac}/${acc.secret_id_hmac}`, acc.secret_id_hmac);
  }

  /** Deletes a secret ID and its accessor; false if there was none. */
  async destroy(storage: StorageView, roleName: string, secretId: string): Promise<boolean> {
    const { idHmac, key } = await this.keys(storage, roleName, secretId);
    return this.locks.run(idHmac, async () => {
      const entry = await this.read(storage, key, idHmac);
      if (!entry) return false;
      await storage.txn(await this.deleteOps(storage, key, entry));
      return true;
    });
  }

  async destroyByAccessor(storage: StorageView, roleName: string, accessor: string): Promise<boolean> {
    const entry = await this.lookupByAccessor(storage, roleName, accessor);
    if (!entry) return false;
    const roleHmac = await this.salt.hmac(storage, roleName);
    const key = `secret_id/${roleHmac}/${entry.secret_id_hmac}`;
    return this.locks.run(entry.secret_id_hmac, async () => {
      const current = await this.read(storage, key, entry.secret_id_hmac);
      if (!current) return false;
      await storage.txn(await this.deleteOps(storage, key, current));
      return true;
    });
  }

  /** Accessors of every secret ID of a role. */
  async listAccessors(storage: StorageView, roleName: string): Promise<string[]> {
    const roleHmac = await this.salt.hmac(storage, roleName);
    const out: string[] = [];
    for (const idHmac of await storage.list(`secret_id/${roleHmac}/`)) {
      const entry = await storage.getJson<SecretIdEntry>(`secret_id/${roleHmac}/${idHmac}`);
      if (entry) out.push(entry.secret_id_accessor);
    }
    return out;
  }

  /** Removes all secret IDs of a role (role deletion). */
  async flushRole(storage: StorageView, roleName: string): Promise<void> {
    const roleHmac = await this.salt.hmac(storage, roleName);
    for (const idHmac of await storage.list(`secret_id/${roleHmac}/`)) {
      const key = `secret_id/${roleHmac}/${idHmac}`;
      await this.locks.run(idHmac, async () => {
        const entry = await storage.getJson<SecretIdEntry>(key);
        if (entry) await storage.txn(await this.deleteOps(storage, key, entry));
      });
    }
  }

  /**
   * The login's use of a secret ID, atomic per secret ID: it must exist, have an accessor, not be
   * expired, and pass `accept` (the CIDR checks, run before a use is spent); then one use is
   * consumed (the entry is deleted when its last use goes).
   */
  async consume(
    storage: StorageView,
    roleName: string,
    secretId: string,
    nowMs: number,
    accept: (entry: SecretIdEntry) => void,
  ): Promise<ConsumeResult> {
    const { idHmac, key } = await this.keys(storage, roleName, secretId);
    return this.locks.run(idHmac, async (): Promise<ConsumeResult> => {
      const entry = await this.read(storage, key, idHmac);
      if (!entry) return { ok: false, reason: 'unknown' };
      const accessor = await storage.get(await this.accessorKey(storage, entry.secret_id_accessor));
      if (!accessor) {
        await storage.delete(key);
        return { ok: false, reason: 'orphaned' };
      }
      if (entry.expiration_time !== 0 && nowMs >= entry.expiration_time) {
        await storage.txn(await this.deleteOps(storage, key, entry));
        return { ok: false, reason: 'expired' };
      }
      accept(entry);
      if (entry.secret_id_num_uses === 1) {
        await storage.txn(await this.deleteOps(storage, key, entry));
      } else if (entry.secret_id_num_uses > 1) {
        const next: SecretIdEntry = { ...entry, secret_id_num_uses: entry.secret_id_num_uses - 1, last_updated_time: nowMs };
        await storage.put(key, Buffer.from(JSON.stringify(next)));
      }
      return { ok: true, entry };
    });
  }

  /** tidy/secret-id: drops expired secret IDs and accessors whose secret ID is gone. */
  async tidy(storage: StorageView, nowMs: number): Promise<number> {
    let removed = 0;
    const liveHmacs = new Set<string>();
    for (const roleHmac of await storage.list('secret_id/')) {
      for (const idHmac of await storage.list(`secret_id/${roleHmac}`)) {
        const key = `secret_id/${roleHmac}${idHmac}`;
        await this.locks.run(idHmac, async () => {
          const entry = await storage.getJson<SecretIdEntry>(key);
          if (!entry) return;
          if (entry.expiration_time !== 0 && nowMs >= entry.expiration_time) {
            await storage.txn(await this.deleteOps(storage, key, entry));
            removed += 1;
          } else liveHmacs.add(idHmac);
        });
      }
    }
    for (const accKey of await storage.list('accessor/')) {
      const acc = await storage.getJson<AccessorEntry>(`accessor/${accKey}`);
      if (acc && !liveHmacs.has(acc.secret_id_hmac)) {
        await storage.delete(`accessor/${accKey}`);
        removed += 1;
      }
    }
    return removed;
  }
}
