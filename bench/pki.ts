/**
 * bench/pki — certificate issuance over HTTP (issue 4), every figure from one run:
 *   1. the ceiling: raw ECDSA P-256 crypto.verify + crypto.sign pairs/s, one worker thread per core;
 *   2. `pki_int/sign/:role` with distinct P-256 CSRs, stored and no_store;
 *   3. `pki_int/issue/:role` EC P-256, stored and no_store; RSA-2048 from a warm key pool (a burst
 *      the pool covers) and sustained (the pool drained: every key generated on demand);
 *   4. cfssl (`cfssl serve`, `POST /api/v1/cfssl/sign`) signing the same CSRs with the same
 *      intermediate certificate and key (exported from `pki_int/intermediate/generate/exported`).
 *
 *   npm run build && node --import tsx bench/pki.ts [--duration 8] [--warmup 2] [--connections 50]
 *       [--rounds 1] [--csrs 8192] [--rsa-burst 32] [--durable true] [--only sign,issue,cfssl]
 *
 * The coffer dev server (SQLite in memory) and cfssl run as separate processes; autocannon drives
 * both from this one with the same concurrency, with a non-root token under a narrow policy.
 * `--durable true` adds the stored cases against a second coffer with file storage (every
 * certificate an fsync'd SQLite write). Server CPU per certificate comes from /proc/<pid>/stat.
 * The machine is shared: compare the ratios, not the absolute numbers.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCsr } from '../src/pki/csr.js';
import { subjectAltNameExt } from '../src/pki/extensions.js';
import { buildName } from '../src/pki/name.js';
import { toPem } from '../src/pki/pem.js';
import { measureCeiling } from './pki-ceiling.js';
import { cfsslAvailable, startCfssl } from './pki-cfssl.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const DURATION = Number(args.get('duration') ?? 8);
const WARMUP = Number(args.get('warmup') ?? 2);
const CONNECTIONS = Number(args.get('connections') ?? 50);
const ROUNDS = Number(args.get('rounds') ?? 1);
const CSRS = Number(args.get('csrs') ?? 8192);
const RSA_BURST = Number(args.get('rsa-burst') ?? 64);
const DURABLE = args.get('durable') === 'true';
const ONLY = args.get('only')?.split(',');
const PROFILE = args.get('profile'); // a directory: the dev coffer writes a V8 CPU profile there on exit
const ROOT = resolve(import.meta.dirname, '..');
const CLK_TCK_MS = 10; // /proc/<pid>/stat counts in 1/100 s on Linux

// ---------------------------------------------------------------- processes and HTTP

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

function waitFor(proc: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((res, rej) => {
    let buf = '';
    const on = (d: Buffer): void => {
      buf += d.toString();
      if (re.test(buf)) res();
    };
    proc.stdout?.on('data', on);
    proc.stderr?.on('data', on);
    proc.once('exit', (c) => rej(new Error(`exited ${c}: ${buf}`)));
  });
}

/** User + system CPU milliseconds a process has used so far (all its threads). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * CLK_TCK_MS;
}

/** Resolves once the process has used < 5 % of a core for `quietMs` (e.g. a key pool is full). */
async function waitIdle(pid: number, quietMs = 1000, maxMs = 120_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const a = cpuMs(pid);
    await new Promise((r) => setTimeout(r, quietMs));
    if (cpuMs(pid) - a < quietMs * 0.05 || Date.now() - start > maxMs) return Date.now() - start;
  }
}

interface Coffer {
  proc: ChildProcess;
  base: string;
  rootToken: string;
  stop(): void;
}

async function startDevCoffer(): Promise<Coffer> {
  const port = await freePort();
  const prof = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE)}`] : [];
  const proc = spawn(process.execPath, [...prof, resolve(ROOT, 'bin/coffer.js'), 'server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, '-dev-root-token-id=bench-root', '-log-level=error'], { cwd: ROOT });
  await waitFor(proc, /Root Token:/);
  // SIGINT: the CLI shuts down and exits normally, so a CPU profile gets written.
  return { proc, base: `http://127.0.0.1:${port}`, rootToken: 'bench-root', stop: () => proc.kill('SIGINT') };
}

/** A coffer with file storage (durable writes), initialised and unsealed through the API. */
async function startFileCoffer(): Promise<Coffer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-pki-'));
  writeFileSync(join(dir, 'config.hcl'), `storage "file" {\n  path = "${dir}/data"\n}\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\nlog_level = "error"\n`);
  const proc = spawn(process.execPath, [resolve(ROOT, 'bin/coffer.js'), 'server', `-config=${join(dir, 'config.hcl')}`], { cwd: ROOT });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/v1/sys/seal-status`)).ok) break;
    } catch {
      if (i > 200) throw new Error('file-backed coffer did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const init = (await (await fetch(`${base}/v1/sys/init`, { method: 'PUT', body: JSON.stringify({ secret_shares: 1, secret_threshold: 1 }) })).json()) as { keys_base64: string[]; root_token: string };
  await fetch(`${base}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify({ key: init.keys_base64[0] }) });
  return {
    proc,
    base,
    rootToken: init.root_token,
    stop: () => {
      proc.kill();
      proc.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    },
  };
}

