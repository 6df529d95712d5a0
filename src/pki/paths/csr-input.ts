/**
 * The `csr` request field as Vault reads it (signCert): PEM decode, parse, signature check and the
 * key-type / key-size rules of a role, each with Vault's message.
 */
import { LogicalError } from '../../core/logical.js';
import { parseCsr, verifyCsrSignature, type ParsedCsr } from '../csr.js';
import { decodeFirstPem } from '../pem.js';
import type { Role } from '../roles.js';

export function parseCsrField(text: string): ParsedCsr {
  if (text === '') throw new LogicalError('"csr" is empty');
  const d = decodeFirstPem(text);
  if (!d) throw new LogicalError('csr contains no data');
  let csr: ParsedCsr;
  try {
    csr = parseCsr(d.block.der);
  } catch (e) {
    throw new LogicalError(`certificate request could not be parsed: ${(e as Error).message}`);
  }
  if (!verifyCsrSignature(csr)) throw new LogicalError('request signature invalid');
  return csr;
}

const EMPTY_KEY =
  'Refusing to sign CSR with empty PublicKey. This usually means the SubjectPublicKeyInfo field has an OID not recognized by Go, such as 1.2.840.113549.1.1.10 for rsaPSS.';

/** Key checks of sign-intermediate / sign-verbatim (any key type, RSA ≥ 2048). */
export function signingKeyChecksAny(csr: ParsedCsr): void {
  if (!csr.keyInfo) throw new LogicalError(EMPTY_KEY);
  if (csr.keyInfo.type === 'rsa' && csr.keyInfo.bits < 2048) throw new LogicalError('RSA keys < 2048 bits are unsafe and not supported');
}

/** Key checks of sign/:role against the role's key_type / key_bits (Vault's signCert switch). */
export function roleKeyChecks(csr: ParsedCsr, role: Role): void {
  const info = csr.keyInfo;
  if (!info) throw new LogicalError(EMPTY_KEY);
  let minBits = role.key_bits;
  if (role.key_type === 'any') {
    if (info.type === 'rsa' && info.bits < 2048) throw new LogicalError('RSA keys < 2048 bits are unsafe and not supported');
    minBits = info.type === 'rsa' ? 2048 : info.type === 'ec' ? 224 : 0;
  } else if (info.type !== role.key_type) {
    throw new LogicalError(`role requires keys of type ${role.key_type}`);
  }
  if (info.type === 'rsa') {
    if (info.bits < minBits) throw new LogicalError(`role requires a minimum of a ${minBits}-bit key, but CSR's key is ${info.bits} bits`);
    if (info.bits < 2048) throw new LogicalError(`Vault requires a minimum of a 2048-bit key, but CSR's key is ${info.bits} bits`);
  } else if (info.type === 'ec' && info.bits < minBits) {
    throw new LogicalError(`role requires a minimum of a ${minBits}-bit key, but CSR's key is ${info.bits} bits`);
  }
}
