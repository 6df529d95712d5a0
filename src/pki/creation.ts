/**
 * Vault's generateCreationBundle for role-checked issuance: decides the subject and SANs of a new
 * certificate from the role, the request fields and (for sign) the CSR, applying every role check
 * in Vault's order with Vault's messages. Pure: no storage, no clock.
 */
import { LogicalError } from '../core/logical.js';
import type { ParsedCsr } from './csr.js';
import { oid as encodeOid } from './der.js';
import { ipToBytes } from './extensions.js';
import { asDnsSan, parseOtherSans, serialNumberAllowed, uriSanAllowed, userIdAllowed, validateCommonName, validateNames, validateOtherSans } from './name-policy.js';
import type { SubjectFields } from './name.js';
import { OID } from './oids.js';
import type { Role, RoleTemplate } from './roles.js';

export interface CreationRequest {
  common_name: string;
  alt_names: string;
  ip_sans: string[];
  uri_sans: string[];
  other_sans: string[];
  exclude_cn_from_sans: boolean;
  serial_number: string;
  /** Undefined on paths without a `user_ids` field. */
  user_ids?: string[];
  /** alt_names was sent (Vault's GetOk). */
  altNamesPresent: boolean;
}

export interface CreationResult {
  commonName: string;
  subject: SubjectFields;
  dns: string[];
  email: string[];
  ip: Buffer[];
  uri: string[];
  other: Array<{ oid: string; value: string }>;
  warnings: string[];
}

const dedupStable = (xs: readonly string[]): string[] => [...new Set(xs)];

export function dedupCommonNames(raw: string): string[] {
  const t = raw.trim();
  if (t === '') return [];
  return dedupStable(t.split(','));
}

function addName(v: string, dns: string[], email: string[]): void {
  if (v.includes('@')) {
    email.push(v);
    return;
  }
  const r = asDnsSan(v);
  if (r.error) throw new LogicalError(r.error);
  if (r.dns) dns.push(r.dns);
}

