/**
 * Response wrapping (Vault's cubbyhole response wrapping): a response is stored in the cubbyhole
 * of a fresh single-use, orphan token whose only policy is `response-wrapping`; the client gets
 * only that token (`wrap_info`). Unwrapping reads the stored response once and revokes the token.
 */
import type { Core, CoreResponse, RenderedAuth } from './core.js';
import { LogicalError } from './logical.js';
import { StorageView } from './storage-view.js';
import { storagePrefix } from './mount-table.js';
import { tokenHash } from './token-store.js';
import type { TokenEntry } from './token-entry.js';
import { formatRfc3339Nano } from '../util/go-format.js';

export const WRAPPING_POLICY = 'response-wrapping';
export const INVALID_WRAPPING_TOKEN = 'wrapping token is not valid or does not exist';

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

/** What is kept in the wrapping token's cubbyhole. */
interface StoredResponse {
  data: Record<string, unknown> | null;
  auth: RenderedAuth | null;
  warnings: string[] | null;
  lease_id: string;
  renewable: boolean;
  lease_duration: number;
  mount_type: string;
}

export class ResponseWrapper {
  constructor(private readonly core: Core) {}

  private cubbyhole(hash: string): StorageView {
    const mount = this.core.mounts.all('mounts').find((m) => m.type === 'cubbyhole');
    if (!mount) throw new Error('no cubbyhole mount');
    return new StorageView(this.core.store, storagePrefix(mount)).sub(`${hash}/`);
  }

  /** Stores `stored` behind a new wrapping token and returns its wrap_info. */
  async wrap(stored: StoredResponse, ttl: number, creationPath: string, wrappedAccessor?: string): Promise<WrapInfo> {
    const now = this.core.now();
    const creationTime = formatRfc3339Nano(now);
    const { token, entry } = await this.core.issueToken({
      parentHash: '',
      policies: [WRAPPING_POLICY],
      displayName: 'response-wrapping',
      numUses: 1,
      ttl,
      renewable: false,
      type: 'service',
      path: creationPath,
      internalData: { wrapping: true, creationPath, creationTime, creationTtl: ttl },
    });
    await this.cubbyhole(tokenHash(token)).putJson('response', stored);
    return {
      token,
      accessor: entry.accessor,
      ttl,
      creation_time: creationTime,
      creation_path: creationPath,
      ...(wrappedAccessor ? { wrapped_accessor: wrappedAccessor } : {}),
    };
  }

  /** Wraps a finished response: the client gets only wrap_info. */
  async wrapResponse(res: CoreResponse, ttl: number, path: string): Promise<CoreResponse> {
    const stored: StoredResponse = {
      data: res.data ?? null,
      auth: res.renderedAuth ?? null,
      warnings: res.warnings && res.warnings.length > 0 ? res.warnings : null,
      lease_id: res.leaseId,
      renewable: res.renewable,
      lease_duration: res.leaseDuration,
      mount_type: res.mountType,
    };
    const wrapInfo = await this.wrap(stored, ttl, path, res.renderedAuth?.accessor);
    return { requestId: '', mountType: '', leaseId: '', leaseDuration: 0, renewable: false, data: null, wrapInfo };
  }

  /** A live wrapping token's entry, or the Vault error. */
  private async wrappingEntry(token: string): Promise<TokenEntry> {
    const entry = token === '' ? undefined : await this.core.tokens.lookup(token);
    if (!entry || entry.internalData?.['wrapping'] !== true || !entry.policies.includes(WRAPPING_POLICY)) {
      throw new LogicalError(INVALID_WRAPPING_TOKEN);
    }
    return entry;
  }

  /** Returns the wrapped response exactly once; the token is revoked whatever happens next. */
  async unwrap(token: string): Promise<StoredResponse> {
    await this.wrappingEntry(token);
    const hash = tokenHash(token);
    const stored = await this.cubbyhole(hash).getJson<StoredResponse>('response');
    await this.core.revokeTokenTree(hash);
    if (!stored) throw new LogicalError(INVALID_WRAPPING_TOKEN);
    return stored;
  }

  async lookup(token: string): Promise<{ creation_path: string; creation_time: string; creation_ttl: number }> {
    const entry = await this.wrappingEntry(token);
    const d = entry.internalData ?? {};
    return { creation_path: String(d['creationPath'] ?? ''), creation_time: String(d['creationTime'] ?? ''), creation_ttl: Number(d['creationTtl'] ?? 0) };
  }

  async rewrap(token: string): Promise<WrapInfo> {
    const info = await this.lookup(token);
    const stored = await this.unwrap(token);
    return this.wrap(stored, info.creation_ttl, info.creation_path, stored.auth?.accessor);
  }
}

export type { StoredResponse };
