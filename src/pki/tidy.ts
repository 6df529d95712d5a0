/**
 * Tidy: removes expired certificates (past a safety buffer) from `certs/` and `revoked/`, fixes
 * revoked entries' issuer associations and deletes long-expired issuers. Runs in the background;
 * its progress is what `tidy-status` reports. The periodic driver (auto-tidy) lives here too.
 */
import type { StorageView } from '../core/storage-view.js';
import { parseCertificate } from './cert-parse.js';
import { IssuerSet } from './issuer-set.js';
import { PATH, type RevokedRecord } from './records.js';
import { issuerOf } from './paths/revoke.js';
import type { PkiState } from './state.js';

export interface TidyParams {
  tidy_cert_store: boolean;
  tidy_revoked_certs: boolean;
  tidy_revoked_cert_issuer_associations: boolean;
  tidy_expired_issuers: boolean;
  tidy_move_legacy_ca_bundle: boolean;
  tidy_revocation_queue: boolean;
  tidy_cross_cluster_revoked_certs: boolean;
  tidy_acme: boolean;
  /** Seconds. */
  safety_buffer: number;
  issuer_safety_buffer: number;
  revocation_queue_safety_buffer: number;
  acme_account_safety_buffer: number;
  /** Go duration text. */
  pause_duration: string;
}

export const TIDY_DEFAULTS: TidyParams = {
  tidy_cert_store: false,
  tidy_revoked_certs: false,
  tidy_revoked_cert_issuer_associations: false,
  tidy_expired_issuers: false,
  tidy_move_legacy_ca_bundle: false,
  tidy_revocation_queue: false,
  tidy_cross_cluster_revoked_certs: false,
  tidy_acme: false,
  safety_buffer: 72 * 3600,
  issuer_safety_buffer: 365 * 24 * 3600,
  revocation_queue_safety_buffer: 48 * 3600,
  acme_account_safety_buffer: 30 * 24 * 3600,
  pause_duration: '0s',
};

export type TidyState = 'Inactive' | 'Running' | 'Finished' | 'Error' | 'Cancelling' | 'Cancelled';

export interface TidyStatus {
  state: TidyState;
  params: TidyParams | null;
  error: string | null;
  time_started: string | null;
  time_finished: string | null;
  message: string | null;
  cert_store_deleted_count: number;
  revoked_cert_deleted_count: number;
  missing_issuer_cert_count: number;
  current_cert_store_count: number | null;
  current_revoked_cert_count: number | null;
}

export class Tidier {
  status: TidyStatus = idleStatus();
  private cancelRequested = false;
  private running: Promise<void> | undefined;
  lastAutoTidyFinishedMs = 0;

