/**
 * PKCS#11 seal cost against SoftHSM: encrypt+decrypt pairs/s for 32-byte payloads (AES-GCM in
 * the token, RSA-OAEP envelope), open+login time (what an auto-unseal pays at start-up), and an
 * in-process AES-256-GCM baseline. Run: node --import tsx bench/seal.ts [seconds-per-case]
 *
 * Uses a throwaway token directory (SOFTHSM2_CONF) so nothing touches the system's tokens.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pkcs11Seal, type Pkcs11SealConfig } from '../src/seal/pkcs11/index.js';

const LIB = process.env.SOFTHSM2_LIB ?? '/usr/lib/softhsm/libsofthsm2.so';
const SECONDS = Number(process.argv[2] ?? 2);
const PAYLOAD = 32;

function softHsmToken(): { config: Omit<Pkcs11SealConfig, 'keyLabel'>; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-seal-bench-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', '12345678', '--pin', '1234'], { stdio: 'ignore' });
  return { config: { lib: LIB, tokenLabel: 'bench', pin: '1234' }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `op` back to back for SECONDS; returns ops/s. */
async function rate(op: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await op(); // warm-up
  let n = 0;
  const start = performance.now();
  const until = start + SECONDS * 1000;
  while (performance.now() < until) {
    await op();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

function localGcmPair(key: Buffer, plaintext: Buffer): void {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(c.getAuthTag());
  Buffer.concat([d.update(ct), d.final()]);
}

async function sealPairRate(seal: Pkcs11Seal): Promise<number> {
  const plaintext = randomBytes(PAYLOAD);
  return rate(async () => {
    const out = await seal.decrypt(await seal.encrypt(plaintext));
    if (!out.equals(plaintext)) throw new Error('round trip mismatch');
  });
}

function openCloseMs(config: Pkcs11SealConfig, runs: number): number {
  const start = performance.now();
  for (let i = 0; i < runs; i++) Pkcs11Seal.open(config).close();
  return (performance.now() - start) / runs;
}

async function main(): Promise<void> {
  const { config, cleanup } = softHsmToken();
  try {
    const gcmConfig: Pkcs11SealConfig = { ...config, keyLabel: 'bench-aes', mechanism: '0x1087' };
    const oaepConfig: Pkcs11SealConfig = { ...config, keyLabel: 'bench-rsa', mechanism: '0x0009' };

    let t = performance.now();
    Pkcs11Seal.open({ ...gcmConfig, generateKey: true }).close();
    const genAes = performance.now() - t;
    t = performance.now();
    Pkcs11Seal.open({ ...oaepConfig, generateKey: true }).close();
    const genRsa = performance.now() - t;

    const openGcm = openCloseMs(gcmConfig, 30);
    const openOaep = openCloseMs(oaepConfig, 30);

    const localKey = randomBytes(32);
    const localPlaintext = randomBytes(PAYLOAD);
    const baseline = await rate(() => localGcmPair(localKey, localPlaintext));
    const gcmSeal = Pkcs11Seal.open(gcmConfig);
    const gcm = await sealPairRate(gcmSeal);
    gcmSeal.close();
    const oaepSeal = Pkcs11Seal.open(oaepConfig);
    const oaep = await sealPairRate(oaepSeal);
    oaepSeal.close();

    const fmt = (n: number): string => n.toFixed(n < 100 ? 1 : 0).padStart(9);
    console.log(`pkcs11 seal on SoftHSM (${LIB}), ${PAYLOAD}-byte payloads, ${SECONDS}s per case, one session, sequential`);
    console.log('');
    console.log('encrypt+decrypt pairs/s              pairs/s   baseline/this');
    console.log(`  in-process AES-256-GCM (baseline) ${fmt(baseline)}   1.0`);
    console.log(`  HSM CKM_AES_GCM                   ${fmt(gcm)}   ${(baseline / gcm).toFixed(1)}x slower`);
    console.log(`  HSM CKM_RSA_PKCS_OAEP envelope    ${fmt(oaep)}   ${(baseline / oaep).toFixed(1)}x slower`);
    console.log(`  OAEP vs GCM                                   ${(gcm / oaep).toFixed(1)}x slower`);
    console.log('');
    console.log('open + login + key lookup + close (unseal start-up cost, ms; includes C_Initialize/C_Finalize)');
    console.log(`  AES-GCM key                       ${fmt(openGcm)}`);
    console.log(`  RSA-OAEP pair (incl. OAEP probe)  ${fmt(openOaep)}`);
    console.log('');
    console.log('first open with generate_key (ms)');
    console.log(`  AES-256 key                       ${fmt(genAes)}`);
    console.log(`  RSA-2048 key pair                 ${fmt(genRsa)}`);
  } finally {
    cleanup();
  }
}

await main();
