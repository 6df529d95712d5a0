/**
 * The HSM-facing half of the pkcs11 seal: open a token, find (or create) the seal key, and
 * encrypt/decrypt small secrets (the root key) with it.
 *
 * One PKCS#11 session per seal. A session runs one operation at a time (C_EncryptInit then
 * C_Encrypt), so operations are queued; the crypto call itself runs on libuv's thread pool
 * (pkcs11js *Async) so a slow HSM does not block the event loop.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  decodeBlob, encodeHeader, GCM_IV_BYTES, GCM_TAG_BYTES, OAEP_NONE, OAEP_SHA1, OAEP_SHA256,
  type BlobHeader, type DecodedBlob, type OaepHash,
} from './blob.js';
import { CKM_AES_GCM, CKM_RSA_PKCS_OAEP, mechanismHex, mechanismName, resolveConfig, type Pkcs11SealConfig } from './config.js';
import { Pkcs11SealError, describeNativeError, returnValueOf } from './errors.js';
import { findSealKey, generateSealKey, AES_KEY_BYTES, type SealKey } from './keys.js';
import { acquireLibrary, loginSlot, logoutSlot, pkcs11js, releaseLibrary, type LoadedLibrary } from './library.js';
import { describeSlot, selectSlot, type SelectedSlot } from './slots.js';

/** CKZ_DATA_SPECIFIED: the OAEP label source (empty label); pkcs11js does not export it. */
const CKZ_DATA_SPECIFIED = 1;
/** Room for an RSA-8192 ciphertext; pkcs11js trims the buffer to the real length. */
const MAX_RSA_BYTES = 1024;

export interface Pkcs11KeyInfo {
  label: string;
  /** CKA_ID, hex. */
  id: string;
  /** As configured: "0x1087" or "0x0009". */
  mechanism: string;
}

export interface Pkcs11TokenInfo {
  slot: string;
  label: string;
  manufacturer: string;
  model: string;
}

function gcmParams(iv: Buffer, aad: Buffer) {
  return { type: pkcs11js.CK_PARAMS_GCM, iv, aad, ivBits: GCM_IV_BYTES * 8, tagBits: GCM_TAG_BYTES * 8 };
}

function oaepParams(hash: OaepHash) {
  return hash === OAEP_SHA256
    ? { type: pkcs11js.CK_PARAMS_RSA_OAEP, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, source: CKZ_DATA_SPECIFIED }
    : { type: pkcs11js.CK_PARAMS_RSA_OAEP, hashAlg: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1, source: CKZ_DATA_SPECIFIED };
}

