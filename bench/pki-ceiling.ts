/**
 * The ceiling of CSR signing on this machine: raw ECDSA P-256 `crypto.verify` (the CSR's
 * signature) + `crypto.sign` (the leaf's TBS) pairs per second, one worker thread per core, no
 * parsing, no DER, no HTTP. Two variants: with the CSR keys already imported (the pure
 * arithmetic), and with the import each real request pays (OpenSSL 3 builds a fresh EC group per
 * imported key: ≈ 100+ µs, as much as the verify itself).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface CeilingResult {
  threads: number;
  /** verify + sign pairs per second, summed over the threads. */
  pairsPerSec: number;
  /** Same with a public-key import (JWK) per pair. */
  importPairsPerSec: number;
}

// Plain JS (no loader in the worker): only node:crypto.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { generateKeyPairSync, createPublicKey, sign, verify } = require('node:crypto');
const N = 256;
const cri = Buffer.alloc(330, 5);           // a CSR's CertificationRequestInfo is ~300-350 bytes
const tbs = Buffer.alloc(640, 7);           // a leaf TBSCertificate with AIA/CDP/SANs is ~600-700 bytes
const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const keys = [], jwks = [], sigs = [];
for (let i = 0; i < N; i++) {
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  keys.push(kp.publicKey); jwks.push(kp.publicKey.export({ format: 'jwk' })); sigs.push(sign('sha256', cri, kp.privateKey));
}
function run(ms, withImport) {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let j = 0; j < 16; j++, n++) {
      const i = n % N;
      const key = withImport ? createPublicKey({ key: jwks[i], format: 'jwk' }) : keys[i];
      if (!verify('sha256', cri, key, sigs[i])) throw new Error('verify failed');
      sign('sha256', tbs, ca);
    }
  }
  return n;
}
run(300, false); run(300, true);            // warm-up
parentPort.postMessage({ plain: run(workerData.ms, false), imported: run(workerData.ms, true) });
`;

export async function measureCeiling(seconds: number, threads = availableParallelism()): Promise<CeilingResult> {
  const ms = seconds * 1000;
  const results = await Promise.all(
    Array.from({ length: threads }, () =>
      new Promise<{ plain: number; imported: number }>((resolve, reject) => {
        const w = new Worker(WORKER, { eval: true, workerData: { ms } });
        w.once('message', (m: { plain: number; imported: number }) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      }),
    ),
  );
  const sum = (f: (r: { plain: number; imported: number }) => number): number => results.reduce((a, r) => a + f(r), 0);
  return { threads, pairsPerSec: sum((r) => r.plain) / seconds, importPairsPerSec: sum((r) => r.imported) / seconds };
}
