/**
 * Operations that need a quorum of unseal key holders rather than a token:
 * `sys/generate-root/*` (a new root token, delivered XOR-encoded with a one-time password) and
 * `sys/rekey/*` (new unseal key shares, optionally verified before they take effect).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Core } from './core.js';
import { LogicalError } from './logical.js';
import { ShareCollector } from './share-collector.js';
import { combineShares } from './shamir-seal.js';
import { randomBase62 } from '../util/ids.js';

/** Root tokens are `hvs.` + 24 base62 = 28 characters; the OTP matches that length. */
export const OTP_LENGTH = 28;

export function xorEncodeToken(token: string, otp: string): string {
  const t = Buffer.from(token, 'utf8');
  const o = Buffer.from(otp, 'utf8');
  if (t.length !== o.length) throw new Error('token and OTP lengths differ');
  const out = Buffer.alloc(t.length);
  for (let i = 0; i < t.length; i++) out[i] = t[i]! ^ o[i]!;
  return out.toString('base64').replace(/=+$/, ''); // Go's base64.RawStdEncoding
}

export function xorDecodeToken(encoded: string, otp: string): string {
  const e = Buffer.from(encoded, 'base64');
  const o = Buffer.from(otp, 'utf8');
  const out = Buffer.alloc(e.length);
  for (let i = 0; i < e.length; i++) out[i] = e[i]! ^ o[i]!;
  return out.toString('utf8');
}

interface RootAttempt {
  collector: ShareCollector;
  otp: string;
  encodedToken: string;
}

export class RootGeneration {
  private attempt: RootAttempt | undefined;

  constructor(private readonly core: Core) {}

  async status(): Promise<Record<string, unknown>> {
    const config = await this.core.seal.config();
    const a = this.attempt;
    return {
      started: a !== undefined,
      nonce: a?.collector.nonce ?? '',
      progress: a?.collector.progress ?? 0,
      required: config?.secret_threshold ?? 0,
      complete: a !== undefined && a.encodedToken !== '',
      encoded_token: a?.encodedToken ?? '',
      encoded_root_token: a?.encodedToken ?? '',
      pgp_fingerprint: '',
      otp: '',
      otp_length: OTP_LENGTH,
    };
  }

  async start(opts: { pgpKey: string; otp: string }): Promise<Record<string, unknown>> {
    this.assertReady();
    if (this.attempt) throw new LogicalError('root generation already in progress');
    if (opts.pgpKey !== '') throw new LogicalError('PGP-encrypted root tokens are not supported by this server; use the OTP flow');
    const config = await this.core.seal.config();
    if (!config) throw new LogicalError('Vault is not initialized');
    let otp = opts.otp;
    if (otp !== '' && otp.length !== OTP_LENGTH) throw new LogicalError(`OTP string is wrong length, expected ${OTP_LENGTH}`);
    const generated = otp === '';
    if (generated) otp = randomBase62(OTP_LENGTH);
    this.attempt = { collector: new ShareCollector(config.secret_threshold), otp, encodedToken: '' };
    return { ...(await this.status()), otp: generated ? otp : '' };
  }

  cancel(): void {
    this.attempt?.collector.reset();
    this.attempt = undefined;
  }

  async update(key: Buffer, nonce: string): Promise<Record<string, unknown>> {
    this.assertReady();
    const a = this.attempt;
    if (!a) throw new LogicalError('no root generation in progress');
    if (a.encodedToken !== '') throw new LogicalError('root generation already complete');
    a.collector.checkNonce(nonce);
    const shares = a.collector.add(key);
    if (shares) {
      try {
        const rootKey = await this.core.seal.rootKeyFromShares(shares);
        rootKey.fill(0); // proof of quorum only
      } catch (e) {
        a.collector.reset();
        throw e;
      }
      const token = await this.core.createRootToken();
      a.encodedToken = xorEncodeToken(token, a.otp);
      this.core.log.info('core: root token generated with a quorum of unseal keys');
    }
    const status = await this.status();
    if (a.encodedToken !== '') this.attempt = undefined; // single use: the next status is idle
    return status;
  }

  private assertReady(): void {
    if (this.core.sealed) throw new LogicalError('Vault is sealed', 503);
  }
}

interface RekeyAttempt {
  collector: ShareCollector;
  shares: number;
  threshold: number;
  verification: boolean;
  /** Set once the old quorum authorised the rekey and verification is pending. */
  pending?: { kek: Buffer; rootKey: Buffer; verifier: ShareCollector; keys: Buffer[] };
}

