/**
 * The two-tier CA exactly as operators script it (Vault's "Build your own CA" tutorial): a root
 * mount, an intermediate mount whose CSR the root signs, a role, issuance, revocation — checked
 * with openssl at every step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpensslDir, requireOpenssl } from './openssl.js';
import { PkiHarness, str } from './harness.js';

describe('two-tier CA, scripted like the Vault tutorial', () => {
  const ossl = new OpensslDir();
  const root = new PkiHarness();
  const int = new PkiHarness();
  let rootPem = '';
  let intPem = '';

  beforeAll(async () => {
    requireOpenssl();
    await root.init();
    await int.init();
    // vault secrets tune -max-lease-ttl=87600h pki ; … 43800h pki_int
    root.maxLeaseTtl = 87600 * 3600;
    int.maxLeaseTtl = 43800 * 3600;
  });
  afterAll(async () => {
    await root.close();
    await int.close();
    ossl.cleanup();
  });

  it('generates the root (internal) and stores it', async () => {
    const d = await root.ok('root/generate/internal', { common_name: 'example.com', issuer_name: 'root-2023', ttl: '87600h', key_type: 'ec' });
    rootPem = str(d['certificate']);
    expect(rootPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----$/);
    expect(d['issuing_ca']).toBe(rootPem);
    expect(d['issuer_name']).toBe('root-2023');
    expect(typeof d['expiration']).toBe('number');
    expect(d['serial_number']).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    expect(d).not.toHaveProperty('private_key');
    const text = ossl.text(rootPem);
    expect(text).toContain('Subject: CN = example.com');
    expect(text).toMatch(/CA:TRUE\n/);
    // Stored under certs/ and listable.
    const certs = await root.list('certs');
    expect(certs.data?.['keys']).toContain(d['serial_number']);
    // The first issuer with a key becomes the default.
    const cfg = await root.read('config/issuers');
    expect(cfg.data?.['default']).toBe(d['issuer_id']);
  });

  it('configures URLs and a role on the root mount', async () => {
    const urls = await root.ok('config/urls', { issuing_certificates: 'http://127.0.0.1:8200/v1/pki/ca', crl_distribution_points: 'http://127.0.0.1:8200/v1/pki/crl' });
    expect(urls['issuing_certificates']).toEqual(['http://127.0.0.1:8200/v1/pki/ca']);
    expect(urls['ocsp_servers']).toEqual([]);
    const role = await root.ok('roles/2023-servers', { allow_any_name: true });
    expect(role['allow_any_name']).toBe(true);
  });

  it('has the intermediate mount make a CSR, the root sign it, and the intermediate import it', async () => {
    const gen = await int.ok('intermediate/generate/internal', { common_name: 'example.com Intermediate Authority', issuer_name: 'example-dot-com-intermediate', key_type: 'ec' });
    const csr = str(gen['csr']);
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(gen['key_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ossl.ok(['req', '-verify', '-noout', '-in', ossl.file('int.csr', `${csr}\n`)])).toMatch(/verify OK/);

    const signed = await root.write('root/sign-intermediate', { issuer_ref: 'root-2023', csr, format: 'pem_bundle', ttl: '43800h' });
    expect(signed.status).toBe(200);
    const bundle = str(signed.data?.['certificate']);
    intPem = bundle.split(/(?<=-----END CERTIFICATE-----)\n/)[0]!;
    expect(signed.data?.['issuing_ca']).toBe(rootPem);
    expect(signed.data?.['ca_chain']).toEqual([intPem, rootPem]);
    const text = ossl.text(intPem);
    expect(text).toContain('Issuer: CN = example.com');
    expect(text).toContain('Subject: CN = example.com Intermediate Authority');
    expect(text).toMatch(/CA:TRUE\n/); // root has no pathlen, so neither does the intermediate
    expect(text).toContain('CA Issuers - URI:http://127.0.0.1:8200/v1/pki/ca');
    expect(text).toContain('URI:http://127.0.0.1:8200/v1/pki/crl');
    expect(ossl.verify(rootPem, [], intPem).status).toBe(0);

    const imported = await int.write('intermediate/set-signed', { certificate: bundle });
    expect(imported.status).toBe(200);
    const data = imported.data!;
    expect((data['imported_issuers'] as string[]).length).toBe(2); // intermediate + root
    const mapping = data['mapping'] as Record<string, string>;
    expect(Object.values(mapping).filter((k) => k !== '')).toEqual([gen['key_id']]);
    const cfg = await int.read('config/issuers');
    expect(mapping[str(cfg.data?.['default'])]).toBe(gen['key_id']);

    // Importing the same bundle again is idempotent.
    const again = await int.write('intermediate/set-signed', { certificate: bundle });
    expect(again.data?.['imported_issuers']).toBeNull();
    expect((again.data?.['existing_issuers'] as string[]).length).toBe(2);
  });

  it('issues leaves from the intermediate that chain to the root in openssl', async () => {
    const def = await int.read('config/issuers');
    const role = await int.write('roles/example-dot-com', { issuer_ref: def.data?.['default'], allowed_domains: 'example.com', allow_subdomains: true, max_ttl: '720h', key_type: 'ec' });
    expect(role.status).toBe(200);
    expect(role.data?.['max_ttl']).toBe(720 * 3600);

    const leaf = await int.write('issue/example-dot-com', { common_name: 'test.example.com', ttl: '24h' });
    expect(leaf.status).toBe(200);
    const d = leaf.data!;
    const certPem = str(d['certificate']);
    expect(d['private_key_type']).toBe('ec');
    expect(str(d['private_key'])).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(d['issuing_ca']).toBe(intPem);
    expect(d['ca_chain']).toEqual([intPem, rootPem]);
    expect(ossl.verify(rootPem, [intPem], certPem).status).toBe(0);
    const text = ossl.text(certPem);
    expect(text).toContain('Subject: CN = test.example.com');
    expect(text).toContain('DNS:test.example.com');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment, Key Agreement/);
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    // The private key matches the certificate.
    const keyPub = ossl.ok(['pkey', '-pubout', '-in', ossl.file('leaf.key', `${str(d['private_key'])}\n`)]);
    const certPub = ossl.ok(['x509', '-pubkey', '-noout', '-in', ossl.file('leaf.pem', `${certPem}\n`)]);
    expect(keyPub).toBe(certPub);
    // expiration is the NotAfter: 24h from now.
    expect(d['expiration']).toBe(Math.floor((int.nowMs + 24 * 3600_000) / 1000));

    const fetched = await int.read(`cert/${str(d['serial_number'])}`);
    expect(fetched.unauthenticated).toBe(true);
    expect(str(fetched.data?.['certificate']).trim()).toBe(certPem);
    expect(fetched.data?.['revocation_time']).toBe(0);
  });

  it('serves the CA, its chain and the issuers list without a token', async () => {
    const ca = await int.read('ca/pem');
    expect(ca.unauthenticated).toBe(true);
    expect(ca.response?.raw?.contentType).toBe('application/pem-certificate-chain');
    expect(String(ca.response?.raw?.body).trim()).toBe(intPem);
    const der = await int.read('ca');
    expect(der.response?.raw?.contentType).toBe('application/pkix-cert');
    const chain = await int.read('ca_chain');
    expect(String(chain.response?.raw?.body)).toBe(`${intPem}\n${rootPem}\n`);
    const issuers = await int.list('issuers');
    expect(issuers.unauthenticated).toBe(true);
    expect((issuers.data?.['keys'] as string[]).length).toBe(2);
  });

  it('revokes a leaf; the CRL and OCSP both say so', async () => {
    const leaf = await int.ok('issue/example-dot-com', { common_name: 'gone.example.com', ttl: '1h' });
    const serial = str(leaf['serial_number']);
    const rev = await int.write('revoke', { serial_number: serial });
    expect(rev.status).toBe(200);
    expect(rev.data?.['state']).toBe('revoked');
    expect(rev.data?.['revocation_time']).toBe(Math.floor(int.nowMs / 1000));

    const crl = await int.read('crl/pem');
    expect(crl.response?.raw?.contentType).toBe('application/x-pem-file');
    const crlText = ossl.ok(['crl', '-noout', '-text', '-CAfile', ossl.file('int-ca.pem', `${intPem}\n`), '-in', ossl.file('int.crl', String(crl.response?.raw?.body))]);
    expect(crlText).toContain(`Serial Number: ${serial.replace(/:/g, '').toUpperCase()}`);
    expect(crlText).toMatch(/verify OK/);

    const listed = await int.list('certs/revoked');
    expect(listed.data?.['keys']).toEqual([serial]);
  });
});
