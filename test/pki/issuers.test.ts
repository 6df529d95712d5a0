/**
 * Issuers and keys: generation variants, import, references and defaults, issuer updates
 * (name, usage, leaf_not_after_behavior, AIA), sign-intermediate options and sign-self-issued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsr } from '../../src/pki/csr.js';
import { subjectAltNameExt } from '../../src/pki/extensions.js';
import { generateEcOrEd } from '../../src/pki/keys.js';
import { buildName } from '../../src/pki/name.js';
import { toPem } from '../../src/pki/pem.js';
import { OpensslDir, requireOpenssl } from './openssl.js';
import { PkiHarness, str } from './harness.js';

describe('issuers and keys', () => {
  const ossl = new OpensslDir();
  const h = new PkiHarness();

  beforeAll(async () => {
    requireOpenssl();
    await h.init();
    h.maxLeaseTtl = 87600 * 3600;
  });
  afterAll(async () => {
    await h.close();
    ossl.cleanup();
  });

  it('exports the key of an exported root, in every requested form', async () => {
    const d = await h.ok('root/generate/exported', { common_name: 'Exported Root', key_type: 'ec', key_bits: 384, ttl: '87600h', issuer_name: 'exp', key_name: 'exp-key', max_path_length: 2 });
    expect(d['private_key_type']).toBe('ec');
    expect(str(d['private_key'])).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    const pub = ossl.ok(['pkey', '-pubout', '-in', ossl.file('k.pem', `${str(d['private_key'])}\n`)]);
    expect(pub).toBe(ossl.ok(['x509', '-pubkey', '-noout', '-in', ossl.file('c.pem', `${str(d['certificate'])}\n`)]));
    expect(ossl.text(str(d['certificate']))).toMatch(/CA:TRUE, pathlen:2/);
    const bundle = await h.ok('root/generate/exported', { common_name: 'Bundle Root', key_type: 'ed25519', format: 'pem_bundle', private_key_format: 'pkcs8' });
    expect(str(bundle['certificate'])).toMatch(/^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    const der = await h.ok('root/generate/internal', { common_name: 'DER Root', key_type: 'ec', format: 'der', issuer_name: 'der-root' });
    expect(Buffer.from(str(der['certificate']), 'base64')[0]).toBe(0x30);
    expect(der).not.toHaveProperty('private_key');
    // Names are unique.
    expect((await h.write('root/generate/internal', { common_name: 'dup', key_type: 'ec', issuer_name: 'exp' })).error).toBe('issuer name already in use');
    expect((await h.write('root/generate/internal', { common_name: 'dup', key_type: 'ec', key_name: 'exp-key' })).error).toBe('an existing key is using the requested key name value: exp-key');
    expect((await h.write('root/generate/internal', { common_name: 'dup', key_type: 'ec', issuer_name: 'default' })).status).toBe(400);
  });

  it('lists issuers and keys and resolves references by id, name and default', async () => {
    const list = await h.list('issuers');
    const ids = list.data?.['keys'] as string[];
    expect(ids.length).toBe(3);
    const info = list.data?.['key_info'] as Record<string, { issuer_name: string; is_default: boolean; serial_number: string; key_id: string }>;
    const exp = ids.find((i) => info[i]!.issuer_name === 'exp')!;
    expect(info[exp]!.is_default).toBe(true); // first issuer with a key
    const byName = await h.read('issuer/exp');
    expect(byName.data?.['issuer_id']).toBe(exp);
    expect(str(byName.data?.['certificate'])).toMatch(/-----END CERTIFICATE-----\n$/);
    expect(byName.data).toMatchObject({
      leaf_not_after_behavior: 'err',
      usage: 'crl-signing,issuing-certificates,ocsp-signing,read-only',
      manual_chain: null,
      revoked: false,
      revocation_signature_algorithm: '',
      issuing_certificates: [],
    });
    expect((await h.read('issuer/default')).data?.['issuer_id']).toBe(exp);
    expect((await h.read(`issuer/${exp}`)).data?.['issuer_name']).toBe('exp');
    expect((await h.read('issuer/nonexistent')).error).toBe('unable to find PKI issuer for reference: nonexistent');
    const json = await h.read('issuer/exp/json');
    expect(json.unauthenticated).toBe(true);
    expect(json.data?.['ca_chain']).toEqual([byName.data?.['certificate']]);
    expect((await h.read('issuer/exp/der')).response?.raw?.contentType).toBe('application/pkix-cert');

    const keys = await h.list('keys');
    expect((keys.data?.['keys'] as string[]).length).toBe(3);
    const key = await h.read('key/exp-key');
    expect(key.data).toMatchObject({ key_name: 'exp-key', key_type: 'ec' });
    expect((await h.delete('key/exp-key')).error).toMatch(/^Unable to delete key in use by issuers/);
    const renamed = await h.write('key/exp-key', { key_name: 'renamed' });
    expect(renamed.data?.['key_name']).toBe('renamed');

    const cfg = await h.write('config/issuers', { default: 'der-root' });
    expect(cfg.data?.['default']).toBe((await h.read('issuer/der-root')).data?.['issuer_id']);
    expect((await h.write('config/issuers', { default: 'nope' })).error).toBe('unable to find PKI issuer for reference: nope');
    await h.ok('config/issuers', { default: 'exp' });
  });

  it('updates issuers: name, usage, behaviour, AIA — POST resets, PATCH merges', async () => {
    const patched = await h.patch('issuer/der-root', { leaf_not_after_behavior: 'truncate', usage: 'read-only,issuing-certificates' });
    expect(patched.data).toMatchObject({ issuer_name: 'der-root', leaf_not_after_behavior: 'truncate', usage: 'issuing-certificates,read-only' });
    expect((await h.patch('issuer/der-root', { leaf_not_after_behavior: 'sometimes' })).error).toBe(
      'Unknown value for field `leaf_not_after_behavior`. Possible values are `err`, `truncate`, and `permit`.',
    );
    expect((await h.patch('issuer/der-root', { usage: 'launch-missiles' })).status).toBe(400);
    expect((await h.patch('issuer/der-root', { issuing_certificates: 'not a url' })).error).toBe(
      'invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: not a url',
    );
    const aia = await h.patch('issuer/der-root', { ocsp_servers: 'http://ocsp.test/v1/pki/ocsp' });
    expect(aia.data).toMatchObject({ ocsp_servers: ['http://ocsp.test/v1/pki/ocsp'], enable_aia_url_templating: false });
    // Without issuing-certificates usage, issuing through it fails (500, as Vault).
    await h.ok('roles/r', { allow_any_name: true, key_type: 'ec', issuer_ref: 'der-root', ttl: '1h' });
    await h.patch('issuer/der-root', { usage: 'read-only' });
    const refused = await h.write('issue/r', { common_name: 'x' });
    expect(refused.status).toBe(500);
    expect(refused.error).toMatch(/requested usage issuing-certificates for issuer/);
    // POST overwrites: elided fields go back to defaults.
    const posted = await h.write('issuer/der-root', { issuer_name: 'der-root' });
    expect(posted.data).toMatchObject({ leaf_not_after_behavior: 'err', ocsp_servers: [], usage: 'crl-signing,issuing-certificates,ocsp-signing,read-only' });
    const leaf = await h.ok('issue/r', { common_name: 'x' });
    expect(ossl.text(str(leaf['certificate']))).not.toContain('OCSP');
    const viaPath = await h.ok('issuer/exp/issue/r', { common_name: 'via-path' });
    expect(viaPath['issuing_ca']).toBe(str((await h.read('issuer/exp')).data?.['certificate']).trim());
  });

  it('signs intermediates with path length, use_csr_values and SKID options', async () => {
    const kp = generateEcOrEd('ec', 256);
    const csr = toPem('CERTIFICATE REQUEST', buildCsr({
      subjectDer: buildName({ commonName: 'CSR Int', organization: ['CSR Org'] }),
      key: kp.privateKey,
      extensions: [subjectAltNameExt({ dns: ['int.example.com'] }, false)],
    }));
    const derived = await h.ok('issuer/exp/sign-intermediate', { csr, common_name: 'Overridden', ttl: '8760h' });
    expect(ossl.text(str(derived['certificate']))).toMatch(/CA:TRUE, pathlen:1/); // root pathlen 2 → 1
    expect(ossl.text(str(derived['certificate']))).toContain('Subject: CN = Overridden');
    const csrValues = await h.write('issuer/exp/sign-intermediate', { csr, use_csr_values: true, max_path_length: 0, skid: '01:02:03:04', ttl: '8760h' });
    expect(csrValues.warnings).toContain('Max path length of the signed certificate is zero. This certificate cannot be used to issue intermediate CA certificates.');
    const text = ossl.text(str(csrValues.data?.['certificate']));
    expect(text).toContain('Subject: O = CSR Org, CN = CSR Int');
    expect(text).toContain('DNS:int.example.com');
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Subject Key Identifier: \s+01:02:03:04/);
    const caCert = str((await h.read('issuer/exp')).data?.['certificate']);
    expect(ossl.verify(caCert, [], str(csrValues.data?.['certificate'])).status).toBe(0);
    expect(csrValues.data?.['ca_chain']).toEqual([str(csrValues.data?.['certificate']), caCert.trim()]);
    const outlives = await h.write('issuer/exp/sign-intermediate', { csr, ttl: '90000h' });
    expect(outlives.warnings?.some((w) => w.startsWith('TTL "90000h0m0s" is longer than permitted maxTTL'))).toBe(true);
  });

  it('imports a CA with its key through config/ca and issues from it', async () => {
    const other = new PkiHarness();
    await other.init();
    const gen = await other.ok('root/generate/exported', { common_name: 'Imported Root', key_type: 'ec' });
    await other.close();
    const fresh = new PkiHarness();
    await fresh.init();
    const bundle = `${str(gen['private_key'])}\n${str(gen['certificate'])}\n`;
    const imp = await fresh.write('config/ca', { pem_bundle: bundle });
    expect(imp.status).toBe(200);
    expect((imp.data?.['imported_keys'] as string[]).length).toBe(1);
    expect((imp.data?.['imported_issuers'] as string[]).length).toBe(1);
    await fresh.ok('roles/r', { allow_any_name: true, key_type: 'ec', ttl: '1h' });
    const leaf = await fresh.ok('issue/r', { common_name: 'from-import' });
    expect(ossl.verify(str(gen['certificate']), [], str(leaf['certificate'])).status).toBe(0);
    // Cert-only import of a known issuer is "existing"; keys-only import links later.
    const again = await fresh.write('issuers/import/cert', { pem_bundle: str(gen['certificate']) });
    expect(again.data?.['existing_issuers']).toEqual(imp.data?.['imported_issuers']);
    await fresh.close();
  });

  it('re-signs a self-issued CA certificate (root rollover)', async () => {
    const other = new PkiHarness();
    await other.init();
    const oldRoot = await other.ok('root/generate/internal', { common_name: 'Old Root', key_type: 'ec' });
    await other.close();
    const r = await h.write('root/sign-self-issued', { certificate: oldRoot['certificate'] });
    expect(r.status).toBe(200);
    const signer = str((await h.read('issuer/default')).data?.['certificate']);
    expect(r.data?.['issuing_ca']).toBe(signer.trim());
    const text = ossl.text(str(r.data?.['certificate']));
    expect(text).toContain('Subject: CN = Old Root');
    expect(text).toContain('Issuer: CN = Exported Root');
    expect(ossl.verify(signer, [], str(r.data?.['certificate'])).status).toBe(0);
    const leaf = await h.ok('issue/r', { common_name: 'x' });
    expect((await h.write('root/sign-self-issued', { certificate: leaf['certificate'] })).error).toBe('given certificate is not a CA certificate');
    expect((await h.write('root/sign-self-issued', { certificate: r.data?.['certificate'] })).error).toBe('given certificate is not self-issued');
  });

  it('generates keys alone and intermediates from existing keys', async () => {
    const k = await h.ok('keys/generate/exported', { key_type: 'ec', key_name: 'standalone' });
    expect(k).toMatchObject({ key_name: 'standalone', key_type: 'ec' });
    expect(str(k['private_key'])).toMatch(/EC PRIVATE KEY/);
    const csr = await h.ok('intermediate/generate/existing', { common_name: 'From Existing', key_ref: 'standalone' });
    expect(csr['key_id']).toBe(k['key_id']);
    expect((await h.write('intermediate/generate/existing', { common_name: 'x', key_ref: 'standalone', key_type: 'ec' })).status).toBe(400);
    expect((await h.write('intermediate/generate/kms', { common_name: 'x' })).status).toBe(400);
  });

  it('deletes all issuers and keys with DELETE root', async () => {
    const fresh = new PkiHarness();
    await fresh.init();
    await fresh.ok('root/generate/internal', { common_name: 'Doomed', key_type: 'ec' });
    expect((await fresh.delete('root')).status).toBe(204);
    expect((await fresh.list('issuers')).status).toBe(404);
    expect((await fresh.list('keys')).status).toBe(404);
    await fresh.ok('roles/r', { allow_any_name: true, key_type: 'ec' });
    const r = await fresh.write('issue/r', { common_name: 'x' });
    expect(r.status).toBe(500);
    expect(r.error).toBe('could not fetch the CA certificate (was one set?): no default issuer currently configured');
    expect((await fresh.read('ca')).status).toBe(204);
    await fresh.close();
  });
});
