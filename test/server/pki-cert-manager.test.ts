/**
 * cert-manager's Vault issuer against a real Coffer: the two-tier CA set up exactly as operators
 * script it, then cert-manager's own request sequence (health check, AppRole login before every
 * request, all-string sign body) and its chain handling, verified with openssl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, startDev, tempDir, type Spawned } from '../helpers/server.js';

let srv: Spawned & { token: string };
let root: Client;
const dir = tempDir('coffer-cm-');
const CM_HEADERS = { 'X-Vault-Request': 'true' };

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir.path, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** cert-manager puts the SANs in the CSR too (roles default to use_csr_sans). */
function makeCsr(cn: string): string {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn},DNS:www.${cn}`);
  return execFileSync('cat', [join(dir.path, 'leaf.csr')], { encoding: 'utf8' });
}

beforeAll(async () => {
  srv = await startDev();
  root = new Client(srv.addr, srv.token);
  // The operator's two-tier setup (Vault's PKI tutorial, step by step).
  expect((await root.post('sys/mounts/pki', { type: 'pki' })).status).toBe(204);
  expect((await root.post('sys/mounts/pki/tune', { max_lease_ttl: '87600h' })).status).toBe(204);
  const rootCa = await root.post('pki/root/generate/internal', { common_name: 'example.com', issuer_name: 'root-2026', ttl: '87600h' });
  expect(rootCa.status, rootCa.text).toBe(200);
  expect((await root.post('pki/config/urls', { issuing_certificates: `${srv.addr}/v1/pki/ca`, crl_distribution_points: `${srv.addr}/v1/pki/crl` })).status).toBeLessThan(300);
  expect((await root.post('sys/mounts/pki_int', { type: 'pki' })).status).toBe(204);
  expect((await root.post('sys/mounts/pki_int/tune', { max_lease_ttl: '43800h' })).status).toBe(204);
  const csr = await root.post<{ data: { csr: string } }>('pki_int/intermediate/generate/internal', { common_name: 'example.com Intermediate Authority', issuer_name: 'example-dot-com-intermediate' });
  expect(csr.status, csr.text).toBe(200);
  const signed = await root.post<{ data: { certificate: string } }>('pki/root/sign-intermediate', { issuer_ref: 'root-2026', csr: csr.body.data.csr, format: 'pem_bundle', ttl: '43800h' });
  expect(signed.status, signed.text).toBe(200);
  expect((await root.post('pki_int/intermediate/set-signed', { certificate: signed.body.data.certificate })).status).toBeLessThan(300);
  const role = await root.post('pki_int/roles/example-dot-com', { issuer_ref: 'default', allowed_domains: 'example.com', allow_subdomains: true, max_ttl: '720h', key_type: 'any' });
  expect(role.status, role.text).toBeLessThan(300);
  // cert-manager's AppRole, allowed to sign with that role only.
  await root.put('sys/policies/acl/cert-manager', { policy: 'path "pki_int/sign/example-dot-com" { capabilities = ["create", "update"] }' });
  await root.post('sys/auth/approle', { type: 'approle' });
  await root.post('auth/approle/role/cert-manager', { token_policies: 'cert-manager', token_ttl: '20m' });
});

afterAll(async () => {
  await srv?.kill();
  dir.cleanup();
});

async function approleLogin(): Promise<string> {
  const roleId = ((await root.get('auth/approle/role/cert-manager/role-id')).body['data'] as { role_id: string }).role_id;
  const secretId = ((await root.post('auth/approle/role/cert-manager/secret-id', {})).body['data'] as { secret_id: string }).secret_id;
  const anon = new Client(srv.addr);
  const login = await anon.request<{ auth: { client_token: string } }>('POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId }, CM_HEADERS);
  expect(login.status, login.text).toBe(200);
  return login.body.auth.client_token;
}

/** What cert-manager sends: every value a string. */
function signBody(cn: string, csr: string): Record<string, string> {
  return { common_name: cn, alt_names: `${cn},www.${cn}`, ip_sans: '', uri_sans: '', ttl: '2160h0m0s', csr, exclude_cn_from_sans: 'true' };
}

describe('cert-manager Vault issuer, replayed', () => {
  it('is Ready: GET /v1/sys/health with no query answers 200', async () => {
    const h = await new Client(srv.addr).request('GET', 'sys/health', undefined, CM_HEADERS);
    expect(h.status).toBe(200);
  });

  it('signs a CSR after an AppRole login, capping the TTL with a warning; the chain builds ca.crt', async () => {
    for (const cn of ['app.example.com', 'api.example.com']) {
      const token = await approleLogin(); // cert-manager logs in again for every request
      const res = await new Client(srv.addr, token).request<{ data: { certificate: string; ca_chain: string[]; issuing_ca: string; serial_number: string }; warnings: string[] | null }>(
        'POST',
        'pki_int/sign/example-dot-com',
        signBody(cn, makeCsr(cn)),
        CM_HEADERS,
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body.warnings?.join(' ')).toMatch(/TTL/);
      const { certificate, ca_chain } = res.body.data;
      expect(Array.isArray(ca_chain)).toBe(true);
      expect(ca_chain.length).toBe(2);
      // cert-manager: tls.crt = leaf + intermediates; ca.crt = the self-signed root.
      const isSelfSigned = (pem: string): boolean => {
        writeFileSync(join(dir.path, 'probe.pem'), pem);
        const out = openssl('x509', '-in', 'probe.pem', '-noout', '-subject', '-issuer').split('\n');
        return out[0]!.replace('subject=', '') === out[1]!.replace('issuer=', '');
      };
      const rootPem = ca_chain.find(isSelfSigned)!;
      const intermediates = ca_chain.filter((p) => p !== rootPem);
      expect(rootPem).toBeDefined();
      writeFileSync(join(dir.path, 'ca.crt'), rootPem + '\n');
      writeFileSync(join(dir.path, 'int.pem'), intermediates.join('\n') + '\n');
      writeFileSync(join(dir.path, 'tls.crt'), [certificate, ...intermediates].join('\n') + '\n');
      writeFileSync(join(dir.path, 'leaf.pem'), certificate + '\n');
      expect(openssl('verify', '-CAfile', 'ca.crt', '-untrusted', 'int.pem', 'leaf.pem')).toContain('leaf.pem: OK');
      const text = openssl('x509', '-in', 'leaf.pem', '-noout', '-text');
      expect(text).toContain(`DNS:www.${cn}`);
      // exclude_cn_from_sans: the CN is not repeated as a SAN unless asked via alt_names.
      expect(text).toMatch(/Not After/);
      const enddate = openssl('x509', '-in', 'leaf.pem', '-noout', '-enddate').trim().replace('notAfter=', '');
      const lifetimeH = (Date.parse(enddate) - Date.now()) / 3_600_000;
      expect(lifetimeH).toBeLessThanOrEqual(720);
      expect(lifetimeH).toBeGreaterThan(700);
    }
  });

  it('works with token auth too, and refuses names outside the role', async () => {
    const t = (await root.post('auth/token/create', { policies: ['cert-manager'] })).body['auth'] as { client_token: string };
    const c = new Client(srv.addr, t.client_token);
    const ok = await c.request('POST', 'pki_int/sign/example-dot-com', signBody('svc.example.com', makeCsr('svc.example.com')), CM_HEADERS);
    expect(ok.status, ok.text).toBe(200);
    const evil = await c.request<{ errors: string[] }>('POST', 'pki_int/sign/example-dot-com', signBody('evil.com', makeCsr('evil.com')), CM_HEADERS);
    expect(evil.status).toBe(400);
    expect(evil.body.errors[0]).toMatch(/evil\.com/);
    // The token may sign, but not issue or read anything else.
    expect((await c.post('pki_int/issue/example-dot-com', { common_name: 'x.example.com' })).status).toBe(403);
  });

  it('serves the CA and CRL unauthenticated, as cert-manager and browsers fetch them', async () => {
    const ca = await fetch(`${srv.addr}/v1/pki_int/ca/pem`);
    expect(ca.status).toBe(200);
    expect(await ca.text()).toContain('BEGIN CERTIFICATE');
    const crl = await fetch(`${srv.addr}/v1/pki_int/crl/pem`);
    expect(crl.status).toBe(200);
    writeFileSync(join(dir.path, 'crl.pem'), await crl.text());
    expect(openssl('crl', '-in', 'crl.pem', '-noout', '-issuer')).toContain('example.com Intermediate Authority');
  });
});
