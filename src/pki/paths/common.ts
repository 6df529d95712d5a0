/**
 * Shared pieces of the PKI path handlers: field maps reused across endpoints, output formatting
 * (pem / der / pem_bundle), raw responses, and small request helpers.
 */
import { field, parseFields, type FieldMap, type ParsedFields } from '../../core/fields.js';
import { LogicalError, type LogicalRequest, type LogicalResponse, type RawResponse } from '../../core/logical.js';
import { toPem } from '../pem.js';

export type Format = 'pem' | 'der' | 'pem_bundle';

/** Vault's getFormat: the format field, or a 400 with Vault's message. */
export function requireFormat(f: string): Format {
  if (f === 'pem' || f === 'der' || f === 'pem_bundle') return f;
  throw new LogicalError('the "format" path parameter must be "pem", "der", or "pem_bundle"');
}

export const certOut = (der: Buffer, format: Format): string => (format === 'der' ? der.toString('base64') : toPem('CERTIFICATE', der));

/** A PEM string (as stored for issuers) in the requested output format. */
export function pemOut(pem: string, format: Format): string {
  if (format !== 'der') return pem;
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return b64;
}

export const raw = (status: number, contentType: string, body: Buffer | string): LogicalResponse => ({ raw: { status, contentType, body } as RawResponse });

/** Parses request data against `fields`, then applies defaults for fields that were not sent. */
export function parse<F extends FieldMap>(fields: F, req: LogicalRequest, defaults: Partial<ParsedFields<F>['values']> = {}): ParsedFields<F> {
  const p = parseFields(fields, req.data);
  for (const [k, v] of Object.entries(defaults)) {
    if (!p.present.has(k)) (p.values as Record<string, unknown>)[k] = v;
  }
  return p;
}

const NAME_RE = /^\w(([\w.-]+)?\w)?$/;
export const GENERIC = '\\w(?:[\\w.-]*\\w)?';
export const REF = '[^/]+';

/** Validates an issuer or key name per Vault (pattern, reserved word). '' is allowed (no name). */
export function checkName(name: string, what: 'issuer' | 'key'): void {
  if (name === '') return;
  if (name.toLowerCase() === 'default') throw new LogicalError(`reserved keyword 'default' can not be used as ${what} name`);
  if (!NAME_RE.test(name)) throw new LogicalError(`${what} name contained invalid characters`);
}

/** Fields of the CA-creating endpoints (Vault's addCACommonFields). */
export const CA_COMMON_FIELDS = {
  alt_names: field.string(),
  ip_sans: field.commaStringSlice(),
  uri_sans: field.commaStringSlice(),
  other_sans: field.commaStringSlice(),
  ttl: field.duration(),
  not_after: field.string(),
  not_before_duration: field.duration(),
  format: field.string(),
  private_key_format: field.string(),
  ou: field.commaStringSlice(),
  organization: field.commaStringSlice(),
  country: field.commaStringSlice(),
  locality: field.commaStringSlice(),
  province: field.commaStringSlice(),
  street_address: field.commaStringSlice(),
  postal_code: field.commaStringSlice(),
  serial_number: field.string(),
  common_name: field.string(),
  exclude_cn_from_sans: field.bool(),
  key_usage: field.commaStringSlice(),
};

export const CA_KEYGEN_FIELDS = {
  key_type: field.string(),
  key_bits: field.int(),
  signature_bits: field.int(),
  use_pss: field.bool(),
  key_name: field.string(),
  key_ref: field.string(),
  managed_key_name: field.string(),
  managed_key_id: field.string(),
};

export const CA_ISSUE_FIELDS = {
  max_path_length: field.int(),
  permitted_dns_domains: field.commaStringSlice(),
  issuer_name: field.string(),
};

export const CA_DEFAULTS = { format: 'pem', private_key_format: 'der', not_before_duration: 30, key_type: 'rsa', key_ref: 'default', max_path_length: -1 };