export class Rekey {
  private attempt: RekeyAttempt | undefined;

  constructor(private readonly core: Core) {}

  async status(): Promise<Record<string, unknown>> {
    const config = await this.core.seal.config();
    const a = this.attempt;
    return {
      nonce: a?.collector.nonce ?? '',
      started: a !== undefined,
      t: a?.threshold ?? 0,
      n: a?.shares ?? 0,
      progress: a?.collector.progress ?? 0,
      required: config?.secret_threshold ?? 0,
      pgp_fingerprints: null,
      backup: false,
      verification_required: a?.verification ?? false,
      ...(a?.pending ? { verification_nonce: a.pending.verifier.nonce } : {}),
    };
  }

  async start(opts: { shares: number; threshold: number; pgpKeys: string[]; backup: boolean; requireVerification: boolean }): Promise<Record<string, unknown>> {
    if (this.core.sealed) throw new LogicalError('Vault is sealed', 503);
    if (this.attempt) throw new LogicalError('rekey already in progress');
    if (opts.pgpKeys.length > 0 || opts.backup) throw new LogicalError('PGP-encrypted key shares and backups are not supported by this server');
    const config = await this.core.seal.config();
    if (!config) throw new LogicalError('Vault is not initialized');
    this.core.seal.prepareRekey(opts.shares, opts.threshold).kek.fill(0); // validates the parameters
    this.attempt = {
      collector: new ShareCollector(config.secret_threshold),
      shares: opts.shares,
      threshold: opts.threshold,
      verification: opts.requireVerification,
    };
    return this.status();
  }

  cancel(): void {
    const a = this.attempt;
    a?.collector.reset();
    a?.pending?.kek.fill(0);
    a?.pending?.rootKey.fill(0);
    this.attempt = undefined;
  }

  async update(key: Buffer, nonce: string): Promise<Record<string, unknown>> {
    const a = this.attempt;
    if (!a) throw new LogicalError('no rekey in progress');
    if (a.pending) throw new LogicalError('rekey is awaiting verification of the new keys');
    a.collector.checkNonce(nonce);
    const shares = a.collector.add(key);
    if (!shares) return this.status();
    let rootKey: Buffer;
    try {
      rootKey = await this.core.seal.rootKeyFromShares(shares);
    } catch (e) {
      a.collector.reset();
      throw e;
    }
    const { kek, keys } = this.core.seal.prepareRekey(a.shares, a.threshold);
    const result = {
      nonce: a.collector.nonce,
      complete: true,
      keys: keys.map((k) => k.toString('hex')),
      keys_base64: keys.map((k) => k.toString('base64')),
      pgp_fingerprints: null,
      backup: false,
      verification_required: a.verification,
    };
    if (a.verification) {
      a.pending = { kek, rootKey, verifier: new ShareCollector(a.threshold), keys };
      return { ...result, verification_nonce: a.pending.verifier.nonce };
    }
    await this.core.seal.commitRekey(rootKey, kek, a.shares, a.threshold);
    kek.fill(0);
    rootKey.fill(0);
    this.attempt = undefined;
    this.core.log.info('core: unseal keys rekeyed', { shares: result.keys.length });
    return result;
  }

  verifyStatus(): Record<string, unknown> {
    const p = this.attempt?.pending;
    if (!p) throw new LogicalError('no rekey verification in progress');
    return { nonce: p.verifier.nonce, started: true, t: this.attempt!.threshold, n: this.attempt!.shares, progress: p.verifier.progress };
  }

  async verify(key: Buffer, nonce: string): Promise<Record<string, unknown>> {
    const a = this.attempt;
    const p = a?.pending;
    if (!a || !p) throw new LogicalError('no rekey verification in progress');
    p.verifier.checkNonce(nonce);
    const shares = p.verifier.add(key);
    if (!shares) return { nonce: p.verifier.nonce, complete: false };
    const combined = combineShares(shares, a.threshold);
    const ok = combined.length === p.kek.length && timingSafeEqual(combined, p.kek);
    combined.fill(0);
    if (!ok) {
      p.verifier.reset();
      throw new LogicalError('failed to verify new keys: the provided keys do not combine to the new key');
    }
    await this.core.seal.commitRekey(p.rootKey, p.kek, a.shares, a.threshold);
    const nonceOut = p.verifier.nonce;
    this.cancel();
    return { nonce: nonceOut, complete: true };
  }
}