async function api(c: Coffer, method: string, path: string, body?: unknown, token = c.rootToken): Promise<Record<string, unknown>> {
  const r = await fetch(`${c.base}/v1/${path}`, { method, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? ((JSON.parse(text) as { data?: Record<string, unknown> }).data ?? (JSON.parse(text) as Record<string, unknown>)) : {};
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`expected ${what}, got ${JSON.stringify(v)}`);
  return v;
};

const POLICY = `
path "pki_int/sign/bench-*"  { capabilities = ["update"] }
path "pki_int/issue/bench-*" { capabilities = ["update"] }
path "pki_rsa/issue/bench-*" { capabilities = ["update"] }
path "pki_int/roles/bench-*" { capabilities = ["read"] }
`;

/**
 * Root + intermediate (key exported, for cfssl) + roles + a non-root token under POLICY. With
 * `warmRsaPool`, a `pki_rsa` mount over the same intermediate keeps that many RSA keys ready.
 */
async function setupPki(c: Coffer, warmRsaPool = 0): Promise<{ token: string; intPem: string; intKeyPem: string }> {
  await api(c, 'POST', 'sys/mounts/pki', { type: 'pki', config: { max_lease_ttl: '87600h' } });
  await api(c, 'POST', 'pki/root/generate/internal', { common_name: 'Bench Root', key_type: 'ec', key_bits: 256, ttl: '87600h' });
  await api(c, 'POST', 'sys/mounts/pki_int', { type: 'pki', config: { max_lease_ttl: '43800h' } });
  const gen = await api(c, 'POST', 'pki_int/intermediate/generate/exported', { common_name: 'Bench Intermediate', key_type: 'ec', key_bits: 256 });
  const signed = await api(c, 'POST', 'pki/root/sign-intermediate', { csr: str(gen['csr'], 'csr'), format: 'pem', ttl: '43800h' });
  const intPem = str(signed['certificate'], 'certificate');
  await api(c, 'POST', 'pki_int/intermediate/set-signed', { certificate: intPem });
  const urls = { issuing_certificates: `${c.base}/v1/pki_int/ca`, crl_distribution_points: `${c.base}/v1/pki_int/crl`, ocsp_servers: `${c.base}/v1/pki_int/ocsp` };
  await api(c, 'POST', 'pki_int/config/urls', urls);
  const role = { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', key_bits: 256, ttl: '24h' };
  await api(c, 'POST', 'pki_int/roles/bench-ec', role);
  await api(c, 'POST', 'pki_int/roles/bench-ec-nostore', { ...role, no_store: true });
  await api(c, 'POST', 'pki_int/roles/bench-rsa', { ...role, key_type: 'rsa', key_bits: 2048 });
  const intKeyPem = str(gen['private_key'], 'private_key');
  if (warmRsaPool > 0) {
    await api(c, 'POST', 'sys/mounts/pki_rsa', { type: 'pki', config: { max_lease_ttl: '43800h' }, options: { rsa_key_pool_size: String(warmRsaPool) } });
    await api(c, 'POST', 'pki_rsa/config/ca', { pem_bundle: `${intKeyPem}\n${intPem}` });
    await api(c, 'POST', 'pki_rsa/config/urls', urls);
    await api(c, 'POST', 'pki_rsa/roles/bench-rsa', { ...role, key_type: 'rsa', key_bits: 2048 });
  }
  await api(c, 'PUT', 'sys/policies/acl/pki-bench', { policy: POLICY });
  const tok = (await (await fetch(`${c.base}/v1/auth/token/create`, { method: 'POST', headers: { 'X-Vault-Token': c.rootToken }, body: JSON.stringify({ policies: ['pki-bench'], ttl: '2h' }) })).json()) as { auth: { client_token: string } };
  return { token: tok.auth.client_token, intPem, intKeyPem };
}

// ---------------------------------------------------------------- load

interface CaseResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU per completed request, and cores busy on average. */
  serverUs: number;
  serverCores: number;
  clientCores: number;
}

interface Load {
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  token?: string;
  bodies?: readonly string[];
  pid: number;
  amount?: number;
  timeout?: number;
}

function cannon(l: Load, seconds: number): Promise<autocannon.Result> {
  let n = 0;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(l.token ? { 'X-Vault-Token': l.token } : {}) };
  const bodies = l.bodies;
  return autocannon({
    url: l.url,
    connections: l.amount ? Math.min(CONNECTIONS, l.amount) : CONNECTIONS,
    pipelining: 1,
    timeout: l.timeout ?? 10,
    ...(l.amount ? { amount: l.amount } : { duration: seconds }),
    requests: [
      {
        method: l.method ?? 'POST',
        path: l.path,
        headers,
        ...(bodies ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[n++ % bodies.length] }) } : {}),
      },
    ],
  });
}

