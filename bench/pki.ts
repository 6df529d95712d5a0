/**
 * bench/pki — in-process PKI figures (no HTTP yet):
 *   - baseline: raw node:crypto ECDSA P-256 verify + sign pairs per second (the floor of a CSR sign);
 *   - our sign-CSR path (`sign/:role`) and issue path (`issue/:role`, EC P-256), stored and no_store,
 *     through the backend handlers over an in-memory store;
 *   - @peculiar/x509's X509CertificateGenerator for the same leaf, for comparison;
 *   - revocation at scale: revoke latency with ~17k revoked certificates and the CRL build time.
 *
 *   node --import tsx bench/pki.ts [--seconds 3] [--revoked 17000]
 *
 * One process, one core; the machine is shared: compare ratios, not absolute numbers.
 */
import 'reflect-metadata';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { LogicalRequest, LogicalResponse, Operation } from '../src/core/logical.js';
import { StorageView, type KeyValueStore } from '../src/core/storage-view.js';
import { createPkiBackend } from '../src/pki/backend.js';
import { buildCsr } from '../src/pki/csr.js';
import { subjectAltNameExt } from '../src/pki/extensions.js';
import { buildName } from '../src/pki/name.js';
import { toPem } from '../src/pki/pem.js';
import type { TxnOp } from '../src/storage/physical.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const SECONDS = Number(args.get('seconds') ?? 3);
const REVOKED = Number(args.get('revoked') ?? 17000);

class MemoryStore implements KeyValueStore {
  readonly m = new Map<string, Buffer>();
  async get(k: string): Promise<Buffer | undefined> {
    return this.m.get(k);
  }
  async put(k: string, v: Buffer): Promise<void> {
    // An exact-size copy, as a real store keeps: a pooled slice would pin a whole 8 KiB slab.
    const copy = Buffer.allocUnsafeSlow(v.length);
    v.copy(copy);
    this.m.set(k, copy);
  }
  async delete(k: string): Promise<void> {
    this.m.delete(k);
  }
  async list(prefix: string): Promise<string[]> {
    const out = new Set<string>();
    for (const k of this.m.keys()) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const i = rest.indexOf('/');
      out.add(i === -1 ? rest : rest.slice(0, i + 1));
    }
    return [...out].sort();
  }
  async txn(ops: TxnOp[]): Promise<void> {
    for (const o of ops) if (o.op === 'put') this.m.set(o.key, o.value);
    else this.m.delete(o.key);
  }
}

/** The smallest router that serves the backend's PathDefs (first anchored match wins). */
function mount() {
  const view = new StorageView(new MemoryStore(), 'logical/bench/');
  const backend = createPkiBackend(
    { mountPoint: 'pki/', options: {}, effectiveTtls: () => ({ defaultLeaseTtl: 768 * 3600, maxLeaseTtl: 87600 * 3600 }), now: () => new Date() },
    { rsaPoolSize: 0 },
  );
  const routes = backend.paths.map((d) => ({ re: new RegExp(`^(?:${d.pattern})$`), d }));
  async function call(op: Operation, path: string, data: Record<string, unknown> = {}): Promise<LogicalResponse> {
    for (const { re, d } of routes) {
      const m = re.exec(path);
      if (!m) continue;
      const handler = d.operations[op] ?? d.operations.update;
      const req: LogicalRequest = {
        id: 'b', operation: op, path: `pki/${path}`, mountPoint: 'pki/', relativePath: path, data,
        params: Object.fromEntries(Object.entries(m.groups ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>,
        clientToken: '', storage: view, headers: {}, connection: { remoteAddress: '127.0.0.1', remotePort: 0 },
      };
      const res = await handler!(req);
      if (!res) throw new Error(`${path}: empty response`);
      return res;
    }
    throw new Error(`no route for ${path}`);
  }
  return { backend, view, call };
}

type Fn = () => unknown | Promise<unknown>;

async function measure(fn: Fn, seconds: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
  }
  return (n * 1000) / (performance.now() - start);
}

/**
 * Rates of several figures measured in interleaved rounds (the machine is shared and the JIT
 * warms up): each figure's best round is reported.
 */
async function rates(figures: Array<[string, Fn]>, rounds = 3): Promise<number[]> {
  for (const [, fn] of figures) for (let i = 0; i < 300; i++) await fn(); // warm-up
  const best = figures.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (const [i, [, fn]] of figures.entries()) best[i] = Math.max(best[i]!, await measure(fn, SECONDS / rounds));
  }
  figures.forEach(([label], i) => {
    const perSec = best[i]!;
    console.log(`${label.padEnd(56)} ${perSec.toFixed(0).padStart(8)} /s   ${(1000 / perSec).toFixed(3)} ms each`);
  });
  return best;
}

