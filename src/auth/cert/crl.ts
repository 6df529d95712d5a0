/** CRLs for the cert method: the revoked serial numbers (decimal, as Vault keys them) of a PEM or DER CRL. */
import 'reflect-metadata';
import { X509Crl } from '@peculiar/x509';

export function revokedSerials(crl: string | Buffer): string[] {
  let parsed: X509Crl;
  if (typeof crl === 'string') {
    // Vault accepts PEM (`X509 CRL` or `CRL`) or raw DER given as a string.
    const m = /-----BEGIN (?:X509 )?CRL-----([\s\S]*?)-----END (?:X509 )?CRL-----/.exec(crl);
    parsed = new X509Crl(m ? Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64') : Buffer.from(crl, 'binary'));
  } else {
    parsed = new X509Crl(crl);
  }
  return parsed.entries.map((e) => BigInt(`0x${e.serialNumber || '0'}`).toString(10));
}