async function runCase(name: string, l: Load, warm = WARMUP): Promise<CaseResult> {
  if (warm > 0) await cannon(l, warm);
  const c0 = cpuMs(l.pid);
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await cannon(l, DURATION);
  const wallMs = performance.now() - t0;
  const serverMs = cpuMs(l.pid) - c0;
  const u = process.cpuUsage(u0);
  const done = r.requests.total;
  const errors = r.errors + r.non2xx + r.timeouts;
  const rps = l.amount ? (done * 1000) / wallMs : r.requests.average;
  return {
    name,
    rps,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors,
    serverUs: done > 0 ? (serverMs * 1000) / done : NaN,
    serverCores: serverMs / wallMs,
    clientCores: (u.user + u.system) / 1000 / wallMs,
  };
}

/** Runs a case ROUNDS times; keeps the round with the median rate. */
async function measured(name: string, l: Load, warm = WARMUP): Promise<CaseResult> {
  const rounds: CaseResult[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await runCase(name, l, i === 0 ? warm : 0));
  rounds.sort((a, b) => a.rps - b.rps);
  const r = rounds[Math.floor(rounds.length / 2)]!;
  printRow(r);
  return r;
}

function printHeader(): void {
  console.log(`${'case'.padEnd(46)} ${'certs/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(6)}  ${'srv µs/req'.padStart(10)} ${'srv cores'.padStart(9)} ${'client cores'.padStart(12)}`);
}

function printRow(r: CaseResult): void {
  console.log(
    `${r.name.padEnd(46)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(6)}  ${r.serverUs.toFixed(0).padStart(10)} ${r.serverCores.toFixed(2).padStart(9)} ${r.clientCores.toFixed(2).padStart(12)}`,
  );
}

// ---------------------------------------------------------------- fixtures

/** Distinct P-256 CSRs (each its own key, CN and SAN), as PEM. */
function makeCsrs(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cn = `app${i}.example.com`;
    out.push(toPem('CERTIFICATE REQUEST', buildCsr({ subjectDer: buildName({ commonName: cn }), key: kp.privateKey, extensions: [subjectAltNameExt({ dns: [cn] }, false)] })));
  }
  return out;
}

async function sanity(c: Coffer, token: string, path: string, body: string, want: string): Promise<void> {
  const r = await fetch(`${c.base}/v1/${path}`, { method: 'POST', headers: { 'X-Vault-Token': token }, body });
  const j = (await r.json()) as { data?: Record<string, unknown>; errors?: string[] };
  if (!r.ok || typeof j.data?.[want] !== 'string') throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
}

// ---------------------------------------------------------------- main

const want = (k: string): boolean => !ONLY || ONLY.includes(k);