async function main(): Promise<void> {
  console.log(`PKI bench — ${SECONDS}s per figure, node ${process.version}\n`);
  const { backend, view, call } = mount();
  await backend.initialize?.(view);
  await call('update', 'root/generate/internal', { common_name: 'Bench Root', key_type: 'ec', ttl: '87600h' });
  await call('update', 'config/urls', { issuing_certificates: 'http://127.0.0.1:8200/v1/pki/ca', crl_distribution_points: 'http://127.0.0.1:8200/v1/pki/crl', ocsp_servers: 'http://127.0.0.1:8200/v1/pki/ocsp' });
  const role = { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', ttl: '24h' };
  await call('update', 'roles/stored', role);
  await call('update', 'roles/nostore', { ...role, no_store: true });

  const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csrDer = buildCsr({ subjectDer: buildName({ commonName: 'app.example.com' }), key: leafKey.privateKey, extensions: [subjectAltNameExt({ dns: ['app.example.com', 'www.example.com'] }, false)] });

  // Distinct CSRs (each with its own key), cycled, so nothing benefits from repeating one request.
  const csrs: string[] = [];
  for (let i = 0; i < 512; i++) {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    csrs.push(toPem('CERTIFICATE REQUEST', buildCsr({ subjectDer: buildName({ commonName: `app${i}.example.com` }), key: kp.privateKey, extensions: [subjectAltNameExt({ dns: [`app${i}.example.com`] }, false)] })));
  }
  let next = 0;
  const nextCsr = (): string => csrs[next++ % csrs.length]!;

  // Baselines: what signing a CSR fundamentally costs — verify its signature, sign one TBS —
  // with the CSR's key already imported, and with the import OpenSSL 3 makes us pay per request.
  const caKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csrSig = sign('sha256', csrDer, leafKey.privateKey);
  const jwk = leafKey.publicKey.export({ format: 'jwk' });
  const tbs = Buffer.alloc(600, 7);
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const issuerKeys = (await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const subjectKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;

  const [baseline, baselineImport, signStored, signNoStore, issueStored, issueNoStore, peculiar] = await rates([
    ['raw crypto.verify + crypto.sign (P-256) pairs', () => {
      verify('sha256', csrDer, leafKey.publicKey, csrSig);
      sign('sha256', tbs, caKey.privateKey);
    }],
    ['raw key import (JWK) + verify + sign (P-256)', () => {
      verify('sha256', csrDer, createPublicKey({ key: jwk, format: 'jwk' }), csrSig);
      sign('sha256', tbs, caKey.privateKey);
    }],
    ['sign/:role (CSR, stored)', () => call('update', 'sign/stored', { csr: nextCsr(), common_name: 'app.example.com' })],
    ['sign/:role (CSR, no_store)', () => call('update', 'sign/nostore', { csr: nextCsr(), common_name: 'app.example.com' })],
    ['issue/:role (EC P-256 key, stored)', () => call('update', 'issue/stored', { common_name: 'app.example.com' })],
    ['issue/:role (EC P-256 key, no_store)', () => call('update', 'issue/nostore', { common_name: 'app.example.com' })],
    // @peculiar/x509 generator for a comparable leaf (same issuer key type, SANs, KU/EKU).
    ['@peculiar/x509 X509CertificateGenerator.create', () =>
      x509.X509CertificateGenerator.create({
        serialNumber: createHash('sha1').update(String(Math.random())).digest('hex'),
        issuer: 'CN=Bench Root',
        subject: 'CN=app.example.com',
        notBefore: new Date(),
        notAfter: new Date(Date.now() + 86400_000),
        signingAlgorithm: alg,
        publicKey: subjectKeys.publicKey,
        signingKey: issuerKeys.privateKey,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'app.example.com' }, { type: 'dns', value: 'www.example.com' }]),
        ],
      })],
  ]);

  console.log('\nratios');
  console.log(`  sign/:role no_store / raw verify+sign          : ${(signNoStore! / baseline!).toFixed(2)}`);
  console.log(`  sign/:role no_store / raw import+verify+sign   : ${(signNoStore! / baselineImport!).toFixed(2)}`);
  console.log(`  sign/:role stored   / sign/:role no_store      : ${(signStored! / signNoStore!).toFixed(2)}`);
  console.log(`  issue/:role no_store / sign/:role no_store     : ${(issueNoStore! / signNoStore!).toFixed(2)}`);
  console.log(`  issue/:role stored  / @peculiar/x509 generator : ${(issueStored! / peculiar!).toFixed(1)}×`);
  console.log(`  sign/:role stored   / @peculiar/x509 generator : ${(signStored! / peculiar!).toFixed(1)}×`);

  // Revocation at scale: revoke latency with many revoked certs, and what one CRL build costs.
  console.log(`\nrevocation with ${REVOKED} revoked certificates`);
  const serials: string[] = [];
  for (let i = 0; i < REVOKED + 200; i++) {
    const r = await call('update', 'sign/stored', { csr: nextCsr() });
    serials.push(String(r.data?.['serial_number']));
  }
  const t0 = performance.now();
  for (let i = 0; i < REVOKED; i++) await call('update', 'revoke', { serial_number: serials[i] });
  const bulkMs = performance.now() - t0;
  console.log(`  revoke (${REVOKED} in a row, background CRL rebuilds coalesced) : ${((bulkMs * 1000) / REVOKED).toFixed(0)} µs each`);
  await call('read', 'crl');
  const lat: number[] = [];
  for (let i = REVOKED; i < REVOKED + 200; i++) {
    const s = performance.now();
    await call('update', 'revoke', { serial_number: serials[i] });
    lat.push(performance.now() - s);
    await new Promise((r) => setTimeout(r, 0));
  }
  lat.sort((a, b) => a - b);
  console.log(`  single revoke at ${REVOKED}+ revoked: p50 ${lat[100]!.toFixed(3)} ms, p99 ${lat[198]!.toFixed(3)} ms`);
  const b0 = performance.now();
  const rebuilds = 5;
  for (let i = 0; i < rebuilds; i++) await call('read', 'crl/rotate');
  const crl = await call('read', 'crl');
  console.log(`  complete CRL build (${REVOKED + 200} entries, ${(crl.raw!.body as Buffer).length} bytes): ${((performance.now() - b0) / rebuilds).toFixed(1)} ms`);
  await backend.cleanup?.(view);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