  constructor(
    private readonly state: PkiState,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  get isRunning(): boolean {
    return this.status.state === 'Running' || this.status.state === 'Cancelling';
  }

  /** Starts a run in the background; false when one is already in progress. */
  start(storage: StorageView, params: TidyParams, pauseMs: number, auto = false): boolean {
    if (this.isRunning) return false;
    this.cancelRequested = false;
    this.status = {
      ...idleStatus(),
      state: 'Running',
      params,
      time_started: new Date(this.state.nowMs()).toISOString(),
      message: 'Tidying certificate store: checking entry 0',
    };
    this.running = this.run(storage, params, pauseMs).then(
      () => {
        this.status.state = this.cancelRequested ? 'Cancelled' : 'Finished';
        this.status.message = this.cancelRequested ? 'Tidy operation cancelled' : 'Tidying finished';
      },
      (e: unknown) => {
        this.status.state = 'Error';
        this.status.error = (e as Error).message;
      },
    ).finally(() => {
      this.status.time_finished = new Date(this.state.nowMs()).toISOString();
      if (auto) this.lastAutoTidyFinishedMs = this.state.nowMs();
      this.running = undefined;
    });
    return true;
  }

  cancel(): boolean {
    if (!this.isRunning) return false;
    this.cancelRequested = true;
    this.status.state = 'Cancelling';
    return true;
  }

  /** Resolves when the current run (if any) ends: for tests and shutdown. */
  async settled(): Promise<void> {
    await this.running;
  }

  private async pause(ms: number): Promise<void> {
    if (ms > 0) await this.sleep(ms);
  }

  private async run(storage: StorageView, p: TidyParams, pauseMs: number): Promise<void> {
    const now = this.state.nowMs();
    const set = await IssuerSet.load(storage);
    if (p.tidy_cert_store) {
      const keys = await storage.list(PATH.certs);
      this.status.current_cert_store_count = keys.length;
      for (const [i, k] of keys.entries()) {
        if (this.cancelRequested) return;
        this.status.message = `Tidying certificate store: checking entry ${i} of ${keys.length}`;
        const der = await storage.get(PATH.certs + k);
        if (!der) continue;
        let expiredMs: number;
        try {
          expiredMs = parseCertificate(der).notAfter.getTime();
        } catch {
          await storage.delete(PATH.certs + k); // unparsable entries are garbage, as in Vault
          this.status.cert_store_deleted_count++;
          continue;
        }
        if (now > expiredMs + p.safety_buffer * 1000) {
          await storage.delete(PATH.certs + k);
          this.status.cert_store_deleted_count++;
        }
        await this.pause(pauseMs);
      }
      this.status.current_cert_store_count = keys.length - this.status.cert_store_deleted_count;
    }
    if (p.tidy_revoked_certs || p.tidy_revoked_cert_issuer_associations) {
      await this.state.revocation.ready(storage);
      const keys = await storage.list(PATH.revoked);
      this.status.current_revoked_cert_count = keys.length;
      for (const [i, k] of keys.entries()) {
        if (this.cancelRequested) return;
        this.status.message = `Tidying revoked certificates: checking certificate ${i} of ${keys.length}`;
        const rec = await storage.getJson<RevokedRecord>(PATH.revoked + k);
        if (!rec) continue;
        const der = Buffer.from(rec.certificate_bytes, 'base64');
        const cert = parseCertificate(der);
        if (p.tidy_revoked_certs && now > cert.notAfter.getTime() + p.safety_buffer * 1000) {
          await storage.delete(PATH.revoked + k);
          await storage.delete(PATH.certs + k);
          this.state.revocation.remove(k, storage);
          this.status.revoked_cert_deleted_count++;
        } else if (p.tidy_revoked_cert_issuer_associations && (!rec.issuer_id || !set.issuers.has(rec.issuer_id))) {
          const id = issuerOf(set, cert);
          if (id) {
            await storage.putJson(PATH.revoked + k, { ...rec, issuer_id: id });
          } else this.status.missing_issuer_cert_count++;
        }
        await this.pause(pauseMs);
      }
      this.status.current_revoked_cert_count = keys.length - this.status.revoked_cert_deleted_count;
    }
    if (p.tidy_expired_issuers) {
      this.status.message = 'Tidying expired issuers';
      let changed = false;
      await this.state.withLock(async () => {
        for (const li of set.orderedIssuers()) {
          if (li.rec.id === set.issuersConfig.default) continue;
          if (now > li.cert.notAfter.getTime() + p.issuer_safety_buffer * 1000) {
            await storage.delete(PATH.issuer + li.rec.id);
            changed = true;
          }
        }
      });
      if (changed) this.state.issuersChanged();
    }
  }
}

function idleStatus(): TidyStatus {
  return {
    state: 'Inactive',
    params: null,
    error: null,
    time_started: null,
    time_finished: null,
    message: null,
    cert_store_deleted_count: 0,
    revoked_cert_deleted_count: 0,
    missing_issuer_cert_count: 0,
    current_cert_store_count: null,
    current_revoked_cert_count: null,
  };
}
