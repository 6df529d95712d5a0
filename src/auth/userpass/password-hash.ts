/**
 * Password hashing for userpass. New passwords get scrypt (node:crypto, async on the thread
 * pool) with its parameters recorded in the stored string, so they can be raised later without
 * breaking old hashes: `$scrypt$ln=15,r=8,p=1$<salt b64>$<key b64>`. Hashes imported through
 * `password_hash` are bcrypt (`$2a$`/`$2b$`/`$2y$`), checked with the `bcryptjs` package,
 * loaded on first use.
 *
 * `verify` is the one code path for every login, known user or not: unknown users are checked
 * against a dummy hash made with the current parameters, so both cost one KDF run. `kdfRuns`
 * counts KDF runs so tests can assert that without timing anything.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
  keyLength: number;
  saltLength: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB of memory per hash, the usual interactive-login setting. */
export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1, keyLength: 32, saltLength: 16 };

const SCRYPT_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const BCRYPT_RE = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

export const isBcryptHash = (s: string): boolean => BCRYPT_RE.test(s);

function runScrypt(password: string, salt: Buffer, logN: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

interface BcryptModule {
  compare(password: string, hash: string): Promise<boolean>;
}

// A variable specifier keeps the type checker from requiring the package at build time; it is
// needed only by users imported with `password_hash`.
const BCRYPT_MODULE = 'bcryptjs';
let bcryptLoading: Promise<BcryptModule> | undefined;
function loadBcrypt(): Promise<BcryptModule> {
  bcryptLoading ??= (import(BCRYPT_MODULE) as Promise<Partial<BcryptModule> & { default?: BcryptModule }>).then(
    (mod) => {
      const impl = typeof mod.compare === 'function' ? (mod as BcryptModule) : mod.default;
      if (!impl || typeof impl.compare !== 'function') throw new Error('the bcryptjs module has no compare()');
      return impl;
    },
    (e: unknown) => {
      bcryptLoading = undefined;
      throw new Error(`checking a bcrypt password_hash needs the bcryptjs package: ${(e as Error).message}`);
    },
  );
  return bcryptLoading;
}

export class PasswordHasher {
  /** Number of KDF evaluations so far (hashing and verifying). */
  kdfRuns = 0;
  private dummy: Promise<string> | undefined;

  constructor(readonly params: ScryptParams = DEFAULT_SCRYPT) {
    if (params.logN < 10 || params.logN > 22) throw new Error(`scrypt logN out of range: ${params.logN}`);
  }

  async hash(password: string): Promise<string> {
    const { logN, r, p, keyLength, saltLength } = this.params;
    const salt = randomBytes(saltLength);
    this.kdfRuns += 1;
    const key = await runScrypt(password, salt, logN, r, p, keyLength);
    return `$scrypt$ln=${logN},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  /** A hash of a random secret, made once: the stand-in for users that do not exist. */
  dummyHash(): Promise<string> {
    this.dummy ??= (async () => {
      const h = await this.hash(randomBytes(24).toString('base64'));
      this.kdfRuns -= 1; // Preparing the stand-in is not a login's KDF run.
      return h;
    })();
    return this.dummy;
  }

  /** True if `password` matches `stored`; unknown formats never match. */
  async verify(password: string, stored: string): Promise<boolean> {
    const m = SCRYPT_RE.exec(stored);
    if (m) {
      const [, ln, r, p, saltB64, keyB64] = m as unknown as [string, string, string, string, string, string];
      const expected = Buffer.from(keyB64, 'base64');
      this.kdfRuns += 1;
      const actual = await runScrypt(password, Buffer.from(saltB64, 'base64'), Number(ln), Number(r), Number(p), expected.length);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    }
    if (isBcryptHash(stored)) {
      const bcrypt = await loadBcrypt();
      this.kdfRuns += 1;
      return bcrypt.compare(password, stored);
    }
    return false;
  }
}
