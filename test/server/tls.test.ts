import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';
import { freePort, spawnCoffer, tempDir, writeConfig, type Spawned } from '../helpers/server.js';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makePki(dir: string): void {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Coffer Test CA');
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeConfig(dir, ext + '\n', `${name}.ext`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

function httpsGet(port: number, path: string, opts: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', ca: opts.ca, ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS listeners', () => {
  const dir = tempDir();
  const servers: Spawned[] = [];
  let ca: Buffer;
  let openPort: number;
  let strictPort: number;

  beforeAll(async () => {
    makePki(dir.path);
    ca = readFileSync(join(dir.path, 'ca.pem'));
    openPort = await freePort();
    strictPort = await freePort();
    const tls = (port: number, strict: boolean): string =>
      `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_cert_file = "${dir.path}/server.pem"\n  tls_key_file = "${dir.path}/server.key"\n  tls_client_ca_file = "${dir.path}/ca.pem"\n  tls_min_version = "tls12"\n  tls_require_and_verify_client_cert = ${strict}\n}\n`;
    const cfg = writeConfig(dir.path, `storage "inmem" {}\n${tls(openPort, false)}${tls(strictPort, true)}`);
    servers.push(await spawnCoffer(['server', `-config=${cfg}`], { port: openPort, scheme: 'https' }));
  });
  afterAll(async () => {
    for (const s of servers) await s.kill();
    dir.cleanup();
  });

  it('serves HTTPS with the configured certificate', async () => {
    const r = await httpsGet(openPort, '/v1/sys/health', { ca });
    expect(r.status).toBe(501);
    expect(JSON.parse(r.body)).toMatchObject({ initialized: false });
  });

  it('requests but does not require a client certificate by default', async () => {
    const withCert = await httpsGet(openPort, '/v1/sys/seal-status', {
      ca,
      cert: readFileSync(join(dir.path, 'client.pem')),
      key: readFileSync(join(dir.path, 'client.key')),
    });
    expect(withCert.status).toBe(200);
  });

  it('refuses clients without a certificate when verification is required', async () => {
    await expect(httpsGet(strictPort, '/v1/sys/health', { ca })).rejects.toThrow();
    const ok = await httpsGet(strictPort, '/v1/sys/health', {
      ca,
      cert: readFileSync(join(dir.path, 'client.pem')),
      key: readFileSync(join(dir.path, 'client.key')),
    });
    expect(ok.status).toBe(501);
  });

  it('refuses a client that does not trust the server certificate', async () => {
    await expect(httpsGet(openPort, '/v1/sys/health', { ca: readFileSync(join(dir.path, 'client.pem')) })).rejects.toThrow();
  });
});
