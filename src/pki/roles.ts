/**
 * PKI roles: the request schema with Vault's defaults, validation (validateRole), the read
 * response, and the per-role extension templates (KU, EKU, BC, policies) that issuance reuses.
 */
import { LogicalError } from '../core/logical.js';
import { field, type FieldMap, type ParsedFields } from '../core/fields.js';
import { isValidOid } from './der.js';
import { basicConstraintsExt, certificatePoliciesExt, parsePolicyIdentifier } from './extensions.js';
import { defaultKeyBits, validateKeyTypeLength } from './keys.js';
import { checkCnValidations, parseOtherSans, type NamePolicy } from './name-policy.js';
import { EXT_KEY_USAGES, KEY_USAGE_BITS } from './oids.js';

export interface Role {
  ttl: number;
  max_ttl: number;
  allow_localhost: boolean;
  allowed_domains: string[];
  allowed_domains_template: boolean;
  allow_bare_domains: boolean;
  allow_subdomains: boolean;
  allow_glob_domains: boolean;
  allow_wildcard_certificates: boolean;
  allow_any_name: boolean;
  enforce_hostnames: boolean;
  allow_ip_sans: boolean;
  allowed_uri_sans: string[];
  allowed_uri_sans_template: boolean;
  allowed_other_sans: string[];
  allowed_serial_numbers: string[];
  allowed_user_ids: string[];
  server_flag: boolean;
  client_flag: boolean;
  code_signing_flag: boolean;
  email_protection_flag: boolean;
  key_type: string;
  key_bits: number;
  signature_bits: number;
  use_pss: boolean;
  key_usage: string[];
  ext_key_usage: string[];
  ext_key_usage_oids: string[];
  use_csr_common_name: boolean;
  use_csr_sans: boolean;
  ou: string[];
  organization: string[];
  country: string[];
  locality: string[];
  province: string[];
  street_address: string[];
  postal_code: string[];
  generate_lease: boolean;
  no_store: boolean;
  require_cn: boolean;
  cn_validations: string[];
  policy_identifiers: string[];
  basic_constraints_valid_for_non_ca: boolean;
  not_before_duration: number;
  not_after: string;
  not_before: string;
  issuer_ref: string;
  allow_token_displayname: boolean;
  /** Only set by internal synthetic roles (sign-intermediate). */
  max_path_length?: number;
}

export const ROLE_FIELDS = {
  name: field.string(),
  ttl: field.duration(),
  max_ttl: field.duration(),
  allow_localhost: field.bool(),
  allowed_domains: field.commaStringSlice(),
  allowed_domains_template: field.bool(),
  allow_bare_domains: field.bool(),
  allow_subdomains: field.bool(),
  allow_glob_domains: field.bool(),
  allow_wildcard_certificates: field.bool(),
  allow_any_name: field.bool(),
  enforce_hostnames: field.bool(),
  allow_ip_sans: field.bool(),
  allowed_uri_sans: field.commaStringSlice(),
  allowed_uri_sans_template: field.bool(),
  allowed_other_sans: field.commaStringSlice(),
  allowed_serial_numbers: field.commaStringSlice(),
  allowed_user_ids: field.commaStringSlice(),
  server_flag: field.bool(),
  client_flag: field.bool(),
  code_signing_flag: field.bool(),
  email_protection_flag: field.bool(),
  key_type: field.string(),
  key_bits: field.int(),
  signature_bits: field.int(),
  use_pss: field.bool(),
  key_usage: field.commaStringSlice(),
  ext_key_usage: field.commaStringSlice(),
  ext_key_usage_oids: field.commaStringSlice(),
  use_csr_common_name: field.bool(),
  use_csr_sans: field.bool(),
  ou: field.commaStringSlice(),
  organization: field.commaStringSlice(),
  country: field.commaStringSlice(),
  locality: field.commaStringSlice(),
  province: field.commaStringSlice(),
  street_address: field.commaStringSlice(),
  postal_code: field.commaStringSlice(),
  generate_lease: field.bool(),
  no_store: field.bool(),
  require_cn: field.bool(),
  cn_validations: field.commaStringSlice(),
  policy_identifiers: field.raw(),
  basic_constraints_valid_for_non_ca: field.bool(),
  not_before_duration: field.duration(),
  not_after: field.string(),
  not_before: field.string(),
  issuer_ref: field.string(),
  allow_token_displayname: field.bool(),
} satisfies FieldMap;

