// Mutual-TLS material for the Raft cluster port: a cluster CA (EC P-256) and per-node
// certificates it signs. The server creates the CA at init and hands a joining node its
// certificate (after the node proved it holds the unseal keys); only holders of a
// CA-signed certificate can talk Raft or ask to join.
//
// Peers dial each other by IP:port, so certificates are checked against the CA and a
// fixed cluster server name (CLUSTER_SERVER_NAME, present in every node's SANs), not
// against the dialled address.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

export const CLUSTER_SERVER_NAME = 'raft.coffer.internal';

/** What one node needs on its cluster port (all PEM). */
export interface ClusterTls {
  /** The cluster CA certificate: peers must present certificates it signed. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** The cluster CA: keep the key inside the barrier; it issues certificates for new nodes. */
export interface ClusterCa {
  readonly cert: string;
  readonly key: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const VALIDITY_DAYS = 10 * 365;
const DNS_LABELS = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.now() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + VALIDITY_DAYS * 86_400_000) };
}

export async function createClusterCa(): Promise<ClusterCa> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Coffer Raft Cluster CA',
    ...validity(),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
}

/** A certificate for one node (server and client auth), signed by the cluster CA. */
export async function issueNodeTls(ca: ClusterCa, nodeId: string): Promise<ClusterTls> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey('pkcs8', fromPem(ca.key), ALG, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const names: x509.JsonGeneralName[] = [{ type: 'dns', value: CLUSTER_SERVER_NAME }];
  if (DNS_LABELS.test(nodeId) && nodeId !== CLUSTER_SERVER_NAME) names.push({ type: 'dns', value: nodeId });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${nodeId.replace(/[,+="\\<>;#]/g, '_')}`,
    issuer: caCert.subject,
    ...validity(),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    ca: ca.cert,
    cert: cert.toString('pem') + '\n',
    key: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
  };
}

/** A new cluster CA and a certificate for each of `nodeIds`. */
export async function createClusterTls(nodeIds: readonly string[] = []): Promise<{ ca: ClusterCa; nodes: Record<string, ClusterTls> }> {
  const ca = await createClusterCa();
  const nodes: Record<string, ClusterTls> = {};
  for (const id of nodeIds) nodes[id] = await issueNodeTls(ca, id);
  return { ca, nodes };
}

/** Server identity check for cluster connections: the peer must be a cluster member certificate. */
export function checkClusterServerIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  return checkServerIdentity(CLUSTER_SERVER_NAME, cert);
}