export function buildCreation(role: Role, tpl: RoleTemplate, req: CreationRequest, csr?: ParsedCsr): CreationResult {
  const warnings: string[] = [];
  let cn = '';
  if (csr && role.use_csr_common_name) cn = csr.commonName;
  if (cn === '') {
    cn = req.common_name;
    if (cn === '' && role.require_cn) {
      throw new LogicalError('the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false');
    }
  }

  let serialNumber = req.serial_number;
  if (serialNumber === '' && csr) serialNumber = csr.serialNumber;

  let dns: string[] = [];
  let email: string[] = [];
  if (csr && role.use_csr_sans) {
    dns = [...csr.sans.dns];
    email = [...csr.sans.email];
  }
  if (cn !== '' && !req.exclude_cn_from_sans) addName(cn, dns, email);
  if ((!csr || !role.use_csr_sans) && req.altNamesPresent) {
    for (const v of dedupCommonNames(req.alt_names)) addName(v, dns, email);
  }

  const policy = tpl.namePolicy;
  if (cn !== '' && validateCommonName(policy, cn) !== '') throw new LogicalError(`common name ${cn} not allowed by this role`);
  if (serialNumber !== '' && !serialNumberAllowed(role.allowed_serial_numbers, serialNumber)) {
    throw new LogicalError(`serial_number ${serialNumber} not allowed by this role`);
  }
  let bad = validateNames(policy, dns);
  if (bad !== '') throw new LogicalError(`subject alternate name ${bad} not allowed by this role`);
  bad = validateNames(policy, email);
  if (bad !== '') throw new LogicalError(`email address ${bad} not allowed by this role`);

  // Other SANs: request entries plus, with use_csr_sans, the CSR's.
  const otherInput = [...req.other_sans];
  if (csr && role.use_csr_sans) for (const o of csr.sans.other) otherInput.push(`${o.oid};UTF-8:${o.value}`);
  const other: Array<{ oid: string; value: string }> = [];
  if (otherInput.length > 0) {
    let requested: Map<string, string[]>;
    try {
      requested = parseOtherSans(otherInput);
    } catch (e) {
      throw new LogicalError(`could not parse requested other SAN: ${(e as Error).message}`);
    }
    let verdict: { badOid: string; badName: string };
    try {
      verdict = validateOtherSans(role.allowed_other_sans, requested);
    } catch (e) {
      throw new LogicalError(`error parsing role's allowed SANs: ${(e as Error).message}`);
    }
    if (verdict.badName !== '') throw new LogicalError(`other SAN ${verdict.badName} not allowed for OID ${verdict.badOid} by this role`);
    if (verdict.badOid !== '') throw new LogicalError(`other SAN OID ${verdict.badOid} not allowed by this role`);
    for (const [o, values] of requested) {
      try {
        // Writing the OID validates it; a bad one is the client's mistake.
        for (const value of values) other.push({ oid: checkOid(o), value });
      } catch {
        throw new LogicalError(`could not parse requested other SAN: invalid OID ${o}`);
      }
    }
  }

  const ip: Buffer[] = [];
  if (csr && role.use_csr_sans) {
    if (csr.sans.ipBytes.length > 0) {
      if (!role.allow_ip_sans) throw new LogicalError('IP Subject Alternative Names are not allowed in this role, but was provided some via CSR');
      ip.push(...csr.sans.ipBytes);
    }
  } else if (req.ip_sans.length > 0) {
    if (!role.allow_ip_sans) {
      throw new LogicalError(`IP Subject Alternative Names are not allowed in this role, but was provided [${req.ip_sans.join(' ')}]`);
    }
    for (const v of req.ip_sans) {
      const b = ipToBytes(v);
      if (!b) throw new LogicalError(`the value "${v}" is not a valid IP address`);
      ip.push(b);
    }
  }

  const uri: string[] = [];
  if (csr && role.use_csr_sans) {
    if (csr.sans.uri.length > 0) {
      if (role.allowed_uri_sans.length === 0) throw new LogicalError('URI Subject Alternative Names are not allowed in this role, but were provided via CSR');
      for (const u of csr.sans.uri) {
        if (!uriSanAllowed(role.allowed_uri_sans, u)) throw new LogicalError('URI Subject Alternative Names were provided via CSR which are not valid for this role');
        uri.push(u);
      }
    }
  } else if (req.uri_sans.length > 0) {
    if (role.allowed_uri_sans.length === 0) throw new LogicalError('URI Subject Alternative Names are not allowed in this role, but were provided via the API');
    for (const u of req.uri_sans) {
      if (!uriSanAllowed(role.allowed_uri_sans, u)) throw new LogicalError('URI Subject Alternative Names were provided via the API which are not valid for this role');
      if (!isParsableUri(u)) throw new LogicalError(`the provided URI Subject Alternative Name "${u}" is not a valid URI`);
      uri.push(u);
    }
  }

  const extra: Array<{ oid: string; value: string }> = [];
  if (req.user_ids !== undefined) {
    let ids = req.user_ids;
    if (ids.length === 0 && csr) ids = csr.subject.filter((a) => a.oid === OID.userId).map((a) => a.value);
    for (const id of ids) {
      if (!userIdAllowed(role.allowed_user_ids, id)) throw new LogicalError(`user_id ${id} is not allowed by this role`);
      extra.push({ oid: OID.userId, value: id });
    }
  }

  return {
    commonName: cn,
    subject: {
      country: dedupStable(role.country),
      province: dedupStable(role.province),
      locality: dedupStable(role.locality),
      streetAddress: dedupStable(role.street_address),
      postalCode: dedupStable(role.postal_code),
      organization: dedupStable(role.organization),
      ou: dedupStable(role.ou),
      commonName: cn,
      serialNumber,
      extra,
    },
    dns: dedupStable(dns),
    // strutil.RemoveDuplicates sorts.
    email: [...new Set(email)].sort(),
    ip,
    uri,
    other,
    warnings,
  };
}

function checkOid(o: string): string {
  encodeOid(o);
  return o;
}

function isParsableUri(u: string): boolean {
  // Go's url.Parse accepts nearly anything; reject only what it rejects in practice: control
  // characters and malformed percent escapes.
  if (/[\x00-\x1f\x7f ]/.test(u)) return false;
  return !/%(?![0-9A-Fa-f]{2})/.test(u);
}

export function subjectIsEmpty(s: SubjectFields): boolean {
  return !s.commonName && !s.serialNumber && !(s.country?.length) && !(s.province?.length) && !(s.locality?.length) &&
    !(s.streetAddress?.length) && !(s.postalCode?.length) && !(s.organization?.length) && !(s.ou?.length) && !(s.extra?.length);
}
