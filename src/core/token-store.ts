/**
 * The token store: service tokens persisted by hash (never in clear), batch tokens as encrypted
 * self-contained blobs, a parent→child index so revoking a parent revokes its whole tree, and an
 * in-memory cache keyed by token hash so the per-request lookup costs one SHA-256 and a Map get.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { StorageView } from './storage-view.js';
import type { TokenEntry } from './token-entry.js';
import { LogicalError } from './logical.js';
import { randomBase62, sha256Hex } from '../util/ids.js';

export const SERVICE_PREFIX = 'hvs.';
export const BATCH_PREFIX = 'hvb.';

export interface TokenCreateParams {
  id?: string;
  parentHash: string;
  policies: string[];
  meta?: Record<string, string>;
  displayName: string;
  numUses?: number;
  /** Seconds; 0 = never expires (root tokens only). */
  ttl: number;
  explicitMaxTtl?: number;
  period?: number;
  renewable: boolean;
  type: 'service' | 'batch';
  path: string;
  role?: string;
  boundCidrs?: string[];
  internalData?: Record<string, unknown>;
}

interface StoredToken extends Omit<TokenEntry, 'id'> {
  hash: string;
}

export const tokenHash = (token: string): string => sha256Hex(`coffer-token:${token}`);

export class TokenStore {
  private readonly cache = new Map<string, StoredToken>();
  private batchKey: Buffer | undefined;