type RoleValues = ParsedFields<typeof ROLE_FIELDS>;

/** Vault's schema defaults for fields whose zero value is not the default. */
export const ROLE_DEFAULTS: Role = {
  ttl: 0,
  max_ttl: 0,
  allow_localhost: true,
  allowed_domains: [],
  allowed_domains_template: false,
  allow_bare_domains: false,
  allow_subdomains: false,
  allow_glob_domains: false,
  allow_wildcard_certificates: true,
  allow_any_name: false,
  enforce_hostnames: true,
  allow_ip_sans: true,
  allowed_uri_sans: [],
  allowed_uri_sans_template: false,
  allowed_other_sans: [],
  allowed_serial_numbers: [],
  allowed_user_ids: [],
  server_flag: true,
  client_flag: true,
  code_signing_flag: false,
  email_protection_flag: false,
  key_type: 'rsa',
  key_bits: 0,
  signature_bits: 0,
  use_pss: false,
  key_usage: ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment'],
  ext_key_usage: [],
  ext_key_usage_oids: [],
  use_csr_common_name: true,
  use_csr_sans: true,
  ou: [],
  organization: [],
  country: [],
  locality: [],
  province: [],
  street_address: [],
  postal_code: [],
  generate_lease: false,
  no_store: false,
  require_cn: true,
  cn_validations: ['email', 'hostname'],
  policy_identifiers: [],
  basic_constraints_valid_for_non_ca: false,
  not_before_duration: 30,
  not_after: '',
  not_before: '',
  issuer_ref: 'default',
  allow_token_displayname: false,
};

/** `policy_identifiers`: a list of OIDs, a comma string, or a JSON string of `[{oid,cps,notice}]`. */
function policyIdentifiers(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw === 'string') {
    const t = raw.trim();
    if (t.startsWith('[')) {
      try {
        const list = JSON.parse(t) as unknown[];
        if (Array.isArray(list)) return list.map((e) => JSON.stringify(e));
      } catch {
        // fall through: treat as a comma list, as Vault does when the JSON does not parse
      }
    }
    return t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  if (Array.isArray(raw)) return raw.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
  throw new LogicalError(`Field validation failed: error converting input ${JSON.stringify(raw)} for field "policy_identifiers"`);
}

/**
 * Builds a role from a request: `base` supplies values for fields the client did not send (the
 * schema defaults on POST, the stored role on PATCH).
 */
export function roleFromRequest(p: RoleValues, base: Role): { role: Role; warnings: string[] } {
  const v = p.values as Record<string, unknown>;
  const out = { ...base } as Record<string, unknown>;
  for (const k of Object.keys(ROLE_DEFAULTS)) {
    if (!p.present.has(k)) continue;
    out[k] = k === 'policy_identifiers' ? policyIdentifiers(v[k]) : v[k];
  }
  const role = out as unknown as Role;
  if (!p.present.has('issuer_ref') || role.issuer_ref === '') role.issuer_ref = 'default';
  const warnings: string[] = [];
  const wantLease = p.present.has('generate_lease') ? Boolean(v['generate_lease']) : base.generate_lease;
  if (role.no_store) {
    role.generate_lease = false;
    if (wantLease) warnings.push('mutually exclusive values no_store=true and generate_lease=true were both specified; no_store=true takes priority');
  } else if (role.generate_lease) {
    warnings.push('it is encouraged to disable generate_lease and rely on PKI\'s native capabilities when possible; this option can cause instance-wide issues with large numbers of issued certificates');
  }
  return { role, warnings };
}