/** In-process AES-256-GCM for the OAEP envelope: returns ciphertext || tag. */
function sealLocally(dataKey: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function openLocally(dataKey: Buffer, iv: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', dataKey, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
}

/**
 * A zero-length Buffer reaches the library as a NULL pointer, which SoftHSM rejects with
 * CKR_ARGUMENTS_BAD; an empty view into a real allocation passes a valid pointer.
 */
function nonNullBuffer(data: Buffer): Buffer {
  return data.length > 0 ? data : Buffer.alloc(1).subarray(0, 0);
}

function cacheKey(mechanism: number, label: string, id: Buffer): string {
  return `${mechanism}|${id.toString('hex')}|${label}`;
}

export class Pkcs11Seal {
  private closed = false;
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  /** Decrypting keys by (mechanism, id, label), so old blobs after a rotation find their key. */
  private readonly decryptKeys = new Map<string, Buffer>();
  private readonly where: string;

  private constructor(
    private readonly lib: LoadedLibrary,
    private readonly slot: SelectedSlot,
    private session: Buffer,
    private readonly sessionFlags: number,
    private readonly key: SealKey,
    private readonly oaepHash: OaepHash | typeof OAEP_NONE,
  ) {
    this.where = describeSlot(slot);
    this.decryptKeys.set(cacheKey(key.mechanism, key.label, key.id), key.decryptHandle);
  }

  /** Loads the library, finds the token, logs in and finds (or generates) the seal key. */
  static open(config: Pkcs11SealConfig): Pkcs11Seal {
    const cfg = resolveConfig(config);
    const lib = acquireLibrary(cfg.lib);
    let session: Buffer | undefined;
    let slotKey: string | undefined;
    const sessionFlags = pkcs11js.CKF_SERIAL_SESSION | (cfg.generateKey ? pkcs11js.CKF_RW_SESSION : 0);
    try {
      const slot = selectSlot(lib, cfg);
      const where = describeSlot(slot);
      requireMechanism(lib, slot, cfg.mechanism);
      try {
        session = lib.p11.C_OpenSession(slot.handle, sessionFlags);
      } catch (err) {
        throw new Pkcs11SealError('slot', `pkcs11 seal: cannot open a session on ${where} (${describeNativeError(err)}): check the token is present and not at its session limit`, { cause: err });
      }
      loginSlot(lib, String(slot.id), session, cfg.pin, where);
      slotKey = String(slot.id);
      const want = { mechanism: cfg.mechanism, label: cfg.keyLabel, id: cfg.keyId };
      let key = findSealKey(lib.p11, session, { ...want, need: 'encrypt+decrypt' }, where);
      if (!key) {
        if (!cfg.generateKey) {
          const kind = cfg.mechanism === CKM_AES_GCM ? 'an AES-256 secret key' : 'an RSA key pair (both halves)';
          const id = cfg.keyId ? ` with CKA_ID ${cfg.keyId.toString('hex')}` : '';
          throw new Pkcs11SealError('key-missing', `pkcs11 seal: no key labelled "${cfg.keyLabel}" on ${where} and generate_key is false: create ${kind} labelled "${cfg.keyLabel}"${id} with the HSM's tools, check \`key_label\` (VAULT_HSM_KEY_LABEL), or set generate_key = true to create it inside the token`);
        }
        key = generateSealKey(lib.p11, session, want, where);
      }
      const oaepHash = key.mechanism === CKM_RSA_PKCS_OAEP ? chooseOaepHash(lib, session, key, where) : OAEP_NONE;
      return new Pkcs11Seal(lib, slot, session, sessionFlags, key, oaepHash);
    } catch (err) {
      if (session) {
        if (slotKey !== undefined) logoutSlot(lib, slotKey, session);
        try {
          lib.p11.C_CloseSession(session);
        } catch {
          // Already gone; the library is released next.
        }
      }
      releaseLibrary(lib);
      throw err;
    }
  }

  keyInfo(): Pkcs11KeyInfo {
    return { label: this.key.label, id: this.key.id.toString('hex'), mechanism: mechanismHex(this.key.mechanism) };
  }

  tokenInfo(): Pkcs11TokenInfo {
    return { slot: String(this.slot.id), label: this.slot.label, manufacturer: this.slot.manufacturer, model: this.slot.model };
  }

  /** Seals `plaintext` under the configured key; the blob names that key. */
  encrypt(plaintext: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(this.closedError());
    if (!Buffer.isBuffer(plaintext)) return Promise.reject(new TypeError('pkcs11 seal: plaintext must be a Buffer'));
    return this.exclusive(() => (this.key.mechanism === CKM_AES_GCM ? this.encryptGcm(plaintext) : this.encryptOaep(plaintext)));
  }

  /** Opens a blob with the key it names. Every failure is a 'decrypt' error saying "authentication failed". */
  decrypt(blob: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(this.closedError());
    if (!Buffer.isBuffer(blob)) return Promise.reject(new TypeError('pkcs11 seal: blob must be a Buffer'));
    let parsed: DecodedBlob;
    try {
      parsed = decodeBlob(blob);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.exclusive(async () => {
      const handle = this.decryptKeyFor(parsed);
      const failed = (err: unknown): Pkcs11SealError =>
        new Pkcs11SealError('decrypt', `pkcs11 seal: authentication failed: ${this.where} could not open the blob with key "${parsed.keyLabel}" (${mechanismName(parsed.mechanism)}): ${describeNativeError(err)}. The blob was altered or truncated, or sealed by another key with the same label`, { cause: err });
      let fromToken: Buffer;
      try {
        if (parsed.mechanism === CKM_AES_GCM) {
          this.lib.p11.C_DecryptInit(this.session, { mechanism: CKM_AES_GCM, parameter: gcmParams(parsed.iv, parsed.header) }, handle);
          return await this.lib.p11.C_DecryptAsync(this.session, parsed.ciphertext, Buffer.alloc(parsed.ciphertext.length));
        }
        this.lib.p11.C_DecryptInit(this.session, { mechanism: CKM_RSA_PKCS_OAEP, parameter: oaepParams(parsed.oaepHash as OaepHash) }, handle);
        fromToken = await this.lib.p11.C_DecryptAsync(this.session, parsed.wrappedKey, Buffer.alloc(parsed.wrappedKey.length));
      } catch (err) {
        this.resetSession();
        throw failed(err);
      }
      // OAEP envelope: the token unwrapped the data key; the payload opens in process.
      try {
        if (fromToken.length !== AES_KEY_BYTES) throw new Error(`unwrapped data key is ${fromToken.length} bytes, not ${AES_KEY_BYTES}`);
        return openLocally(fromToken, parsed.iv, parsed.header, parsed.ciphertext);
      } catch (err) {
        throw failed(err);
      } finally {
        fromToken.fill(0);
      }
    });
  }

  /** Logs out (unless another seal of this process still uses the token), closes the session, finalizes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const teardown = (): void => {
      logoutSlot(this.lib, String(this.slot.id), this.session);
      try {
        this.lib.p11.C_CloseSession(this.session);
      } catch {
        // The session may already be gone (device removed); release the library regardless.
      }
      releaseLibrary(this.lib);
    };
    // Operations accepted before close() finish first.
    if (this.inFlight === 0) teardown();
    else void this.tail.then(teardown);
  }

  private closedError(): Pkcs11SealError {
    return new Pkcs11SealError('config', 'pkcs11 seal: the seal is closed');
  }

  /**
   * A failed call can leave the session's operation active (SoftHSM keeps C_Encrypt active after
   * CKR_ARGUMENTS_BAD), and PKCS#11 2.40 has no way to cancel it: swap in a fresh session. The
   * login is per application and token, so the new session is logged in already.
   */
  private resetSession(): void {
    try {
      const fresh = this.lib.p11.C_OpenSession(this.slot.handle, this.sessionFlags);
      const stale = this.session;
      this.session = fresh;
      this.lib.p11.C_CloseSession(stale);
    } catch {
      // Keep whatever session we have; the next operation reports the device's state.
    }
  }

  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    this.inFlight++;
    const run = this.tail.then(op).finally(() => {
      this.inFlight--;
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private header(iv: Buffer, wrappedKey: Buffer): Buffer {
    const h: BlobHeader = { mechanism: this.key.mechanism, oaepHash: this.oaepHash, keyLabel: this.key.label, keyId: this.key.id, iv, wrappedKey };
    return encodeHeader(h);
  }

  private async encryptGcm(plaintext: Buffer): Promise<Buffer> {
    const iv = randomBytes(GCM_IV_BYTES);
    const header = this.header(iv, Buffer.alloc(0));
    try {
      this.lib.p11.C_EncryptInit(this.session, { mechanism: CKM_AES_GCM, parameter: gcmParams(iv, header) }, this.key.encryptHandle!);
      const sealed = await this.lib.p11.C_EncryptAsync(this.session, nonNullBuffer(plaintext), Buffer.alloc(plaintext.length + GCM_TAG_BYTES));
      return Buffer.concat([header, sealed]);
    } catch (err) {
      throw this.encryptError(err);
    }
  }

  /** Envelope: the token wraps a fresh AES-256 data key; the plaintext is sealed in process. */
  private async encryptOaep(plaintext: Buffer): Promise<Buffer> {
    const dataKey = randomBytes(AES_KEY_BYTES);
    try {
      this.lib.p11.C_EncryptInit(this.session, { mechanism: CKM_RSA_PKCS_OAEP, parameter: oaepParams(this.oaepHash as OaepHash) }, this.key.encryptHandle!);
      const wrapped = await this.lib.p11.C_EncryptAsync(this.session, dataKey, Buffer.alloc(MAX_RSA_BYTES));
      const iv = randomBytes(GCM_IV_BYTES);
      const header = this.header(iv, Buffer.from(wrapped));
      return Buffer.concat([header, sealLocally(dataKey, iv, header, plaintext)]);
    } catch (err) {
      throw this.encryptError(err);
    } finally {
      dataKey.fill(0);
    }
  }

  private encryptError(err: unknown): Pkcs11SealError {
    if (err instanceof Pkcs11SealError) return err;
    this.resetSession();
    return new Pkcs11SealError('library', `pkcs11 seal: ${this.where} failed to encrypt with key "${this.key.label}" (${mechanismName(this.key.mechanism)}): ${describeNativeError(err)}. Check the HSM is reachable and the key still allows encryption`, { cause: err });
  }

  private decryptKeyFor(blob: DecodedBlob): Buffer {
    const ck = cacheKey(blob.mechanism, blob.keyLabel, blob.keyId);
    const cached = this.decryptKeys.get(ck);
    if (cached) return cached;
    const id = blob.keyId.length > 0 ? blob.keyId.toString('hex') : 'none';
    let key: SealKey | null;
    try {
      key = findSealKey(this.lib.p11, this.session, { mechanism: blob.mechanism, label: blob.keyLabel, id: blob.keyId.length > 0 ? blob.keyId : undefined, need: 'decrypt' }, this.where);
    } catch (err) {
      const why = describeNativeError(err).replace(/^pkcs11 seal: /, '');
      throw new Pkcs11SealError('decrypt', `pkcs11 seal: authentication failed: the blob names key "${blob.keyLabel}" (id ${id}, ${mechanismName(blob.mechanism)}), and ${why}`, { cause: err });
    }
    if (!key) {
      throw new Pkcs11SealError('decrypt', `pkcs11 seal: authentication failed: the blob was sealed with key "${blob.keyLabel}" (id ${id}, ${mechanismName(blob.mechanism)}) and ${this.where} has no such key: keep retired seal keys on the HSM until everything sealed with them has been re-sealed`);
    }
    this.decryptKeys.set(ck, key.decryptHandle);
    return key.decryptHandle;
  }
}

function requireMechanism(lib: LoadedLibrary, slot: SelectedSlot, mechanism: number): void {
  let offered: number[];
  try {
    offered = lib.p11.C_GetMechanismList(slot.handle);
  } catch (err) {
    throw new Pkcs11SealError('mechanism', `pkcs11 seal: cannot list the mechanisms of ${describeSlot(slot)} (${describeNativeError(err)})`, { cause: err });
  }
  if (!offered.includes(mechanism)) {
    const other = mechanism === CKM_AES_GCM ? CKM_RSA_PKCS_OAEP : CKM_AES_GCM;
    const alt = offered.includes(other) ? `; it does offer ${mechanismName(other)}: set mechanism = "${mechanismHex(other)}"` : '';
    throw new Pkcs11SealError('mechanism', `pkcs11 seal: ${describeSlot(slot)} does not offer ${mechanismName(mechanism)} (${mechanismHex(mechanism)}): check the HSM's firmware and partition policy${alt}`);
  }
}

/**
 * Prefers OAEP with SHA-256; tokens that only do SHA-1 (SoftHSM) reject the parameters with
 * CKR_ARGUMENTS_BAD or CKR_MECHANISM_PARAM_INVALID. Probed once at open with a throwaway block.
 */
function chooseOaepHash(lib: LoadedLibrary, session: Buffer, key: SealKey, where: string): OaepHash {
  const probe = Buffer.alloc(AES_KEY_BYTES);
  for (const hash of [OAEP_SHA256, OAEP_SHA1] as const) {
    try {
      lib.p11.C_EncryptInit(session, { mechanism: CKM_RSA_PKCS_OAEP, parameter: oaepParams(hash) }, key.encryptHandle!);
      lib.p11.C_Encrypt(session, probe, Buffer.alloc(MAX_RSA_BYTES));
      return hash;
    } catch (err) {
      const rv = returnValueOf(err);
      const unsupported = rv === pkcs11js.CKR_ARGUMENTS_BAD || rv === pkcs11js.CKR_MECHANISM_PARAM_INVALID;
      if (!unsupported || hash === OAEP_SHA1) {
        throw new Pkcs11SealError('mechanism', `pkcs11 seal: ${where} cannot encrypt with RSA key "${key.label}" using CKM_RSA_PKCS_OAEP (${describeNativeError(err)}): check the key allows CKA_ENCRYPT and is at least 1024 bits`, { cause: err });
      }
    }
  }
  throw new Error('unreachable: OAEP hash probe fell through');
}
