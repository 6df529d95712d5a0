/**
 * bench/lease — 100,000 live leases: restore time at unseal, memory per lease, request latency
 * while restoring, and revoke-prefix time with request latency measured alongside.
 *
 *   node --expose-gc --import tsx bench/lease.ts [--leases 100000]
 *
 * Leases are token leases (each a real service token with a TTL, as logins create), stored in a
 * file-backed SQLite database, restored by a second server over the same files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/server.js';
import { devConfig } from '../src/config/load.js';
import { silentLogger } from '../src/util/logger.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const N = Number(args.get('leases') ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function latencyProbe(server: RunningServer, token: string, until: Promise<unknown>): Promise<{ n: number; p50: number; max: number }> {
  const samples: number[] = [];
  let done = false;
  void until.then(() => (done = true));
  while (!done) {
    const t = performance.now();
    await server.core.handle({ operation: 'read', path: 'auth/token/lookup-self', data: {}, clientToken: token });
    samples.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 2));
  }
  samples.sort((a, b) => a - b);
  return { n: samples.length, p50: samples[Math.floor(samples.length / 2)] ?? 0, max: samples.at(-1) ?? 0 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-lease-'));
  const config = { ...devConfig('127.0.0.1:0'), storage: { type: 'file' as const, path: dir, source: 'bench' } };
  const first = await startServer(config, { dev: { rootTokenId: 'bench-root' }, logger: silentLogger });
  const unsealKey = Buffer.from(first.dev!.unsealKey, 'base64');

  let t = performance.now();
  for (let i = 0; i < N; i += 2000) {
    await Promise.all(
      Array.from({ length: Math.min(2000, N - i) }, () =>
        first.core.issueToken({ parentHash: '', policies: ['default'], displayName: 'bench', ttl: 3600 + Math.floor(Math.random() * 3600), renewable: true, type: 'service', path: 'auth/bench/login' }),
      ),
    );
  }
  const createSecs = (performance.now() - t) / 1000;
  await first.shutdown();

  // A fresh process-equivalent: a new server over the same files, then unseal.
  const before = heapUsed();
  const second = await startServer(config, { logger: silentLogger });
  t = performance.now();
  await second.core.submitUnsealKey(unsealKey);
  const unsealMs = performance.now() - t;
  const probeDuring = latencyProbe(second, 'bench-root', second.core.expiration.restored);
  const restored = await second.core.expiration.restored;
  const restoreMs = performance.now() - t;
  const during = await probeDuring;
  const perLease = (heapUsed() - before) / restored;

  t = performance.now();
  const revoking = second.core.expiration.revokePrefix('auth/bench/login');
  const probeRevoke = latencyProbe(second, 'bench-root', revoking);
  const revoked = await revoking;
  const revokeMs = performance.now() - t;
  const duringRevoke = await probeRevoke;
  await second.shutdown();
  rmSync(dir, { recursive: true, force: true });

  console.log(`\nbench/lease — ${N.toLocaleString()} token leases, file SQLite, node ${process.version}${gc ? '' : ' (run with --expose-gc for the memory figure)'}\n`);
  console.log(`create                     ${createSecs.toFixed(1)} s   (${Math.round(N / createSecs).toLocaleString()} leases/s, durable)`);
  console.log(`unseal (barrier + mounts)  ${unsealMs.toFixed(0)} ms  — requests are served from here on`);
  console.log(`restore ${restored.toLocaleString()} leases     ${restoreMs.toFixed(0)} ms  (target ≤ 2000 ms)`);
  console.log(`heap per restored lease    ${perLease.toFixed(0)} bytes (target ≤ 500)`);
  console.log(`lookup-self while restoring: ${during.n} requests, p50 ${during.p50.toFixed(2)} ms, max ${during.max.toFixed(1)} ms`);
  console.log(`revoke-prefix ${revoked.toLocaleString()} leases  ${(revokeMs / 1000).toFixed(1)} s (${Math.round(revoked / (revokeMs / 1000)).toLocaleString()}/s)`);
  console.log(`lookup-self while revoking: ${duringRevoke.n} requests, p50 ${duringRevoke.p50.toFixed(2)} ms, max ${duringRevoke.max.toFixed(1)} ms`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