/** Vault's validateRole: normalises key_bits/signature_bits and cn_validations; throws on bad input. */
export function validateRole(role: Role): void {
  if (role.max_ttl > 0 && role.ttl > role.max_ttl) throw new LogicalError('"ttl" value must be less than "max_ttl" value');
  role.key_bits = defaultKeyBits(role.key_type, role.key_bits);
  const kerr = validateKeyTypeLength(role.key_type, role.key_bits);
  if (kerr) throw new LogicalError(kerr);
  if (role.key_type === 'rsa') {
    if (role.signature_bits === 0) role.signature_bits = 256;
    if (![256, 384, 512].includes(role.signature_bits)) throw new LogicalError(`unsupported hash signature algorithm: ${role.signature_bits}`);
  } else if (role.key_type === 'ed25519' || role.key_type === 'any') {
    role.signature_bits = 0;
  }
  for (const o of role.ext_key_usage_oids) {
    if (!isValidOid(o)) throw new LogicalError(`"${o}" could not be parsed as a valid oid for an extended key usage`);
  }
  for (const p of role.policy_identifiers) {
    try {
      parsePolicyIdentifier(p);
    } catch (e) {
      throw new LogicalError(`invalid policy identifier ${JSON.stringify(p)}: ${(e as Error).message}`);
    }
  }
  if (!(role.allowed_other_sans.length === 1 && role.allowed_other_sans[0] === '*') && role.allowed_other_sans.length > 0) {
    try {
      parseOtherSans(role.allowed_other_sans);
    } catch (e) {
      throw new LogicalError(`error parsing allowed_other_sans: ${(e as Error).message}`);
    }
  }
  const cn = checkCnValidations(role.cn_validations);
  // Vault returns this one as a plain error (500).
  if ('error' in cn) throw new LogicalError(cn.error, 500);
  role.cn_validations = cn.value;
}

export function roleResponse(r: Role): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ttl: r.ttl,
    max_ttl: r.max_ttl,
    allow_localhost: r.allow_localhost,
    allowed_domains: r.allowed_domains,
    allowed_domains_template: r.allowed_domains_template,
    allow_bare_domains: r.allow_bare_domains,
    allow_token_displayname: r.allow_token_displayname,
    allow_subdomains: r.allow_subdomains,
    allow_glob_domains: r.allow_glob_domains,
    allow_wildcard_certificates: r.allow_wildcard_certificates,
    allow_any_name: r.allow_any_name,
    allowed_uri_sans_template: r.allowed_uri_sans_template,
    enforce_hostnames: r.enforce_hostnames,
    allow_ip_sans: r.allow_ip_sans,
    server_flag: r.server_flag,
    client_flag: r.client_flag,
    code_signing_flag: r.code_signing_flag,
    email_protection_flag: r.email_protection_flag,
    use_csr_common_name: r.use_csr_common_name,
    use_csr_sans: r.use_csr_sans,
    key_type: r.key_type,
    key_bits: r.key_bits,
    signature_bits: r.signature_bits,
    use_pss: r.use_pss,
    key_usage: r.key_usage,
    ext_key_usage: r.ext_key_usage,
    ext_key_usage_oids: r.ext_key_usage_oids,
    ou: r.ou,
    organization: r.organization,
    country: r.country,
    locality: r.locality,
    province: r.province,
    street_address: r.street_address,
    postal_code: r.postal_code,
    no_store: r.no_store,
    allowed_other_sans: r.allowed_other_sans,
    allowed_serial_numbers: r.allowed_serial_numbers,
    allowed_user_ids: r.allowed_user_ids,
    allowed_uri_sans: r.allowed_uri_sans,
    require_cn: r.require_cn,
    cn_validations: r.cn_validations,
    policy_identifiers: r.policy_identifiers,
    basic_constraints_valid_for_non_ca: r.basic_constraints_valid_for_non_ca,
    not_before_duration: r.not_before_duration,
    not_before: r.not_before,
    not_after: r.not_after,
    issuer_ref: r.issuer_ref,
    generate_lease: r.generate_lease,
  };
  if (r.max_path_length !== undefined) out['max_path_length'] = r.max_path_length;
  return out;
}

