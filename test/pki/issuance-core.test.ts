/**
 * The fast issuance core on its own (no backend): hand-assembled DER signed with node:crypto must
 * chain and read back correctly in OpenSSL for every key type, as signer and as subject.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignRoot, caSpec } from '../../src/pki/ca-certs.js';
import { parseCertificate } from '../../src/pki/cert-parse.js';
import { buildCsr, parseCsr, verifyCsrSignature } from '../../src/pki/csr.js';
import { basicConstraintsExt, subjectAltNameExt } from '../../src/pki/extensions.js';
import { issueLeafCertificate } from '../../src/pki/issue-leaf.js';
import { prepareIssuer, type PreparedIssuer } from '../../src/pki/issuer-prep.js';
import { generateEcOrEd, generateRsaAsync, publicKeyFromSpki, publicKeyInfo, spkiDer, subjectKeyId, type KeyPair } from '../../src/pki/keys.js';
import { buildName } from '../../src/pki/name.js';
import { toPem } from '../../src/pki/pem.js';
import { RsaKeyPool } from '../../src/pki/rsa-pool.js';
import { parseSerial, randomSerial, serialToColon, serialToHyphen } from '../../src/pki/serial.js';
import { OpensslDir, requireOpenssl } from './openssl.js';

const NOW = Date.now();
const urls = { issuingCertificates: ['http://ca.test/v1/pki/ca'], crlDistributionPoints: ['http://ca.test/v1/pki/crl'], ocspServers: ['http://ca.test/v1/pki/ocsp'] };

function makeRoot(key: KeyObject, cn: string): PreparedIssuer {
  const r = selfSignRoot(
    key,
    {
      subjectDer: buildName({ commonName: cn, organization: ['Coffer Test'] }),
      subjectEmpty: false,
      sans: {},
      notBefore: new Date(NOW - 60_000),
      notAfter: new Date(NOW + 10 * 365 * 86400_000),
      maxPathLen: -1,
      permittedDnsDomains: [],
    },
    { issuingCertificates: [], crlDistributionPoints: [], ocspServers: [] },
  );
  return prep(r.der, key);
}

function prep(der: Buffer, key: KeyObject): PreparedIssuer {
  const cert = parseCertificate(der);
  const pem = toPem('CERTIFICATE', der);
  return prepareIssuer({
    id: 'id', name: '', keyId: 'k', cert, certPem: pem, key, urls, chainPems: [pem], chainIds: ['id'],
    behavior: 'err', usage: ['issuing-certificates'], revoked: false, revocationSignatureAlgorithm: '',
  });
}

function makeIntermediate(parent: PreparedIssuer, key: KeyObject, cn: string, pathLen: number): PreparedIssuer {
  const spki = spkiDer(createPublicKey(key));
  const issued = issueLeafCertificate(parent, parent.signer(), caSpec({
    subjectDer: buildName({ commonName: cn }),
    subjectEmpty: false,
    spkiDer: spki,
    sans: {},
    notBefore: new Date(NOW - 60_000),
    notAfter: new Date(NOW + 5 * 365 * 86400_000),
    maxPathLen: pathLen,
    permittedDnsDomains: [],
  }));
  return prep(issued.der, key);
}

function makeLeaf(issuer: PreparedIssuer, pub: KeyObject, cn: string): string {
  const { der } = issueLeafCertificate(issuer, issuer.signer(), {
    subjectDer: buildName({ commonName: cn }),
    subjectEmpty: false,
    spkiDer: spkiDer(pub),
    notBefore: new Date(NOW - 30_000),
    notAfter: new Date(NOW + 86400_000),
    sans: { dns: [cn, `www.${cn}`], ip: [Buffer.from([10, 0, 0, 1])], uri: ['spiffe://cluster/ns/app'], email: ['ops@example.com'] },
    keyUsage: 0b10101, // digitalSignature, keyEncipherment, keyAgreement
    extKeyUsageOids: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
  });
  return toPem('CERTIFICATE', der);
}

describe('fast issuance core', () => {
  const ossl = new OpensslDir();
  let rsa2048: KeyPair;
  let rsa3072: KeyPair;
  let rsa4096: KeyPair;

  beforeAll(async () => {
    requireOpenssl();
    [rsa2048, rsa3072, rsa4096] = await Promise.all([generateRsaAsync(2048), generateRsaAsync(3072), generateRsaAsync(4096)]);
  });
  afterAll(() => ossl.cleanup());

  const chains: Array<[string, () => [KeyPair, KeyPair, KeyPair]]> = [
    ['EC P-521 → P-384 → P-256', () => [generateEcOrEd('ec', 521), generateEcOrEd('ec', 384), generateEcOrEd('ec', 256)]],
    ['RSA 4096 → 3072 → 2048', () => [rsa4096, rsa3072, rsa2048]],
    ['Ed25519 → Ed25519 → Ed25519', () => [generateEcOrEd('ed25519', 0), generateEcOrEd('ed25519', 0), generateEcOrEd('ed25519', 0)]],
    ['RSA 2048 → EC P-256 → Ed25519', () => [rsa2048, generateEcOrEd('ec', 256), generateEcOrEd('ed25519', 0)]],
    ['Ed25519 → RSA 2048 → EC P-384', () => [generateEcOrEd('ed25519', 0), rsa2048, generateEcOrEd('ec', 384)]],
  ];

  for (const [label, keys] of chains) {
    it(`chains in openssl: ${label}`, () => {
      const [rk, ik, lk] = keys();
      const root = makeRoot(rk.privateKey, 'Root CA');
      const int = makeIntermediate(root, ik.privateKey, 'Issuing CA', 0);
      const leaf = makeLeaf(int, lk.publicKey, 'app.example.com');
      const v = ossl.verify(root.certPem, [int.certPem], leaf);
      expect(v.out).toContain('OK');
      expect(v.status).toBe(0);
      // Without the intermediate the chain must not verify.
      expect(ossl.verify(root.certPem, [], leaf).status).not.toBe(0);
    });
  }

  it('writes the extensions openssl expects on root, intermediate and leaf', () => {
    const root = makeRoot(generateEcOrEd('ec', 256).privateKey, 'Root CA');
    const intKey = generateEcOrEd('ec', 256);
    const int = makeIntermediate(root, intKey.privateKey, 'Issuing CA', 0);
    const leafKey = generateEcOrEd('ec', 256);
    const leafPem = makeLeaf(int, leafKey.publicKey, 'app.example.com');

    const rootText = ossl.text(root.certPem);
    expect(rootText).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
    expect(rootText).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const rootSkid = subjectKeyId(root.cert.spkiDer).toString('hex').toUpperCase().match(/../g)!.join(':');
    expect(rootText).toContain(`X509v3 Subject Key Identifier: \n                ${rootSkid}`);
    expect(rootText).toContain(rootSkid); // AKI = own SKID
    expect(rootText).toContain('Subject: O = Coffer Test, CN = Root CA');

    const intText = ossl.text(int.certPem);
    expect(intText).toMatch(/CA:TRUE, pathlen:0/);
    expect(intText).toMatch(new RegExp(`X509v3 Authority Key Identifier: \\s+(keyid:)?${rootSkid}`));
    expect(intText).toContain('Issuer: O = Coffer Test, CN = Root CA');

    const leafText = ossl.text(leafPem);
    expect(leafText).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Key Agreement/);
    expect(leafText).toMatch(/X509v3 Extended Key Usage: \s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(leafText).toContain('DNS:app.example.com, DNS:www.app.example.com, email:ops@example.com, IP Address:10.0.0.1, URI:spiffe://cluster/ns/app');
    expect(leafText).toContain('OCSP - URI:http://ca.test/v1/pki/ocsp');
    expect(leafText).toContain('CA Issuers - URI:http://ca.test/v1/pki/ca');
    expect(leafText).toContain('URI:http://ca.test/v1/pki/crl');
    expect(leafText).not.toContain('Basic Constraints');
    expect(leafText).toContain('Signature Algorithm: ecdsa-with-SHA256');
  });

  it('signs with the curve-matched hash and RSA knobs', () => {
    const p384 = makeRoot(generateEcOrEd('ec', 384).privateKey, 'P384');
    expect(ossl.text(p384.certPem)).toContain('ecdsa-with-SHA384');
    const p521 = makeRoot(generateEcOrEd('ec', 521).privateKey, 'P521');
    expect(ossl.text(p521.certPem)).toContain('ecdsa-with-SHA512');
    const rsa = makeRoot(rsa2048.privateKey, 'RSA');
    const leaf = issueLeafCertificate(rsa, rsa.signer(384, true), {
      subjectDer: buildName({ commonName: 'pss.example.com' }), subjectEmpty: false, spkiDer: spkiDer(generateEcOrEd('ec', 256).publicKey),
      notBefore: new Date(NOW - 1000), notAfter: new Date(NOW + 3600_000), sans: {}, keyUsage: 1, extKeyUsageOids: [],
    });
    const pem = toPem('CERTIFICATE', leaf.der);
    expect(ossl.text(pem)).toContain('rsassaPss');
    expect(ossl.verify(rsa.certPem, [], pem).status).toBe(0);
  });

  it('puts a critical SAN on an empty subject and encodes IPv6 and v4-mapped addresses', () => {
    const root = makeRoot(generateEcOrEd('ec', 256).privateKey, 'Root');
    const { der } = issueLeafCertificate(root, root.signer(), {
      subjectDer: buildName({}), subjectEmpty: true, spkiDer: spkiDer(generateEcOrEd('ec', 256).publicKey),
      notBefore: new Date(NOW - 1000), notAfter: new Date(NOW + 3600_000),
      sans: { dns: ['a.example.com'], ip: [Buffer.from('20010db8000000000000000000000001', 'hex')] }, keyUsage: 0, extKeyUsageOids: [],
    });
    const text = ossl.text(toPem('CERTIFICATE', der));
    expect(text).toMatch(/X509v3 Subject Alternative Name: critical/);
    expect(text).toContain('IP Address:2001:DB8:0:0:0:0:0:1');
    expect(text).not.toContain('Key Usage');
  });

  it('round-trips what it writes through its own parser', () => {
    const root = makeRoot(generateEcOrEd('ec', 256).privateKey, 'Root');
    const int = makeIntermediate(root, generateEcOrEd('ec', 384).privateKey, 'Int', 2);
    expect(int.cert.isCa).toBe(true);
    expect(int.cert.maxPathLen).toBe(2);
    expect(int.cert.authorityKeyId).toEqual(root.cert.subjectKeyId);
    expect(int.cert.commonName).toBe('Int');
    expect(root.cert.maxPathLen).toBe(-1);
    expect(int.cert.keyUsage).toBe((1 << 5) | (1 << 6));
  });

  it('builds CSRs that openssl verifies and that parse back with their SANs', () => {
    for (const kp of [generateEcOrEd('ec', 256), generateEcOrEd('ed25519', 0), rsa2048]) {
      const der = buildCsr({
        subjectDer: buildName({ commonName: 'csr.example.com' }),
        key: kp.privateKey,
        extensions: [basicConstraintsExt(true, -1), subjectAltNameExt({ dns: ['csr.example.com', 'alt.example.com'] }, false)],
      });
      const pem = toPem('CERTIFICATE REQUEST', der);
      const out = ossl.ok(['req', '-verify', '-noout', '-text', '-in', ossl.file('r.csr', `${pem}\n`)]);
      expect(out).toMatch(/verify OK|Certificate request self-signature verify OK/);
      const csr = parseCsr(der);
      expect(verifyCsrSignature(csr)).toBe(true);
      expect(csr.commonName).toBe('csr.example.com');
      expect(csr.sans.dns).toEqual(['csr.example.com', 'alt.example.com']);
      expect(csr.basicConstraints).toEqual({ isCa: true, maxPathLen: -1 });
      expect(csr.keyInfo?.type).toBe(publicKeyInfo(kp.publicKey).type);
      // Flip one byte of the signed part: the signature must no longer verify.
      const bad = Buffer.from(der);
      const at = bad.indexOf(Buffer.from('csr.example.com'));
      bad[at] = 'x'.charCodeAt(0);
      expect(verifyCsrSignature(parseCsr(bad))).toBe(false);
    }
  });

  it('builds SPKIs byte-identical to OpenSSL and reads them back through JWK', () => {
    for (const kp of [generateEcOrEd('ec', 224), generateEcOrEd('ec', 256), generateEcOrEd('ec', 384), generateEcOrEd('ec', 521), generateEcOrEd('ed25519', 0), rsa2048, rsa4096]) {
      const native = kp.publicKey.export({ type: 'spki', format: 'der' });
      expect(spkiDer(kp.publicKey).equals(native)).toBe(true);
      expect(spkiDer(kp.privateKey).equals(native)).toBe(true);
      const back = publicKeyFromSpki(native);
      expect(back.export({ type: 'spki', format: 'der' }).equals(native)).toBe(true);
      expect(publicKeyInfo(back)).toEqual(publicKeyInfo(kp.publicKey));
    }
    // A compressed EC point is not JWK-representable: the DER route still reads it.
    const compressed = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296', 'hex');
    expect(publicKeyInfo(publicKeyFromSpki(compressed))).toMatchObject({ type: 'ec', bits: 256 });
  });

  it('formats serials the way Vault does', () => {
    for (let i = 0; i < 50; i++) {
      const s = randomSerial();
      expect(s.length).toBeGreaterThanOrEqual(8);
      expect(s.length).toBeLessThanOrEqual(20);
      expect(s[0]).not.toBe(0);
    }
    const s = Buffer.from('00ab0c', 'hex').subarray(1);
    expect(serialToColon(s)).toBe('ab:0c');
    expect(serialToHyphen(s)).toBe('ab-0c');
    expect(parseSerial('AB:0C')).toEqual(s);
    expect(parseSerial('ab-0c')).toEqual(s);
    expect(parseSerial('zz')).toBeUndefined();
  });

  it('keeps RSA generation off the event loop and refills a bounded pool', async () => {
    let generated = 0;
    const pool = new RsaKeyPool({
      perSize: 2,
      generate: async () => {
        generated++;
        return rsa2048;
      },
    });
    expect(pool.available(2048)).toBe(0);
    await pool.take(2048);
    await new Promise((r) => setTimeout(r, 10));
    expect(pool.available(2048)).toBe(2);
    const before = generated;
    await pool.take(2048);
    expect(generated - before).toBeLessThanOrEqual(1); // served from the pool, one refill
    await new Promise((r) => setTimeout(r, 10));
    expect(pool.available(2048)).toBe(2);
    pool.close();
    expect(pool.available(2048)).toBe(0);

    // A real 2048-bit generation must leave the event loop free: timers keep firing meanwhile.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const kp = await generateRsaAsync(2048);
    clearInterval(timer);
    expect(publicKeyInfo(kp.publicKey)).toEqual({ type: 'rsa', bits: 2048 });
    expect(ticks).toBeGreaterThan(0);
  });
});
