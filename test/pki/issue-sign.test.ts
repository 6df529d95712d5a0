/**
 * Roles and the issuing endpoints through the backend: role defaults and validation, every key
 * type, name-check refusals with Vault's messages, sign / sign-verbatim, cert-manager's
 * string-typed request, TTL capping, leases, and bad input that must change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicConstraintsExt, subjectAltNameExt } from '../../src/pki/extensions.js';
import { buildCsr } from '../../src/pki/csr.js';
import { generateEcOrEd, generateRsaAsync, type KeyPair } from '../../src/pki/keys.js';
import { buildName } from '../../src/pki/name.js';
import { toPem } from '../../src/pki/pem.js';
import { OpensslDir, requireOpenssl } from './openssl.js';
import { PkiHarness, str } from './harness.js';

function csrPem(kp: KeyPair, cn: string, dns: string[] = [], extra: Buffer[] = []): string {
  const exts = dns.length ? [subjectAltNameExt({ dns }, false), ...extra] : extra;
  return toPem('CERTIFICATE REQUEST', buildCsr({ subjectDer: buildName({ commonName: cn }), key: kp.privateKey, extensions: exts }));
}

describe('roles and issuance', () => {
  const ossl = new OpensslDir();
  const h = new PkiHarness();
  let rootPem = '';
  let rsa: KeyPair;

  beforeAll(async () => {
    requireOpenssl();
    await h.init();
    h.maxLeaseTtl = 8760 * 3600;
    rsa = await generateRsaAsync(2048);
    rootPem = str((await h.ok('root/generate/internal', { common_name: 'Test Root', key_type: 'ec', ttl: '8000h' }))['certificate']);
  });
  afterAll(async () => {
    await h.close();
    ossl.cleanup();
  });

  it('stores roles with Vault defaults and reads them back', async () => {
    const w = await h.write('roles/defaults', {});
    expect(w.status).toBe(200);
    const r = (await h.read('roles/defaults')).data!;
    expect(r).toMatchObject({
      ttl: 0, max_ttl: 0, allow_localhost: true, allow_wildcard_certificates: true, enforce_hostnames: true, allow_ip_sans: true,
      server_flag: true, client_flag: true, key_type: 'rsa', key_bits: 2048, signature_bits: 256, use_csr_common_name: true,
      use_csr_sans: true, require_cn: true, cn_validations: ['email', 'hostname'], not_before_duration: 30, issuer_ref: 'default',
      key_usage: ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment'], generate_lease: false, no_store: false,
    });
    expect(r).not.toHaveProperty('max_path_length');
    expect((await h.read('roles/missing')).status).toBe(404);
    expect((await h.list('roles')).data?.['keys']).toEqual(['defaults']);

    const ec = await h.write('roles/ec', { key_type: 'ec', ttl: '1h', max_ttl: '2h' });
    expect(ec.data).toMatchObject({ key_bits: 256, signature_bits: 0, ttl: 3600, max_ttl: 7200 });
    // PATCH merges; POST replaces.
    const patched = await h.patch('roles/ec', { allow_any_name: true });
    expect(patched.data).toMatchObject({ allow_any_name: true, ttl: 3600 });
    const replaced = await h.write('roles/ec', { allow_any_name: true });
    expect(replaced.data).toMatchObject({ ttl: 0, key_type: 'rsa' });
    expect((await h.delete('roles/ec')).status).toBe(204);
    expect((await h.read('roles/ec')).status).toBe(404);
  });

  it('refuses bad role definitions with Vault messages', async () => {
    const bad: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ ttl: '2h', max_ttl: '1h' }, '"ttl" value must be less than "max_ttl" value'],
      [{ key_type: 'dsa' }, 'unknown key type dsa'],
      [{ key_type: 'rsa', key_bits: 1024 }, 'RSA keys < 2048 bits are unsafe and not supported: got 1024'],
      [{ key_type: 'ec', key_bits: 123 }, 'unsupported bit length for EC key: 123'],
      [{ key_type: 'rsa', signature_bits: 128 }, 'unsupported hash signature algorithm: 128'],
      [{ ext_key_usage_oids: 'not.an.oid' }, '"not.an.oid" could not be parsed as a valid oid for an extended key usage'],
      [{ ttl: 'forever' }, /^Field validation failed: error converting input "forever" for field "ttl"/],
      [{ allow_any_name: 'maybe' }, /^Field validation failed: .* for field "allow_any_name"/],
    ];
    for (const [data, msg] of bad) {
      const before = h.store.snapshot();
      const r = await h.write('roles/bad', data);
      expect(r.status, JSON.stringify(data)).toBe(400);
      if (typeof msg === 'string') expect(r.error).toBe(msg);
      else expect(r.error).toMatch(msg);
      expect(h.store.snapshot()).toBe(before);
    }
    const cn = await h.write('roles/bad', { cn_validations: 'disabled,email' });
    expect(cn.status).toBe(500);
    expect((await h.read('roles/bad')).status).toBe(404);
  });

  it('issues every key type and each chains in openssl', async () => {
    const cases: Array<[Record<string, unknown>, RegExp, string]> = [
      [{ key_type: 'ec', key_bits: 256 }, /EC PRIVATE KEY/, 'ec'],
      [{ key_type: 'ec', key_bits: 384 }, /EC PRIVATE KEY/, 'ec'],
      [{ key_type: 'ec', key_bits: 521 }, /EC PRIVATE KEY/, 'ec'],
      [{ key_type: 'ed25519' }, /-----BEGIN PRIVATE KEY/, 'ed25519'],
      [{ key_type: 'rsa', key_bits: 2048 }, /RSA PRIVATE KEY/, 'rsa'],
    ];
    for (const [role, keyRe, type] of cases) {
      await h.ok('roles/kt', { ...role, allow_any_name: true, ttl: '1h' });
      const d = await h.ok('issue/kt', { common_name: `${type}.example.com` });
      expect(d['private_key_type']).toBe(type);
      expect(str(d['private_key'])).toMatch(keyRe);
      expect(ossl.verify(rootPem, [], str(d['certificate'])).status, JSON.stringify(role)).toBe(0);
      if (role['key_bits']) expect(ossl.text(str(d['certificate']))).toMatch(new RegExp(`Public-Key: \\(${String(role['key_bits'])} bit\\)`));
    }
    const pkcs8 = await h.ok('issue/kt', { common_name: 'p8.example.com', private_key_format: 'pkcs8' });
    expect(str(pkcs8['private_key'])).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const der = await h.ok('issue/kt', { common_name: 'der.example.com', format: 'der' });
    expect(str(der['certificate'])).toMatch(/^MII/);
    expect(Buffer.from(str(der['certificate']), 'base64')[0]).toBe(0x30);
    const bundle = await h.ok('issue/kt', { common_name: 'b.example.com', format: 'pem_bundle' });
    expect(str(bundle['certificate'])).toMatch(/^-----BEGIN RSA PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN CERTIFICATE-----/);
  });

  it('refuses names outside the role with Vault messages and stores nothing', async () => {
    await h.ok('roles/web', { allowed_domains: 'example.com', allow_subdomains: true, allow_wildcard_certificates: false, key_type: 'ec', ttl: '1h' });
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ common_name: 'evil.com' }, 'common name evil.com not allowed by this role'],
      [{ common_name: '*.example.com' }, 'common name *.example.com not allowed by this role'],
      [{ common_name: 'ok.example.com', alt_names: 'evil.com' }, 'subject alternate name evil.com not allowed by this role'],
      [{ common_name: 'ok.example.com', alt_names: 'me@evil.com' }, 'email address me@evil.com not allowed by this role'],
      [{ common_name: 'ok.example.com', ip_sans: 'not-an-ip' }, 'the value "not-an-ip" is not a valid IP address'],
      [{ common_name: 'ok.example.com', uri_sans: 'spiffe://x' }, 'URI Subject Alternative Names are not allowed in this role, but were provided via the API'],
      [{ common_name: 'ok.example.com', other_sans: '1.2.3.4;UTF8:x' }, 'other SAN OID 1.2.3.4 not allowed by this role'],
      [{ common_name: 'ok.example.com', serial_number: 'S1' }, 'serial_number S1 not allowed by this role'],
      [{ common_name: 'ok.example.com', user_ids: 'bob' }, 'user_id bob is not allowed by this role'],
      [{}, 'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false'],
      [{ common_name: 'ok.example.com', format: 'jks' }, 'the "format" path parameter must be "pem", "der", or "pem_bundle"'],
      [{ common_name: 'ok.example.com', ttl: '1h', not_after: '2030-01-01T00:00:00Z' }, 'Either ttl or not_after should be provided. Both should not be provided in the same request.'],
    ];
    for (const [data, msg] of refusals) {
      const before = h.store.snapshot();
      const r = await h.write('issue/web', data);
      expect(r.status, JSON.stringify(data)).toBe(400);
      expect(r.error).toBe(msg);
      expect(h.store.snapshot()).toBe(before);
    }
    expect((await h.write('issue/nope', { common_name: 'a.example.com' })).error).toBe('unknown role: nope');
    await h.ok('roles/noip', { allow_any_name: true, allow_ip_sans: false, key_type: 'ec' });
    expect((await h.write('issue/noip', { common_name: 'x', ip_sans: '1.2.3.4,5.6.7.8' })).error).toBe(
      'IP Subject Alternative Names are not allowed in this role, but was provided [1.2.3.4 5.6.7.8]',
    );
  });

  it('caps TTLs by role max_ttl, then mount max, then the issuer (per leaf_not_after_behavior)', async () => {
    await h.ok('roles/ttl', { allow_any_name: true, key_type: 'ec', max_ttl: '2h' });
    const capped = await h.write('issue/ttl', { common_name: 'x', ttl: '5h' });
    expect(capped.warnings).toContain('TTL "5h0m0s" is longer than permitted maxTTL "2h0m0s", so maxTTL is being used');
    expect(capped.data?.['expiration']).toBe(Math.floor((h.nowMs + 2 * 3600_000) / 1000));
    await h.ok('roles/long', { allow_any_name: true, key_type: 'ec' });
    const beyond = await h.write('issue/long', { common_name: 'x', ttl: '8700h' });
    expect(beyond.status).toBe(400);
    expect(beyond.error).toMatch(/^cannot satisfy request, as TTL would result in notAfter of .* that is beyond the expiration of the CA certificate at /);
    await h.ok('issuer/default', { leaf_not_after_behavior: 'truncate' });
    const truncated = await h.ok('issue/long', { common_name: 'x', ttl: '8700h' });
    const rootExp = ossl.ok(['x509', '-noout', '-enddate', '-in', ossl.file('r.pem', `${rootPem}\n`)]);
    const leafExp = ossl.ok(['x509', '-noout', '-enddate', '-in', ossl.file('l.pem', `${str(truncated['certificate'])}\n`)]);
    expect(leafExp).toBe(rootExp);
    await h.ok('issuer/default', { leaf_not_after_behavior: 'err' });
  });

  it('signs CSRs: role key checks, CSR values, BasicConstraints warning', async () => {
    await h.ok('roles/signer', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', key_bits: 384, ttl: '1h' });
    const p384 = generateEcOrEd('ec', 384);
    const ok = await h.write('sign/signer', { csr: csrPem(p384, 'svc.example.com', ['svc.example.com', 'alt.example.com'], [basicConstraintsExt(true)]), common_name: 'ignored.example.com' });
    expect(ok.status).toBe(200);
    expect(ok.warnings).toEqual([
      'the common_name field was provided but the role is set with "use_csr_common_name" set to true',
      'specified CSR contained a Basic Constraints extension that was ignored during issuance',
    ]);
    expect(ok.data).not.toHaveProperty('private_key');
    const text = ossl.text(str(ok.data?.['certificate']));
    expect(text).toContain('Subject: CN = svc.example.com');
    expect(text).toContain('DNS:svc.example.com, DNS:alt.example.com');
    expect(text).not.toContain('CA:TRUE');

    expect((await h.write('sign/signer', { csr: csrPem(generateEcOrEd('ec', 256), 'a.example.com') })).error).toBe(
      "role requires a minimum of a 384-bit key, but CSR's key is 256 bits",
    );
    expect((await h.write('sign/signer', { csr: csrPem(rsa, 'a.example.com') })).error).toBe('role requires keys of type ec');
    expect((await h.write('sign/signer', { csr: csrPem(p384, 'evil.com') })).error).toBe('common name evil.com not allowed by this role');
    await h.ok('roles/anykey', { allow_any_name: true, key_type: 'any' });
    expect((await h.write('sign/anykey', { csr: csrPem(rsa, 'r') })).status).toBe(200);
    expect((await h.write('sign/anykey', { csr: csrPem(generateEcOrEd('ed25519', 0), 'e') })).status).toBe(200);
    expect((await h.write('issue/anykey', { common_name: 'x' })).error).toBe('role key type "any" not allowed for issuing certificates, only signing');
  });

  it("accepts cert-manager's all-string sign request", async () => {
    h.maxLeaseTtl = 8760 * 3600;
    await h.ok('roles/cert-manager', { allowed_domains: 'example.com', allow_subdomains: true, allow_bare_domains: true, key_type: 'any', max_ttl: '2160h' });
    // cert-manager builds its CSR with Go; openssl makes an equivalent one (SANs in extensionRequest).
    const key = ossl.file('cm.key', '');
    ossl.ok(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', 'cm.csr', '-subj', '/CN=app.example.com', '-addext', 'subjectAltName=DNS:app.example.com,DNS:www.example.com']);
    const csr = ossl.ok(['req', '-in', 'cm.csr']);
    const r = await h.write('sign/cert-manager', {
      common_name: 'app.example.com',
      alt_names: 'app.example.com,www.example.com',
      ip_sans: '',
      uri_sans: '',
      ttl: '2160h0m0s',
      csr,
      exclude_cn_from_sans: 'true',
    });
    expect(r.status).toBe(200);
    expect(r.data?.['expiration']).toBe(Math.floor((h.nowMs + 2160 * 3600_000) / 1000));
    const chain = r.data?.['ca_chain'] as string[];
    expect(Array.isArray(chain)).toBe(true);
    expect(chain).toEqual([rootPem]);
    const text = ossl.text(str(r.data?.['certificate']));
    expect(text).toContain('DNS:app.example.com, DNS:www.example.com');
    expect(ossl.verify(rootPem, [], str(r.data?.['certificate'])).status).toBe(0);
  });

  it('sign-verbatim copies the CSR but never makes a CA', async () => {
    const kp = generateEcOrEd('ec', 256);
    const csr = toPem('CERTIFICATE REQUEST', buildCsr({
      subjectDer: buildName({ commonName: 'verbatim', organization: ['Acme'], country: ['US'] }),
      key: kp.privateKey,
      extensions: [subjectAltNameExt({ dns: ['anything.test'], uri: ['spiffe://x/y'] }, false), basicConstraintsExt(true)],
    }));
    const r = await h.write('sign-verbatim', { csr, ttl: '1h', ext_key_usage: 'CodeSigning' });
    expect(r.status).toBe(200);
    expect(r.warnings).toContain('specified CSR contained a Basic Constraints extension that was ignored during issuance');
    const text = ossl.text(str(r.data?.['certificate']));
    expect(text).toContain('Subject: C = US, O = Acme, CN = verbatim');
    expect(text).toContain('DNS:anything.test, URI:spiffe://x/y');
    expect(text).toContain('Code Signing');
    expect(text).not.toContain('CA:TRUE');
    await h.ok('roles/vb', { no_store: true, ttl: '30m', allow_any_name: true });
    const viaRole = await h.write('sign-verbatim/vb', { csr });
    expect(viaRole.data?.['expiration']).toBe(Math.floor((h.nowMs + 1800_000) / 1000));
    expect((await h.read(`cert/${str(viaRole.data?.['serial_number'])}`)).status).toBe(404);
  });

  it('refuses bad CSRs and bad input without storing anything', async () => {
    await h.ok('roles/any2', { allow_any_name: true, key_type: 'any' });
    const good = csrPem(generateEcOrEd('ec', 256), 'x.example.com');
    const der = Buffer.from(good.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const flipped = Buffer.from(der);
    flipped[flipped.indexOf(Buffer.from('x.example.com'))] = 'y'.charCodeAt(0);
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ csr: '' }, '"csr" is empty'],
      [{ csr: 'hello' }, 'csr contains no data'],
      [{ csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----' }, /^certificate request could not be parsed: /],
      [{ csr: toPem('CERTIFICATE REQUEST', flipped) }, 'request signature invalid'],
      [{ csr: good, ttl: '10 years' }, /^Field validation failed: error converting input "10 years" for field "ttl"/],
      [{ csr: good, exclude_cn_from_sans: 'yes please' }, /^Field validation failed/],
    ];
    for (const [data, msg] of cases) {
      const before = h.store.snapshot();
      const r = await h.write('sign/any2', data);
      expect(r.status, JSON.stringify(data).slice(0, 80)).toBe(400);
      if (typeof msg === 'string') expect(r.error).toBe(msg);
      else expect(r.error).toMatch(msg);
      expect(h.store.snapshot()).toBe(before);
    }
    const before = h.store.snapshot();
    for (const [path, data, msg] of [
      ['root/generate/internal', { common_name: 'x', key_type: 'dsa' }, 'unknown key type dsa'],
      ['root/generate/bogus', { common_name: 'x' }, 'the "exported" path parameter must be "internal", "existing", exported" or "kms"'],
      ['root/generate/internal', { common_name: 'x', key_type: 'ec', ttl: 'abc' }, /^Field validation failed/],
      ['config/ca', { pem_bundle: `${rootPem}\ntrailing junk that is not PEM at all, long enough to pass the length check` }, 'provided PEM block contained no data'],
      ['config/ca', { pem_bundle: '/etc/ssl/root.pem' }, 'provided data for import was too short; perhaps a path was passed to the API rather than the contents of a PEM file'],
      ['issuers/import/cert', { pem_bundle: `${rootPem}\n${toPem('EC PRIVATE KEY', generateEcOrEd('ec', 256).privateKey.export({ type: 'sec1', format: 'der' }))}` }, 'private keys found in the PEM bundle but not allowed by the path; use /issuers/import/bundle'],
      ['config/ca', {}, "'pem_bundle' and 'certificate' parameters were empty"],
    ] as Array<[string, Record<string, unknown>, string | RegExp]>) {
      const r = await h.write(path, data);
      expect(r.status, path).toBe(400);
      if (typeof msg === 'string') expect(r.error).toBe(msg);
      else expect(r.error).toMatch(msg);
    }
    // A leaf certificate is not an issuer.
    const leaf = await h.ok('issue/kt', { common_name: 'leaf.example.com' });
    const after = h.store.snapshot();
    const notCa = await h.write('config/ca', { pem_bundle: leaf['certificate'] });
    expect(notCa.error).toMatch(/Refusing to import non-CA certificate/);
    expect(h.store.snapshot()).toBe(after);
    expect(before).not.toBe(after); // (only the leaf issuance above changed storage)
  });

  it('attaches a lease when the role asks for one and revokes the cert when the lease is revoked', async () => {
    const w = await h.write('roles/leased', { allow_any_name: true, key_type: 'ec', generate_lease: true, ttl: '1h' });
    expect(w.warnings?.[0]).toMatch(/^it is encouraged to disable generate_lease/);
    const r = await h.write('issue/leased', { common_name: 'leased' });
    const ttl = Math.floor(((r.data?.['expiration'] as number) * 1000 - h.nowMs) / 1000);
    expect(ttl).toBeGreaterThan(3590);
    expect(r.response?.secret).toEqual({ ttl, renewable: false, internalData: { serial_number: r.data?.['serial_number'] } });
    await h.backend.revokeSecret!({
      leaseId: 'pki/issue/leased/abc', path: 'issue/leased', data: {}, internalData: r.response!.secret!.internalData!, issueTime: new Date(h.nowMs), storage: h.view,
    });
    const cert = await h.read(`cert/${str(r.data?.['serial_number'])}`);
    expect(cert.data?.['revocation_time']).toBe(Math.floor(h.nowMs / 1000));
    const ns = await h.write('roles/nostore', { allow_any_name: true, key_type: 'ec', generate_lease: true, no_store: true });
    expect(ns.warnings).toContain('mutually exclusive values no_store=true and generate_lease=true were both specified; no_store=true takes priority');
    expect(ns.data?.['generate_lease']).toBe(false);
  });
});