/** KeyUsage names → bitmask (unknown names ignored, as Vault's parseKeyUsages does). */
export function keyUsageMask(names: readonly string[]): number {
  let m = 0;
  for (const n of names) {
    const bit = KEY_USAGE_BITS[n.trim().toLowerCase()];
    if (bit !== undefined) m |= 1 << bit;
  }
  return m;
}

/** EKU OIDs for a role: flags + ext_key_usage names in Vault's fixed order, then extra OIDs. */
export function extKeyUsageOids(r: Pick<Role, 'server_flag' | 'client_flag' | 'code_signing_flag' | 'email_protection_flag' | 'ext_key_usage' | 'ext_key_usage_oids'>): string[] {
  const want = new Set(r.ext_key_usage.map((n) => n.trim().toLowerCase()));
  if (r.server_flag) want.add('serverauth');
  if (r.client_flag) want.add('clientauth');
  if (r.code_signing_flag) want.add('codesigning');
  if (r.email_protection_flag) want.add('emailprotection');
  const out = EXT_KEY_USAGES.filter(([n]) => want.has(n)).map(([, o]) => o);
  return [...out, ...r.ext_key_usage_oids];
}

export interface RoleTemplate {
  keyUsage: number;
  extKeyUsageOids: string[];
  basicConstraintsExt?: Buffer;
  policiesExt?: Buffer;
  namePolicy: NamePolicy;
}

const templates = new WeakMap<Role, RoleTemplate>();

/** Pre-encoded per-role issuance pieces, computed once per role object. */
export function roleTemplate(r: Role): RoleTemplate {
  let t = templates.get(r);
  if (!t) {
    const policies = r.policy_identifiers.map(parsePolicyIdentifier);
    t = {
      keyUsage: keyUsageMask(r.key_usage),
      extKeyUsageOids: extKeyUsageOids(r),
      ...(r.basic_constraints_valid_for_non_ca ? { basicConstraintsExt: basicConstraintsExt(false) } : {}),
      ...(policies.length ? { policiesExt: certificatePoliciesExt(policies) } : {}),
      namePolicy: {
        allowLocalhost: r.allow_localhost,
        allowedDomains: r.allowed_domains,
        allowBareDomains: r.allow_bare_domains,
        allowSubdomains: r.allow_subdomains,
        allowGlobDomains: r.allow_glob_domains,
        allowWildcardCertificates: r.allow_wildcard_certificates,
        allowAnyName: r.allow_any_name,
        enforceHostnames: r.enforce_hostnames,
        cnValidations: r.cn_validations,
      },
    };
    templates.set(r, t);
  }
  return t;
}

/** The permissive role Vault synthesises for CA operations and sign-verbatim. */
export function permissiveRole(overrides: Partial<Role>): Role {
  return {
    ...ROLE_DEFAULTS,
    allow_localhost: true,
    allow_any_name: true,
    allow_ip_sans: true,
    allow_wildcard_certificates: true,
    enforce_hostnames: false,
    key_type: 'any',
    allowed_other_sans: ['*'],
    allowed_serial_numbers: ['*'],
    allowed_uri_sans: ['*'],
    allowed_user_ids: ['*'],
    cn_validations: ['disabled'],
    server_flag: false,
    client_flag: false,
    use_csr_common_name: false,
    use_csr_sans: false,
    require_cn: false,
    not_before_duration: 0,
    key_usage: [],
    ...overrides,
  };
}
