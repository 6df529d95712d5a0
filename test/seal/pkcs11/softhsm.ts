/**
 * Real SoftHSM tokens for tests, isolated from the system token directory.
 *
 * SoftHSM reads SOFTHSM2_CONF, and scans its token directory, only at C_Initialize, and a process
 * initializes the library once. So every test file (one process under vitest's forks pool) gets
 * one temporary conf + token directory, set before the library is first loaded; tokens are
 * created with softhsm2-util while no seal holds the library (the seal registry finalizes it when
 * the last seal closes, so the next open re-scans). A missing SoftHSM throws: tests fail, never skip.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { Pkcs11Seal, isLibraryLoaded, type Pkcs11SealConfig } from '../../../src/seal/pkcs11/index.js';

export const SOFTHSM_LIB = '/usr/lib/softhsm/libsofthsm2.so';
const SO_PIN = 'so-pin-1234';

export interface TestToken {
  label: string;
  pin: string;
  /** Decimal slot ID softhsm2-util assigned. */
  slot: string;
}

let sandbox: { dir: string; conf: string } | undefined;

function ensureSandbox(): { dir: string; conf: string } {
  if (sandbox) return sandbox;
  if (!isMainThread) {
    // A worker thread's process.env never reaches the native library's getenv().
    throw new Error('SoftHSM tests must run in a child process (vitest pool "forks"), not a worker thread');
  }
  if (!existsSync(SOFTHSM_LIB)) throw new Error(`SoftHSM is required for these tests: ${SOFTHSM_LIB} is missing (apt-get install softhsm2)`);
  const dir = mkdtempSync(join(tmpdir(), 'coffer-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  sandbox = { dir, conf };
  return sandbox;
}

/**
 * Closes every seal and deletes the sandbox (call in afterAll: vitest stops its workers without
 * running 'exit' handlers). With every seal closed the library is finalized, so a later sandbox
 * in the same process takes effect at the next C_Initialize.
 */
export function removeSandbox(): void {
  closeAllSeals();
  if (!sandbox) return;
  if (isLibraryLoaded(SOFTHSM_LIB)) throw new Error('a seal outside openSeal() still holds SoftHSM open');
  rmSync(sandbox.dir, { recursive: true, force: true });
  delete process.env.SOFTHSM2_CONF;
  sandbox = undefined;
}

/** The sandbox's temporary directory (for test files such as a renamed library copy). */
export function sandboxDir(): string {
  return ensureSandbox().dir;
}

/** A fresh, initialised token with a random label and user PIN. */
export function createToken(prefix = 'tok'): TestToken {
  const { conf } = ensureSandbox();
  if (isLibraryLoaded(SOFTHSM_LIB)) {
    throw new Error('create SoftHSM tokens before opening seals (or after closing them all): SoftHSM only scans its token directory at C_Initialize');
  }
  const label = `${prefix}-${randomBytes(4).toString('hex')}`;
  const pin = randomBytes(4).toString('hex');
  const out = execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', pin], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    encoding: 'utf8',
  });
  const slot = /reassigned to slot (\d+)/.exec(out)?.[1];
  if (!slot) throw new Error(`softhsm2-util did not report a slot: ${out}`);
  return { label, pin, slot };
}

export function sealConfig(token: TestToken, overrides: Partial<Pkcs11SealConfig> = {}): Pkcs11SealConfig {
  return { lib: SOFTHSM_LIB, tokenLabel: token.label, pin: token.pin, keyLabel: 'seal-key', generateKey: true, ...overrides };
}

const opened: Pkcs11Seal[] = [];

/** Pkcs11Seal.open, remembered so closeAllSeals() (in afterEach) releases the library. */
export function openSeal(config: Pkcs11SealConfig): Pkcs11Seal {
  const seal = Pkcs11Seal.open(config);
  opened.push(seal);
  return seal;
}

export function closeAllSeals(): void {
  for (const seal of opened.splice(0)) seal.close();
}
