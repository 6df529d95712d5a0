/**
 * cfssl as the peer of the PKI benchmark: `cfssl serve` with the same intermediate certificate and
 * key coffer signs with, a profile close to the coffer role (24 h, the same key usages, AIA / CRL
 * URLs), no certificate database (cfssl stores nothing unless given -db-config).
 *
 *   apt-get install -y golang-cfssl
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CfsslServer {
  proc: ChildProcess;
  url: string;
  version: string;
  stop(): void;
}

export function cfsslAvailable(): string | undefined {
  const r = spawnSync('cfssl', ['version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.replace(/\s+/g, ' ').trim();
}

export async function startCfssl(opts: { port: number; caPem: string; caKeyPem: string; baseUrl: string }): Promise<CfsslServer> {
  const version = cfsslAvailable();
  if (!version) throw new Error('cfssl is not installed (apt-get install -y golang-cfssl)');
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-cfssl-'));
  writeFileSync(join(dir, 'ca.pem'), opts.caPem);
  writeFileSync(join(dir, 'ca-key.pem'), opts.caKeyPem, { mode: 0o600 });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      signing: {
        default: {
          expiry: '24h',
          usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
          issuer_urls: [`${opts.baseUrl}/v1/pki_int/ca`],
          crl_url: `${opts.baseUrl}/v1/pki_int/crl`,
          ocsp_url: `${opts.baseUrl}/v1/pki_int/ocsp`,
        },
      },
    }),
  );
  const proc = spawn(
    'cfssl',
    ['serve', '-address', '127.0.0.1', '-port', String(opts.port), '-ca', join(dir, 'ca.pem'), '-ca-key', join(dir, 'ca-key.pem'), '-config', join(dir, 'config.json'), '-loglevel', '3'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = (): void => {
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  // With -loglevel 3 cfssl prints nothing on start: poll its info endpoint.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`cfssl serve exited ${proc.exitCode}: ${out}`);
    try {
      const r = await fetch(`${url}/api/v1/cfssl/info`, { method: 'POST', body: '{}' });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`cfssl serve did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, url, version, stop };
}
