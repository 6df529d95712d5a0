/**
 * A per-mount secret salt kept in the mount's own storage (behind the barrier), used to key
 * HMAC-SHA256 of credentials before they become storage keys: secret IDs, accessors and role IDs
 * are never stored in the clear, and equal inputs on two mounts hash differently.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StorageView } from '../core/storage-view.js';

const SALT_KEY = 'salt';

export class MountSalt {
  private loading: Promise<Buffer> | undefined;

  /** Loads the salt, creating and persisting it on first use. */
  private load(storage: StorageView): Promise<Buffer> {
    this.loading ??= (async () => {
      const stored = await storage.getJson<{ salt: string }>(SALT_KEY);
      if (stored) return Buffer.from(stored.salt, 'hex');
      const salt = randomBytes(32);
      await storage.putJson(SALT_KEY, { salt: salt.toString('hex') });
      return salt;
    })().catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  /** Hex HMAC-SHA256 of `value` under the mount salt (safe to use as a storage key). */
  async hmac(storage: StorageView, value: string): Promise<string> {
    const salt = await this.load(storage);
    return createHmac('sha256', salt).update(value, 'utf8').digest('hex');
  }
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
