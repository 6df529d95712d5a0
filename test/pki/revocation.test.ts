/**
 * Revocation: the revoke endpoints and their refusals, CRLs (complete, delta, disabled, expiry of
 * entries) checked with `openssl crl`, the OCSP responder checked with `openssl ocsp`, tidy, and
 * the promise that a revoke never builds a CRL itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEcOrEd } from '../../src/pki/keys.js';
import { OpensslDir, requireOpenssl } from './openssl.js';
import { PkiHarness, str } from './harness.js';

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('revocation, CRLs and OCSP', () => {
  const ossl = new OpensslDir();
  const h = new PkiHarness();
  let caPem = '';
  let caFile = '';

  const issue = async (cn: string, ttl = '1h'): Promise<Record<string, unknown>> => h.ok('issue/r', { common_name: cn, ttl });
  const crlText = async (path = 'crl/pem'): Promise<string> => {
    const r = await h.read(path);
    return ossl.ok(['crl', '-noout', '-text', '-CAfile', caFile, '-in', ossl.file('x.crl', String(r.response?.raw?.body))]);
  };
  const hexSerial = (colon: string): string => colon.replace(/:/g, '').toUpperCase();

  beforeAll(async () => {
    requireOpenssl();
    await h.init();
    h.maxLeaseTtl = 8760 * 3600;
    caPem = str((await h.ok('root/generate/internal', { common_name: 'Revocation CA', key_type: 'ec', ttl: '8000h' }))['certificate']);
    caFile = ossl.file('ca.pem', `${caPem}\n`);
    await h.ok('config/urls', { ocsp_servers: 'http://127.0.0.1/v1/pki/ocsp' });
    await h.ok('roles/r', { allow_any_name: true, key_type: 'ec' });
  });
  afterAll(async () => {
    await h.close();
    ossl.cleanup();
  });

  it('revokes by serial in any spelling, once', async () => {
    const leaf = await issue('a');
    const serial = str(leaf['serial_number']);
    const upperHyphen = serial.toUpperCase().replace(/:/g, '-');
    const first = await h.write('revoke', { serial_number: upperHyphen });
    expect(first.data).toEqual({ revocation_time: Math.floor(h.nowMs / 1000), revocation_time_rfc3339: new Date(Math.floor(h.nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'), state: 'revoked' });
    h.advance(10);
    const again = await h.write('revoke', { serial_number: serial });
    expect(again.data).toEqual(first.data);
    const fetched = await h.read(`cert/${serial}`);
    expect(fetched.data?.['revocation_time']).toBe(first.data?.['revocation_time']);
    expect(fetched.data?.['issuer_id']).toBe((await h.read('issuer/default')).data?.['issuer_id']);
  });

  it('refuses what Vault refuses', async () => {
    const r = await h.write('revoke', { serial_number: '01:02:03' });
    expect(r.status).toBe(400);
    expect(r.error).toBe('certificate with serial 01:02:03 not found.');
    expect((await h.write('revoke', {})).status).toBe(400);
    const leaf = await issue('both');
    expect((await h.write('revoke', { serial_number: leaf['serial_number'], certificate: leaf['certificate'] })).status).toBe(400);
    const rootSerial = (await h.list('certs')).data?.['keys'] as string[];
    const issuerSerial = ossl.ok(['x509', '-noout', '-serial', '-in', caFile]).trim().split('=')[1]!.toLowerCase().match(/../g)!.join(':');
    expect(rootSerial).toContain(issuerSerial);
    const own = await h.write('revoke', { serial_number: issuerSerial });
    expect(own.error).toMatch(/^adding issuer \(id: [0-9a-f-]{36}\) to its own CRL is not allowed$/);
    const short = await issue('short', '5s');
    h.advance(4);
    const expired = await h.write('revoke', { serial_number: short['serial_number'] });
    expect(expired.status).toBe(200);
    expect(expired.data).toBeUndefined();
    expect(expired.warnings).toEqual([`certificate with serial ${str(short['serial_number'])} already expired; refusing to add to CRL`]);
  });

  it('revokes by certificate (bring your own cert) and with the private key', async () => {
    await h.ok('roles/nostore', { allow_any_name: true, key_type: 'ec', no_store: true, ttl: '1h' });
    const byoc = await h.ok('issue/nostore', { common_name: 'byoc' });
    expect((await h.read(`cert/${str(byoc['serial_number'])}`)).status).toBe(404);
    const r = await h.write('revoke', { certificate: byoc['certificate'] });
    expect(r.data?.['state']).toBe('revoked');
    expect((await h.read(`cert/${str(byoc['serial_number'])}`)).data?.['revocation_time']).toBeGreaterThan(0);
    // A certificate from elsewhere is not ours to revoke.
    const other = new PkiHarness();
    await other.init();
    await other.ok('root/generate/internal', { common_name: 'Other', key_type: 'ec' });
    await other.ok('roles/r', { allow_any_name: true, key_type: 'ec', ttl: '1h' });
    const foreign = await other.ok('issue/r', { common_name: 'foreign' });
    await other.close();
    expect((await h.write('revoke', { certificate: foreign['certificate'] })).status).toBe(400);

    const withKey = await issue('with-key');
    const wrongKey = generateEcOrEd('ec', 256).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const bad = await h.write('revoke-with-key', { serial_number: withKey['serial_number'], private_key: wrongKey });
    expect(bad.status).toBe(400);
    const good = await h.write('revoke-with-key', { serial_number: withKey['serial_number'], private_key: withKey['private_key'] });
    expect(good.data?.['state']).toBe('revoked');
  });

  it('never builds a CRL inside a revoke; the next fetch or the background rebuild does', async () => {
    const leaves = [];
    for (let i = 0; i < 50; i++) leaves.push(await issue(`bulk-${i}`));
    await h.read('crl'); // settle
    const before = h.backend.state.revocation.rebuilds;
    for (const l of leaves) await h.write('revoke', { serial_number: l['serial_number'] });
    expect(h.backend.state.revocation.rebuilds).toBe(before);
    const text = await crlText();
    expect(h.backend.state.revocation.rebuilds).toBe(before + 1);
    for (const l of leaves) expect(text).toContain(`Serial Number: ${hexSerial(str(l['serial_number']))}`);
    // Without a fetch, the coalesced background rebuild catches up on its own.
    const late = await issue('late');
    await h.write('revoke', { serial_number: late['serial_number'] });
    await until(() => h.backend.state.revocation.rebuilds === before + 2);
    expect(h.backend.state.revocation.rebuilds).toBe(before + 2);
    expect(h.backend.state.revocation.lastBackgroundError).toBeUndefined();
  });

  it('serves a well-formed, signed CRL in every encoding with increasing numbers', async () => {
    const text = await crlText();
    expect(text).toMatch(/verify OK/);
    expect(text).toContain('Issuer: CN = Revocation CA');
    const num1 = Number(/X509v3 CRL Number: \s*(\d+)/.exec(text)![1]);
    const last = /Last Update: (.*)\n/.exec(text)![1]!;
    const next = /Next Update: (.*)\n/.exec(text)![1]!;
    expect(Date.parse(next) - Date.parse(last)).toBe(72 * 3600_000);
    const rotated = await h.read('crl/rotate');
    expect(rotated.data).toEqual({ success: true });
    const num2 = Number(/X509v3 CRL Number: \s*(\d+)/.exec(await crlText())![1]);
    expect(num2).toBeGreaterThan(num1);
    const der = await h.read('crl');
    expect(der.response?.raw?.contentType).toBe('application/pkix-crl');
    expect(der.unauthenticated).toBe(true);
    const json = await h.read('cert/crl');
    expect(str(json.data?.['certificate'])).toMatch(/^-----BEGIN X509 CRL-----/);
    const issuerCrl = await h.read('issuer/default/crl/pem');
    expect(String(issuerCrl.response?.raw?.body)).toMatch(/^-----BEGIN X509 CRL-----/);
  });

  it('drops revoked certificates from the CRL once they expire; tidy removes them from storage', async () => {
    const soon = await issue('soon', '60s');
    const serial = str(soon['serial_number']);
    await h.write('revoke', { serial_number: serial });
    expect(await crlText()).toContain(hexSerial(serial));
    h.advance(120);
    expect(await crlText()).not.toContain(hexSerial(serial));
    expect((await h.list('certs/revoked')).data?.['keys']).toContain(serial);

    h.advance(73 * 3600);
    const started = await h.write('tidy', { tidy_cert_store: true, tidy_revoked_certs: true });
    expect(started.status).toBe(202);
    expect(started.warnings).toContain("Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.");
    await h.backend.tidier.settled();
    const status = await h.read('tidy-status');
    expect(status.data).toMatchObject({ state: 'Finished', tidy_cert_store: true, tidy_revoked_certs: true, safety_buffer: 259200 });
    expect(status.data?.['revoked_cert_deleted_count']).toBeGreaterThan(0);
    expect(status.data?.['cert_store_deleted_count']).toBeGreaterThan(0);
    expect((await h.list('certs/revoked')).status).toBe(404);
    expect((await h.read(`cert/${serial}`)).status).toBe(404);
    expect((await h.write('tidy', {})).status).toBe(400);
  });

  it('keeps auto-tidy configuration with integer-second durations', async () => {
    const def = await h.read('config/auto-tidy');
    expect(def.data).toMatchObject({ enabled: false, interval_duration: 43200, safety_buffer: 259200, issuer_safety_buffer: 31536000, revocation_queue_safety_buffer: 172800, pause_duration: '0s' });
    const w = await h.write('config/auto-tidy', { enabled: true, tidy_cert_store: true, interval_duration: '1h' });
    expect(w.data).toMatchObject({ enabled: true, tidy_cert_store: true, interval_duration: 3600 });
    expect((await h.write('config/auto-tidy', { enabled: true, tidy_cert_store: false })).status).toBe(400);
  });

  it('answers OCSP over POST and GET; openssl accepts good and revoked responses', async () => {
    h.nowMs = Date.now(); // openssl checks thisUpdate against the real clock
    const good = await issue('ocsp-good');
    const bad = await issue('ocsp-revoked');
    await h.write('revoke', { serial_number: bad['serial_number'] });
    for (const [leaf, expected] of [[good, 'good'], [bad, 'revoked']] as const) {
      const leafFile = ossl.file('leaf.pem', `${str(leaf['certificate'])}\n`);
      ossl.ok(['ocsp', '-issuer', caFile, '-cert', leafFile, '-no_nonce', '-reqout', 'req.der']);
      const reqDer = readFileSync(join(ossl.dir, 'req.der'));
      const post = await h.call('write', 'ocsp', {}, { raw: reqDer, contentType: 'application/ocsp-request' });
      expect(post.unauthenticated).toBe(true);
      expect(post.response?.raw?.contentType).toBe('application/ocsp-response');
      ossl.file('resp.der', post.response!.raw!.body as Buffer);
      const out = ossl.ok(['ocsp', '-respin', 'resp.der', '-issuer', caFile, '-CAfile', caFile, '-cert', leafFile, '-no_nonce', '-resp_text']);
      expect(out).toContain('Response verify OK');
      expect(out).toContain(`leaf.pem: ${expected}`);
      expect(out).toContain('Next Update:');
      const get = await h.read(`ocsp/${reqDer.toString('base64')}`);
      ossl.file('resp2.der', get.response!.raw!.body as Buffer);
      expect(ossl.ok(['ocsp', '-respin', 'resp2.der', '-issuer', caFile, '-CAfile', caFile, '-cert', leafFile, '-no_nonce'])).toContain(`leaf.pem: ${expected}`);
    }
    const malformed = await h.call('write', 'ocsp', {}, { raw: Buffer.from('nonsense'), contentType: 'application/ocsp-request' });
    expect(Buffer.from(malformed.response!.raw!.body as Buffer).toString('hex')).toBe('30030a0101');
    await h.ok('config/crl', { ocsp_disable: true });
    const disabled = await h.read(`ocsp/${Buffer.from('x').toString('base64')}`);
    expect(Buffer.from(disabled.response!.raw!.body as Buffer).toString('hex')).toBe('30030a0106');
    await h.ok('config/crl', { ocsp_disable: false });
  });

  it('keeps revocations, CRL numbers and configuration across a restart', async () => {
    const leaf = await issue('persist');
    await h.write('revoke', { serial_number: leaf['serial_number'] });
    const before = Number(/X509v3 CRL Number: \s*(\d+)/.exec(await crlText())![1]);
    const restarted = new PkiHarness(undefined, h.store);
    await restarted.init();
    restarted.nowMs = h.nowMs;
    expect((await restarted.list('certs/revoked')).data?.['keys']).toContain(leaf['serial_number']);
    const r = await restarted.read('crl/pem');
    const text = ossl.ok(['crl', '-noout', '-text', '-CAfile', caFile, '-in', ossl.file('y.crl', String(r.response?.raw?.body))]);
    expect(text).toContain(hexSerial(str(leaf['serial_number'])));
    expect(Number(/X509v3 CRL Number: \s*(\d+)/.exec(text)![1])).toBeGreaterThan(before);
    expect((await restarted.read('config/crl')).data?.['ocsp_disable']).toBe(false);
    await restarted.close();
  });

  it('validates config/crl, builds delta CRLs with auto_rebuild, and serves an empty CRL when disabled', async () => {
    const def = await h.read('config/crl');
    expect(def.data).toMatchObject({ expiry: '72h', disable: false, ocsp_expiry: '12h', auto_rebuild: false, auto_rebuild_grace_period: '12h', enable_delta: false, delta_rebuild_interval: '15m' });
    expect((await h.write('config/crl', { enable_delta: true })).error).toBe('Delta CRLs cannot be enabled when auto rebuilding is disabled as the complete CRL is always regenerated!');
    expect((await h.write('config/crl', { auto_rebuild: true, auto_rebuild_grace_period: '100h' })).status).toBe(400);
    expect((await h.write('config/crl', { expiry: 'soon' })).status).toBe(400);
    await h.ok('config/crl', { auto_rebuild: true, enable_delta: true });
    await h.read('crl/rotate');
    const leaf = await issue('delta');
    h.advance(1);
    await h.write('revoke', { serial_number: leaf['serial_number'] });
    const complete = await crlText('crl/pem');
    expect(complete).not.toContain(hexSerial(str(leaf['serial_number'])));
    const delta = await crlText('crl/delta/pem');
    expect(delta).toContain('Delta CRL Indicator');
    expect(delta).toContain(hexSerial(str(leaf['serial_number'])));
    await h.read('crl/rotate');
    expect(await crlText('crl/pem')).toContain(hexSerial(str(leaf['serial_number'])));

    await h.ok('config/crl', { auto_rebuild: false, enable_delta: false, disable: true });
    const empty = await crlText();
    expect(empty).toMatch(/verify OK/);
    expect(empty).toContain('No Revoked Certificates');
    await h.ok('config/crl', { disable: false });
    expect(await crlText()).toContain(hexSerial(str(leaf['serial_number'])));
  });
});
