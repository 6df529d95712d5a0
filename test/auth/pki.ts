/**
 * Test PKI built in-process with @peculiar/x509 on node's WebCrypto (EC P-256 keys: fast):
 * CAs, intermediates, leaves with SANs/OUs/EKUs, CRLs, and PEM key material for TLS servers.
 */
import 'reflect-metadata';
import { webcrypto, createPrivateKey, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Issued {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  pem: string;
  der: Buffer;
  keyPem: string;
  privateKey: KeyObject;
}

let serialCounter = 0x1000;

export interface IssueOptions {
  cn: string;
  issuer?: Issued;
  ca?: boolean;
  dns?: string[];
  emails?: string[];
  uris?: string[];
  ips?: string[];
  ou?: string[];
  /** Extended key usage OIDs; undefined = no EKU extension. */
  ekus?: string[];
  notBefore?: Date;
  notAfter?: Date;
  serialHex?: string;
  extraExtensions?: x509.Extension[];
}

export async function issue(o: IssueOptions): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  serialCounter += 1;
  const subject = [`CN=${o.cn}`, ...(o.ou ?? []).map((u) => `OU=${u}`)].join(', ');
  const names: x509.JsonGeneralName[] = [
    ...(o.dns ?? []).map((v) => ({ type: 'dns' as const, value: v })),
    ...(o.emails ?? []).map((v) => ({ type: 'email' as const, value: v })),
    ...(o.uris ?? []).map((v) => ({ type: 'url' as const, value: v })),
    ...(o.ips ?? []).map((v) => ({ type: 'ip' as const, value: v })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(o.ca === true, undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ...(o.issuer ? [await x509.AuthorityKeyIdentifierExtension.create(o.issuer.keys.publicKey)] : []),
    ...(o.ca ? [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)] : []),
    ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ...(o.ekus ? [new x509.ExtendedKeyUsageExtension(o.ekus)] : []),
    ...(o.extraExtensions ?? []),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: o.serialHex ?? serialCounter.toString(16).padStart(4, '0'),
    subject,
    issuer: o.issuer ? o.issuer.cert.subject : subject,
    notBefore: o.notBefore ?? new Date(Date.now() - 3600_000),
    notAfter: o.notAfter ?? new Date(Date.now() + 365 * 86400_000),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: o.issuer ? o.issuer.keys.privateKey : keys.privateKey,
    extensions,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return {
    cert,
    keys,
    pem: cert.toString('pem'),
    der: Buffer.from(cert.rawData),
    keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    privateKey,
  };
}

/** A CRL signed by `ca` revoking the given hex serials, PEM-encoded as `X509 CRL`. */
export async function crl(ca: Issued, serialsHex: string[]): Promise<string> {
  const c = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subject,
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + 86400_000),
    signingAlgorithm: ALG,
    signingKey: ca.keys.privateKey,
    entries: serialsHex.map((serialNumber) => ({ serialNumber, revocationDate: new Date(Date.now() - 30_000) })),
  });
  const b64 = Buffer.from(c.rawData).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
}

/** A localhost TLS server identity signed by a fresh CA. */
export async function serverIdentity(): Promise<{ ca: Issued; server: Issued }> {
  const ca = await issue({ cn: 'Test Root CA', ca: true });
  const server = await issue({ cn: 'localhost', issuer: ca, dns: ['localhost'], ips: ['127.0.0.1'], ekus: ['1.3.6.1.5.5.7.3.1'] });
  return { ca, server };
}
