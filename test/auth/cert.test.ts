import { beforeAll, describe, expect, it } from 'vitest';
import { createCertBackend } from '../../src/auth/cert/backend.js';
import { AuthHarness, loginAuth, ok } from './harness.js';
import { crl, issue, type Issued } from './pki.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

let root: Issued;
let inter: Issued;
let leaf: Issued;
let otherRoot: Issued;
let stranger: Issued;
let expired: Issued;
let serverOnly: Issued;
let pinned: Issued;
let sibling: Issued;

beforeAll(async () => {
  root = await issue({ cn: 'Coffer Test Root', ca: true });
  inter = await issue({ cn: 'Coffer Test Issuing CA', ca: true, issuer: root });
  leaf = await issue({
    cn: 'web-01.example.com',
    issuer: inter,
    dns: ['web-01.example.com', 'web.internal'],
    emails: ['ops@example.com'],
    uris: ['spiffe://example.com/web'],
    ou: ['Platform'],
    ekus: [CLIENT_AUTH],
    serialHex: '0abc01',
  });
  otherRoot = await issue({ cn: 'Someone Else Root', ca: true });
  stranger = await issue({ cn: 'stranger', issuer: otherRoot, ekus: [CLIENT_AUTH] });
  expired = await issue({ cn: 'old', issuer: inter, ekus: [CLIENT_AUTH], notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
  serverOnly = await issue({ cn: 'server', issuer: inter, ekus: [SERVER_AUTH] });
  pinned = await issue({ cn: 'pinned-client', ekus: [CLIENT_AUTH] });
  sibling = await issue({ cn: 'web-02.example.com', issuer: inter, ekus: [CLIENT_AUTH] });
});

async function setup(entry: Record<string, unknown> = {}): Promise<AuthHarness> {
  const h = new AuthHarness((ctx) => createCertBackend(ctx));
  h.nowMs = Date.now();
  await ok(h.write('certs/web', { certificate: root.pem, display_name: 'web', token_policies: 'tls-app', token_ttl: '1h', ...entry }));
  return h;
}

const login = (h: AuthHarness, chain: Issued[], data: Record<string, unknown> = {}, remoteAddress = '127.0.0.1') =>
  h.write('login', data, { remoteAddress, peerCertificates: chain.map((c) => c.der) });

describe('cert trusted certificates', () => {
  it('stores entries, defaults display_name to the name, and refuses unusable certificates', async () => {
    const h = await setup({ display_name: '' });
    expect((await h.read('certs/web')).data).toMatchObject({ certificate: root.pem, display_name: 'web', token_policies: ['tls-app'], token_ttl: 3600 });
    expect((await h.list('certs')).data).toEqual({ keys: ['web'] });
    expect((await h.write('certs/bad', { certificate: 'nope' })).error).toBe('failed to parse certificate');
    expect((await h.write('certs/srv', { certificate: serverOnly.pem })).error).toBe('nonCA certificates should have TLS client authentication set as an extended key usage');
    await ok(h.delete('certs/web'));
    expect((await h.read('certs/web')).status).toBe(404);
  });
});

describe('cert login', () => {
  it('verifies the presented chain to a trusted CA and returns Vault metadata', async () => {
    const h = await setup();
    expect(h.isUnauthenticated('login')).toBe(true);
    const r = await login(h, [leaf, inter]);
    expect(r.status, r.error).toBe(200);
    const skid = leaf.cert.getExtension('2.5.29.14');
    expect(skid).not.toBeNull();
    expect(r.response?.auth).toMatchObject({
      policies: ['tls-app'],
      ttl: 3600,
      displayName: 'web',
      alias: { name: 'web-01.example.com' },
      metadata: {
        cert_name: 'web',
        common_name: 'web-01.example.com',
        serial_number: String(0xabc01),
      },
    });
    const md = r.response?.auth?.metadata ?? {};
    expect(md['subject_key_id']).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    expect(md['authority_key_id']).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    expect(md['authority_key_id']).not.toBe(md['subject_key_id']);
  });

  it('accepts a trusted intermediate as anchor and restricts to one entry by name', async () => {
    const h = await setup();
    await ok(h.write('certs/issuing', { certificate: inter.pem }));
    expect((await login(h, [leaf], { name: 'issuing' })).response?.auth?.metadata?.['cert_name']).toBe('issuing');
    expect((await login(h, [leaf], { name: 'web' })).error).toBe('invalid certificate or no client certificate supplied');
  });

  it('refuses no certificate, untrusted certificates and chains missing their intermediate', async () => {
    const h = await setup();
    expect(await h.write('login', {})).toEqual({ status: 400, error: 'client certificate must be supplied' });
    expect(await login(h, [stranger])).toEqual({ status: 400, error: 'invalid certificate or no client certificate supplied' });
    expect((await login(h, [stranger, inter])).error).toBe('invalid certificate or no client certificate supplied');
    expect((await login(h, [leaf])).error).toBe('invalid certificate or no client certificate supplied');
  });

  it('refuses expired certificates and certificates not meant for client auth', async () => {
    const h = await setup();
    expect((await login(h, [expired, inter])).error).toMatch(/^failed to verify client's certificate: x509: certificate has expired or is not yet valid: current time .* is after /);
    expect((await login(h, [serverOnly, inter])).error).toBe("failed to verify client's certificate: x509: certificate specifies an incompatible key usage");
    h.nowMs = Date.now() + 400 * 86400_000;
    expect((await login(h, [leaf, inter])).status).toBe(400);
  });

  it('enforces allowed names, SANs and OUs with globs', async () => {
    const h = await setup();
    const noMatch = 'no chain matching all constraints could be found for this login certificate';
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{ allowed_common_names: '*.example.com' }, true],
      [{ allowed_common_names: 'db-*' }, false],
      [{ allowed_dns_sans: 'web.internal' }, true],
      [{ allowed_dns_sans: '*.corp' }, false],
      [{ allowed_email_sans: '*@example.com' }, true],
      [{ allowed_email_sans: 'root@example.com' }, false],
      [{ allowed_uri_sans: 'spiffe://example.com/*' }, true],
      [{ allowed_uri_sans: 'spiffe://other/*' }, false],
      [{ allowed_organizational_units: 'Plat*' }, true],
      [{ allowed_organizational_units: 'Finance' }, false],
      [{ allowed_names: 'ops@*' }, true],
    ];
    for (const [constraint, allowed] of cases) {
      await ok(h.write('certs/web', { certificate: root.pem, allowed_common_names: [], allowed_dns_sans: [], allowed_email_sans: [], allowed_uri_sans: [], allowed_organizational_units: [], allowed_names: [], ...constraint }));
      const r = await login(h, [leaf, inter]);
      if (allowed) expect(r.status, JSON.stringify(constraint)).toBe(200);
      else expect(r, JSON.stringify(constraint)).toEqual({ status: 400, error: noMatch });
    }
  });

  it('refuses a chain with a certificate revoked by a configured CRL, until the CRL is removed', async () => {
    const h = await setup();
    await ok(h.write('crls/issuing', { crl: await crl(inter, ['0abc01']) }));
    expect((await h.read('crls/issuing')).data).toEqual({ cdp: null, serials: { [String(0xabc01)]: {} } });
    expect((await h.list('crls')).data).toEqual({ keys: ['issuing'] });
    expect(await login(h, [leaf, inter])).toEqual({ status: 400, error: 'no chain matching all constraints could be found for this login certificate' });
    await ok(h.delete('crls/issuing'));
    expect((await login(h, [leaf, inter])).status).toBe(200);
    // A revoked intermediate poisons every chain through it.
    await ok(h.write('crls/root', { crl: await crl(root, [inter.cert.serialNumber]) }));
    expect((await login(h, [leaf, inter])).status).toBe(400);
    expect((await h.write('crls/bad', { crl: 'junk' })).error).toMatch(/^failed to parse CRL/);
    expect((await h.write('crls/none', {})).error).toBe("one of 'crl' or 'url' must be provided");
  });

  it('logs in a pinned non-CA certificate presented as is', async () => {
    const h = await setup();
    await ok(h.write('certs/pin', { certificate: pinned.pem, token_policies: 'pinned' }));
    const r = await login(h, [pinned]);
    expect(r.status, r.error).toBe(200);
    expect(r.response?.auth?.metadata?.['cert_name']).toBe('pin');
    expect(r.response?.auth?.policies).toEqual(['pinned']);
  });

  it('refuses logins from outside token_bound_cidrs with 403', async () => {
    const h = await setup({ token_bound_cidrs: '10.0.0.0/8' });
    expect(await login(h, [leaf, inter])).toEqual({ status: 403, error: 'permission denied' });
    expect((await login(h, [leaf, inter], {}, '10.2.3.4')).status).toBe(200);
  });
});

describe('cert renewal', () => {
  const renewWith = (h: AuthHarness, auth: Parameters<AuthHarness['renew']>[0], chain: Issued[]) => h.renew(auth, { peerCertificates: chain.map((c) => c.der) });

  it('renews over a connection presenting the login certificate, with the entry\'s current TTLs', async () => {
    const h = await setup({ token_max_ttl: '2h' });
    const auth = await loginAuth(login(h, [leaf, inter]));
    expect(await renewWith(h, auth, [leaf, inter])).toEqual({ status: 200, ttls: { ttl: 3600, maxTtl: 7200 } });
    await ok(h.write('certs/web', { token_ttl: '30m' }));
    expect((await renewWith(h, auth, [leaf, inter])).ttls).toEqual({ ttl: 1800, maxTtl: 7200 });
  });

  it('refuses another certificate: an untrusted one (400), or a trusted one with another identity (500, as Vault)', async () => {
    const h = await setup();
    const auth = await loginAuth(login(h, [leaf, inter]));
    expect(await renewWith(h, auth, [])).toEqual({ status: 400, error: 'client certificate must be supplied' });
    expect(await renewWith(h, auth, [stranger])).toEqual({ status: 400, error: 'invalid certificate or no client certificate supplied' });
    expect((await login(h, [sibling, inter])).status).toBe(200);
    expect(await renewWith(h, auth, [sibling, inter])).toEqual({ status: 500, error: 'client identity during renewal not matching client identity used during login' });
  });

  it('refuses once a CRL revokes the certificate, the entry is deleted, or its policies change', async () => {
    const h = await setup();
    const auth = await loginAuth(login(h, [leaf, inter]));
    await ok(h.write('crls/issuing', { crl: await crl(inter, ['0abc01']) }));
    expect(await renewWith(h, auth, [leaf, inter])).toEqual({ status: 400, error: 'no chain matching all constraints could be found for this login certificate' });
    await ok(h.delete('crls/issuing'));
    await ok(h.write('certs/web', { token_policies: 'tls-app,extra' }));
    expect(await renewWith(h, auth, [leaf, inter])).toEqual({ status: 500, error: 'policies have changed, not renewing' });
    await ok(h.delete('certs/web'));
    expect(await renewWith(h, auth, [leaf, inter])).toEqual({ status: 400, error: 'invalid certificate or no client certificate supplied' });
  });

  it('checks only the entry and its policies with disable_binding', async () => {
    const h = await setup();
    await ok(h.write('config', { disable_binding: true }));
    const auth = await loginAuth(login(h, [leaf, inter]));
    expect((await renewWith(h, auth, [])).status).toBe(200);
    expect((await renewWith(h, auth, [stranger])).status).toBe(200);
    await ok(h.delete('certs/web'));
    expect(await renewWith(h, auth, [leaf, inter])).toEqual({ status: 400, error: 'certificate entry "web" no longer exists, not renewing' });
  });

  it('renews a pinned certificate login only with that certificate', async () => {
    const h = await setup();
    await ok(h.write('certs/pin', { certificate: pinned.pem, token_policies: 'pinned' }));
    const auth = await loginAuth(login(h, [pinned]));
    expect((await renewWith(h, auth, [pinned])).status).toBe(200);
    expect((await renewWith(h, auth, [leaf, inter])).status).toBe(400);
  });
});