  constructor(
    private readonly view: StorageView,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<void> {
    this.cache.clear();
    let key = await this.view.get('batch-key');
    if (key === undefined) {
      key = randomBytes(32);
      await this.view.put('batch-key', key);
    }
    this.batchKey = key;
  }

  unload(): void {
    this.cache.clear();
    this.batchKey?.fill(0);
    this.batchKey = undefined;
  }

  async create(p: TokenCreateParams): Promise<{ token: string; entry: TokenEntry }> {
    const now = this.now();
    const base = {
      accessor: p.type === 'batch' ? '' : randomBase62(24),
      parent: p.parentHash,
      policies: p.policies,
      path: p.path,
      meta: p.meta ?? {},
      displayName: p.displayName,
      numUses: p.numUses ?? 0,
      creationTime: now,
      ttl: p.ttl,
      explicitMaxTtl: p.explicitMaxTtl ?? 0,
      period: p.period ?? 0,
      renewable: p.type === 'batch' ? false : p.renewable,
      type: p.type,
      orphan: p.parentHash === '',
      entityId: '',
      expireTime: p.ttl > 0 ? now + p.ttl * 1000 : 0,
      ...(p.role !== undefined ? { role: p.role } : {}),
      ...(p.boundCidrs !== undefined ? { boundCidrs: p.boundCidrs } : {}),
      ...(p.internalData !== undefined ? { internalData: p.internalData } : {}),
    };
    if (p.type === 'batch') {
      const token = BATCH_PREFIX + this.sealBatch(base);
      return { token, entry: { ...base, id: token } };
    }
    const token = p.id ?? SERVICE_PREFIX + randomBase62(24);
    const hash = tokenHash(token);
    if (await this.view.get(`id/${hash}`)) throw new LogicalError('cannot create a token with a duplicate ID');
    const stored: StoredToken = { ...base, hash };
    const ops = [
      { op: 'put' as const, key: `id/${hash}`, value: json(stored) },
      { op: 'put' as const, key: `accessor/${stored.accessor}`, value: json({ hash }) },
    ];
    if (p.parentHash !== '') ops.push({ op: 'put', key: `parent/${p.parentHash}/${hash}`, value: Buffer.alloc(0) });
    await this.view.txn(ops);
    this.cache.set(hash, stored);
    return { token, entry: { ...base, id: token } };
  }

  /** The live entry for a client token, or undefined if unknown, expired or revoked. */
  async lookup(token: string): Promise<TokenEntry | undefined> {
    if (token.startsWith(BATCH_PREFIX)) {
      const entry = this.openBatch(token.slice(BATCH_PREFIX.length));
      if (!entry || this.expired(entry)) return undefined;
      // A batch token dies with its parent.
      if (entry.parent !== '' && !(await this.byHash(entry.parent))) return undefined;
      return { ...entry, id: token };
    }
    const stored = await this.byHash(tokenHash(token));
    if (!stored || this.expired(stored)) return undefined;
    // One copy per request (callers may derive from it); the stored hash rides along unused.
    return { ...stored, id: token };
  }

  async lookupByAccessor(accessor: string): Promise<TokenEntry | undefined> {
    if (!/^[A-Za-z0-9]+$/.test(accessor)) return undefined;
    const ref = await this.view.getJson<{ hash: string }>(`accessor/${accessor}`);
    if (!ref) return undefined;
    const stored = await this.byHash(ref.hash);
    if (!stored || this.expired(stored)) return undefined;
    return { ...stripHash(stored), id: '' };
  }

  hashOf(entry: TokenEntry): string {
    return entry.type === 'batch' ? '' : tokenHash(entry.id);
  }

  async hashByAccessor(accessor: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9]+$/.test(accessor)) return undefined;
    return (await this.view.getJson<{ hash: string }>(`accessor/${accessor}`))?.hash;
  }

  async byHash(hash: string): Promise<StoredToken | undefined> {
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const stored = await this.view.getJson<StoredToken>(`id/${hash}`);
    if (stored) this.cache.set(hash, stored);
    return stored;
  }

  async entryByHash(hash: string): Promise<TokenEntry | undefined> {
    const s = await this.byHash(hash);
    return s ? { ...stripHash(s), id: '' } : undefined;
  }

  private expired(e: { expireTime: number }): boolean {
    return e.expireTime !== 0 && e.expireTime <= this.now();
  }

  /**
   * Spends one use of a limited-use token. Returns false if none was left. The last use
   * revokes the token after the request (the caller does that), like Vault.
   */
  async useToken(hash: string): Promise<{ ok: boolean; exhausted: boolean }> {
    const stored = await this.byHash(hash);
    if (!stored) return { ok: false, exhausted: false };
    if (stored.numUses === 0) return { ok: true, exhausted: false };
    if (stored.numUses < 0) return { ok: false, exhausted: true };
    const next = { ...stored, numUses: stored.numUses === 1 ? -1 : stored.numUses - 1 };
    await this.view.put(`id/${hash}`, json(next));
    this.cache.set(hash, next);
    return { ok: true, exhausted: next.numUses === -1 };
  }

  async update(hash: string, patch: Partial<StoredToken>): Promise<void> {
    const stored = await this.byHash(hash);
    if (!stored) throw new LogicalError('token not found');
    const next = { ...stored, ...patch, hash };
    await this.view.put(`id/${hash}`, json(next));
    this.cache.set(hash, next);
  }

  async children(hash: string): Promise<string[]> {
    return this.view.list(`parent/${hash}/`);
  }

  /** Deletes one token's records (not its children; the revocation walk handles those). */
  async remove(hash: string): Promise<void> {
    const stored = await this.byHash(hash);
    this.cache.delete(hash);
    if (!stored) return;
    const ops = [
      { op: 'delete' as const, key: `id/${hash}` },
      { op: 'delete' as const, key: `accessor/${stored.accessor}` },
    ];
    if (stored.parent !== '') ops.push({ op: 'delete', key: `parent/${stored.parent}/${hash}` });
    await this.view.txn(ops);
  }

  /** Makes `hash` an orphan (revoke-orphan re-parents children to nothing). */
  async orphan(hash: string): Promise<void> {
    const stored = await this.byHash(hash);
    if (!stored || stored.parent === '') return;
    const next = { ...stored, parent: '', orphan: true };
    await this.view.txn([
      { op: 'put', key: `id/${hash}`, value: json(next) },
      { op: 'delete', key: `parent/${stored.parent}/${hash}` },
    ]);
    this.cache.set(hash, next);
  }

  async listAccessors(): Promise<string[]> {
    return this.view.list('accessor/');
  }

  private sealBatch(entry: Omit<TokenEntry, 'id'>): string {
    if (!this.batchKey) throw new Error('token store is not loaded');
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.batchKey, nonce);
    const ct = Buffer.concat([c.update(JSON.stringify(entry), 'utf8'), c.final()]);
    return Buffer.concat([nonce, ct, c.getAuthTag()]).toString('base64url');
  }

  private openBatch(blob: string): Omit<TokenEntry, 'id'> | undefined {
    if (!this.batchKey) return undefined;
    try {
      const raw = Buffer.from(blob, 'base64url');
      if (raw.length < 29) return undefined;
      const d = createDecipheriv('aes-256-gcm', this.batchKey, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(raw.length - 16));
      const pt = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
      return JSON.parse(pt.toString('utf8')) as Omit<TokenEntry, 'id'>;
    } catch {
      return undefined; // forged or from another cluster: simply not a valid token
    }
  }
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

function stripHash(s: StoredToken): Omit<TokenEntry, 'id'> {
  const { hash: _hash, ...rest } = s;
  return rest;
}
