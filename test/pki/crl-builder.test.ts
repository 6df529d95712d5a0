/** The CRL builder on its own: large lists (multi-byte DER lengths), delta indicator, openssl parse. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignRoot } from '../../src/pki/ca-certs.js';
import { parseCertificate } from '../../src/pki/cert-parse.js';
import { buildCrl, encodeCrlEntry } from '../../src/pki/crl-builder.js';
import { authorityKeyIdExt } from '../../src/pki/extensions.js';
import { generateEcOrEd } from '../../src/pki/keys.js';
import { buildName } from '../../src/pki/name.js';
import { toPem } from '../../src/pki/pem.js';
import { randomSerial, serialToColon } from '../../src/pki/serial.js';
import { OpensslDir, requireOpenssl } from './openssl.js';

describe('CRL builder', () => {
  const ossl = new OpensslDir();
  beforeAll(() => requireOpenssl());
  afterAll(() => ossl.cleanup());

  it('writes a 3000-entry CRL (>64 KiB) that openssl verifies entry for entry', () => {
    const key = generateEcOrEd('ec', 256).privateKey;
    const now = Date.now();
    const root = selfSignRoot(key, {
      subjectDer: buildName({ commonName: 'CRL CA' }), subjectEmpty: false, sans: {},
      notBefore: new Date(now - 60_000), notAfter: new Date(now + 86400_000), maxPathLen: -1, permittedDnsDomains: [],
    }, { issuingCertificates: [], crlDistributionPoints: [], ocspServers: [] });
    const cert = parseCertificate(root.der);
    const serials = Array.from({ length: 3000 }, () => randomSerial());
    const at = new Date(Math.floor(now / 1000) * 1000);
    const der = buildCrl({
      signer: root.signer, akiExt: authorityKeyIdExt(cert.subjectKeyId!), number: 7, thisUpdate: at, nextUpdate: new Date(at.getTime() + 3600_000),
      entries: serials.map((s) => encodeCrlEntry(s, at)),
    });
    expect(der.length).toBeGreaterThan(65536);
    const out = ossl.ok(['crl', '-inform', 'DER', '-noout', '-text', '-CAfile', ossl.file('ca.pem', `${toPem('CERTIFICATE', root.der)}\n`), '-in', ossl.file('big.crl', der)]);
    expect(out).toMatch(/verify OK/);
    expect(out.match(/Serial Number: /g)?.length).toBe(3000);
    expect(out).toContain(`Serial Number: ${serialToColon(serials[1234]!).replace(/:/g, '').toUpperCase()}`);
    expect(out).toMatch(/X509v3 CRL Number: \s*7/);

    const delta = buildCrl({
      signer: root.signer, akiExt: authorityKeyIdExt(cert.subjectKeyId!), number: 8, thisUpdate: at, nextUpdate: new Date(at.getTime() + 3600_000),
      entries: [], deltaBase: 7,
    });
    const dText = ossl.ok(['crl', '-inform', 'DER', '-noout', '-text', '-in', ossl.file('delta.crl', delta)]);
    expect(dText).toMatch(/X509v3 Delta CRL Indicator: critical\s+7/);
    expect(dText).toContain('No Revoked Certificates');
  });
});