async function main(): Promise<void> {
  const cfsslVersion = cfsslAvailable();
  console.log(`bench/pki — ${DURATION}s per case (+${WARMUP}s warm-up), ${CONNECTIONS} connections, ${ROUNDS} round(s), node ${process.version}, ${cfsslVersion ?? 'cfssl not installed'}`);
  const t = performance.now();
  const csrs = makeCsrs(CSRS);
  console.log(`${CSRS} distinct P-256 CSRs in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

  const coffer = await startDevCoffer();
  const { token, intPem, intKeyPem } = await setupPki(coffer, want('rsa') ? RSA_BURST : 0);
  const cfssl = cfsslVersion && want('cfssl') ? await startCfssl({ port: await freePort(), caPem: intPem, caKeyPem: intKeyPem, baseUrl: coffer.base }) : undefined;
  const durable = DURABLE ? await startFileCoffer() : undefined;
  const durableToken = durable ? (await setupPki(durable)).token : '';
  try {
    const signBodies = csrs.map((csr) => JSON.stringify({ csr }));
    const issueBodies = Array.from({ length: 1024 }, (_, i) => JSON.stringify({ common_name: `svc${i}.example.com` }));
    const cfsslBodies = csrs.map((csr) => JSON.stringify({ certificate_request: csr }));
    await sanity(coffer, token, 'pki_int/sign/bench-ec', signBodies[0]!, 'certificate');
    await sanity(coffer, token, 'pki_int/issue/bench-ec', issueBodies[0]!, 'private_key');

    const ceiling = await measureCeiling(DURATION);
    console.log(`ceiling (${ceiling.threads} worker threads, in-process, no HTTP)`);
    console.log(`  raw P-256 verify + sign pairs          ${ceiling.pairsPerSec.toFixed(0).padStart(8)} /s`);
    console.log(`  same + CSR public-key import (JWK)     ${ceiling.importPairsPerSec.toFixed(0).padStart(8)} /s\n`);

    const base = { url: coffer.base, token, pid: coffer.proc.pid! };
    printHeader();
    const r: Record<string, CaseResult> = {};
    if (want('floor')) r['floor'] = await measured('coffer GET pki_int/roles/:role (HTTP+ACL floor)', { ...base, path: '/v1/pki_int/roles/bench-ec', method: 'GET' });
    if (want('sign')) {
      r['signStored'] = await measured('coffer sign/:role P-256 CSR, stored', { ...base, path: '/v1/pki_int/sign/bench-ec', bodies: signBodies });
      r['signNoStore'] = await measured('coffer sign/:role P-256 CSR, no_store', { ...base, path: '/v1/pki_int/sign/bench-ec-nostore', bodies: signBodies });
    }
    if (want('issue')) {
      r['issueStored'] = await measured('coffer issue/:role EC P-256, stored', { ...base, path: '/v1/pki_int/issue/bench-ec', bodies: issueBodies });
      r['issueNoStore'] = await measured('coffer issue/:role EC P-256, no_store', { ...base, path: '/v1/pki_int/issue/bench-ec-nostore', bodies: issueBodies });
    }
    if (durable) {
      const d = { url: durable.base, token: durableToken, pid: durable.proc.pid! };
      r['signDurable'] = await measured('coffer(file) sign/:role P-256 CSR, stored', { ...d, path: '/v1/pki_int/sign/bench-ec', bodies: signBodies });
      r['issueDurable'] = await measured('coffer(file) issue/:role EC P-256, stored', { ...d, path: '/v1/pki_int/issue/bench-ec', bodies: issueBodies });
    }
    if (cfssl) r['cfssl'] = await measured('cfssl /api/v1/cfssl/sign P-256 CSR', { url: cfssl.url, path: '/api/v1/cfssl/sign', bodies: cfsslBodies, pid: cfssl.proc.pid! });
    if (want('rsa')) {
      // The warm pool fills lazily (first request for the size), one key at a time, in the background.
      await sanity(coffer, token, 'pki_rsa/issue/bench-rsa', issueBodies[0]!, 'private_key');
      const fillMs = await waitIdle(coffer.proc.pid!);
      r['rsaWarm'] = await runCase(`coffer issue RSA-2048, warm pool (${RSA_BURST} burst)`, { ...base, path: '/v1/pki_rsa/issue/bench-rsa', bodies: issueBodies, amount: RSA_BURST }, 0);
      printRow(r['rsaWarm']);
      r['rsaCold'] = await runCase('coffer issue RSA-2048, pool drained', { ...base, path: '/v1/pki_int/issue/bench-rsa', bodies: issueBodies, timeout: 60 }, 0);
      printRow(r['rsaCold']);
      console.log(`  (pool of ${RSA_BURST} filled in ≈${(fillMs / 1000).toFixed(0)} s, one key at a time)`);
    }

    const pairs = ceiling.pairsPerSec;
    const line = (label: string, v: number | undefined, suffix = ''): void => {
      if (v !== undefined && Number.isFinite(v)) console.log(`  ${label.padEnd(52)} ${v.toFixed(2)}${suffix}`);
    };
    console.log('\nratios');
    line('sign stored / ceiling (verify+sign pairs)', r['signStored'] && r['signStored'].rps / pairs, '×   target ≥ 0.40');
    line('sign stored / ceiling with key import', r['signStored'] && r['signStored'].rps / ceiling.importPairsPerSec, '×');
    line('sign no_store / ceiling', r['signNoStore'] && r['signNoStore'].rps / pairs, '×');
    line('sign stored / cfssl', r['signStored'] && r['cfssl'] && r['signStored'].rps / r['cfssl'].rps, '×   target ≥ 3');
    line('sign no_store / cfssl', r['signNoStore'] && r['cfssl'] && r['signNoStore'].rps / r['cfssl'].rps, '×');
    line('issue EC stored (certs/s)', r['issueStored']?.rps, '   target ≥ 2,200');
    line('issue EC no_store (certs/s)', r['issueNoStore']?.rps, '   target ≥ 4,000');
    line('issue EC stored / no_store', r['issueStored'] && r['issueNoStore'] && r['issueStored'].rps / r['issueNoStore'].rps, '×');
    line('durable sign stored / in-memory sign stored', r['signDurable'] && r['signStored'] && r['signDurable'].rps / r['signStored'].rps, '×');
    line('RSA warm pool / pool drained', r['rsaWarm'] && r['rsaCold'] && r['rsaWarm'].rps / r['rsaCold'].rps, '×');
  } finally {
    cfssl?.stop();
    coffer.stop();
    durable?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
