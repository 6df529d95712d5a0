/**
 * The issuing endpoints — `issue/:role`, `sign/:role`, `sign-verbatim(/:role)` and their
 * `issuer/:ref/…` variants — the hot path of the engine. Everything per request is cheap: the
 * role and issuer come from memory, names are checked, one key is generated (issue; RSA from the
 * pool), the certificate is assembled from prepared DER and signed once.
 */
import type { KeyObject } from 'node:crypto';
import { field } from '../../core/fields.js';
import { LogicalError, type LogicalRequest, type LogicalResponse, type PathDef } from '../../core/logical.js';
import { buildCreation, subjectIsEmpty } from '../creation.js';
import type { ParsedCsr } from '../csr.js';
import { issueLeafCertificate, type LeafSpec } from '../issue-leaf.js';
import type { IssuerSet } from '../issuer-set.js';
import { encodePrivateKey, generateEcOrEd, publicKeyInfo, spkiDer } from '../keys.js';
import { buildName } from '../name.js';
import { OID } from '../oids.js';
import { toPem } from '../pem.js';
import { PATH } from '../records.js';
import { keyUsageMask, extKeyUsageOids, permissiveRole, ROLE_DEFAULTS, roleTemplate, type Role } from '../roles.js';
import { serialToColon, serialToHyphen } from '../serial.js';
import type { PkiState } from '../state.js';
import { computeValidity } from '../validity.js';
import { certOut, GENERIC, parse, pemOut, REF, requireFormat } from './common.js';
import { parseCsrField, roleKeyChecks, signingKeyChecksAny } from './csr-input.js';

const ISSUE_FIELDS = {
  common_name: field.string(),
  alt_names: field.string(),
  ip_sans: field.commaStringSlice(),
  uri_sans: field.commaStringSlice(),
  other_sans: field.commaStringSlice(),
  ttl: field.duration(),
  not_after: field.string(),
  format: field.string(),
  private_key_format: field.string(),
  exclude_cn_from_sans: field.bool(),
  remove_roots_from_chain: field.bool(),
  user_ids: field.commaStringSlice(),
  serial_number: field.string(),
};
const SIGN_FIELDS = { ...ISSUE_FIELDS, csr: field.string() };
const VERBATIM_FIELDS = {
  ...SIGN_FIELDS,
  key_usage: field.commaStringSlice(),
  ext_key_usage: field.commaStringSlice(),
  ext_key_usage_oids: field.commaStringSlice(),
  signature_bits: field.int(),
  use_pss: field.bool(),
};
const DEFAULTS = { format: 'pem', private_key_format: 'der' };

type Mode = 'issue' | 'sign' | 'verbatim';

async function loadRole(state: PkiState, req: LogicalRequest, name: string): Promise<Role> {
  const r = await state.role(req.storage, name);
  if (!r) throw new LogicalError(`unknown role: ${name}`);
  return r;
}

/** Vault's pathSignVerbatim role: permissive, CSR values verbatim, a named role only lends TTLs/storage. */
function verbatimRole(v: { key_usage: string[]; ext_key_usage: string[]; ext_key_usage_oids: string[]; signature_bits: number; use_pss: boolean }, named?: Role): Role {
  return permissiveRole({
    use_csr_common_name: true,
    use_csr_sans: true,
    key_usage: v.key_usage,
    ext_key_usage: v.ext_key_usage,
    ext_key_usage_oids: v.ext_key_usage_oids,
    signature_bits: v.signature_bits,
    use_pss: v.use_pss,
    ...(named
      ? {
          ttl: named.ttl,
          max_ttl: named.max_ttl,
          generate_lease: named.generate_lease,
          no_store: named.no_store,
          not_before_duration: named.not_before_duration,
          issuer_ref: named.issuer_ref || 'default',
        }
      : { issuer_ref: 'default' }),
  });
}

/** PEMs of the issuer's chain, optionally without self-signed certificates. */
function chainFor(set: IssuerSet, issuerId: string, removeRoots: boolean): string[] {
  const ids = set.chainIds(issuerId);
  const pems = set.chainPems(issuerId);
  if (!removeRoots) return pems;
  return pems.filter((_, i) => {
    const c = set.issuers.get(ids[i]!)!.cert;
    return !c.issuerDer.equals(c.subjectDer);
  });
}

async function issueOrSign(state: PkiState, req: LogicalRequest, mode: Mode): Promise<LogicalResponse> {
  const p = parse(mode === 'verbatim' ? VERBATIM_FIELDS : mode === 'sign' ? SIGN_FIELDS : ISSUE_FIELDS, req, DEFAULTS);
  const v = p.values as typeof p.values & Partial<Record<'csr', string>> & Partial<{ key_usage: string[]; ext_key_usage: string[]; ext_key_usage_oids: string[]; signature_bits: number; use_pss: boolean }>;
  const format = requireFormat(v.format);
  const pkf = v.private_key_format === 'pkcs8' ? 'pkcs8' : 'der';
  const roleName = req.params['role'];
  let role: Role;
  if (mode === 'verbatim') {
    const named = roleName ? await loadRole(state, req, roleName) : undefined;
    role = verbatimRole({
      key_usage: p.present.has('key_usage') ? v.key_usage! : ROLE_DEFAULTS.key_usage,
      ext_key_usage: v.ext_key_usage ?? [],
      ext_key_usage_oids: v.ext_key_usage_oids ?? [],
      signature_bits: v.signature_bits ?? 0,
      use_pss: v.use_pss ?? false,
    }, named);
  } else {
    role = { ...ROLE_DEFAULTS, ...(await loadRole(state, req, roleName ?? '')) };
    if (mode === 'issue' && role.key_type === 'any') throw new LogicalError('role key type "any" not allowed for issuing certificates, only signing');
  }
  const set = await state.issuerSet();
  const issuer = set.issuerFor(req.params['issuer_ref'] ?? role.issuer_ref, 'issuing-certificates');

  let csr: ParsedCsr | undefined;
  const warnings = [...p.warnings];
  if (mode !== 'issue') {
    csr = parseCsrField(v.csr ?? '');
    if (mode === 'verbatim') signingKeyChecksAny(csr);
    else roleKeyChecks(csr, role);
    if (role.use_csr_common_name && v.common_name !== '') warnings.push('the common_name field was provided but the role is set with "use_csr_common_name" set to true');
    if (role.use_csr_sans && v.alt_names !== '') warnings.push('the alt_names field was provided but the role is set with "use_csr_sans" set to true');
  }
  const tpl = roleTemplate(role);
  const creation = buildCreation(role, tpl, {
    common_name: v.common_name, alt_names: v.alt_names, ip_sans: v.ip_sans, uri_sans: v.uri_sans, other_sans: v.other_sans,
    exclude_cn_from_sans: v.exclude_cn_from_sans, serial_number: v.serial_number, user_ids: v.user_ids, altNamesPresent: p.present.has('alt_names'),
  }, csr);
  const ttls = state.ctx.effectiveTtls();
  const validity = computeValidity({
    nowMs: state.nowMs(), requestTtl: v.ttl, requestNotAfter: v.not_after, roleTtl: role.ttl, roleMaxTtl: role.max_ttl, roleNotAfter: role.not_after,
    mountDefaultTtl: ttls.defaultLeaseTtl, mountMaxTtl: ttls.maxLeaseTtl, notBeforeDuration: role.not_before_duration,
    issuerNotAfter: issuer.cert.notAfter, behavior: issuer.behavior,
  });
  warnings.push(...validity.warnings);

  let privateKey: KeyObject | undefined;
  let spki: Buffer;
  if (csr) spki = csr.spkiDer;
  else {
    const kp = role.key_type === 'rsa' ? await state.rsaPool.take(role.key_bits || 2048) : generateEcOrEd(role.key_type as 'ec' | 'ed25519', role.key_bits);
    privateKey = kp.privateKey;
    spki = spkiDer(kp.publicKey);
  }

  const spec: LeafSpec = {
    subjectDer: buildName(creation.subject),
    subjectEmpty: subjectIsEmpty(creation.subject),
    spkiDer: spki,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    sans: { dns: creation.dns, email: creation.email, ip: creation.ip, uri: creation.uri, other: creation.other },
    keyUsage: tpl.keyUsage,
    extKeyUsageOids: tpl.extKeyUsageOids,
    ...(tpl.basicConstraintsExt ? { basicConstraintsExt: tpl.basicConstraintsExt } : {}),
    ...(tpl.policiesExt ? { policiesExt: tpl.policiesExt } : {}),
  };
  if (csr?.basicConstraints && !(mode !== 'verbatim' && role.basic_constraints_valid_for_non_ca)) {
    warnings.push('specified CSR contained a Basic Constraints extension that was ignored during issuance');
  }
  if (mode === 'verbatim' && csr) {
    // Vault signs with UseCSRValues: the CSR's subject and extensions (minus BasicConstraints).
    spec.subjectDer = csr.subjectDer;
    spec.subjectEmpty = csr.subject.length === 0;
    spec.keyUsage = keyUsageMask(role.key_usage);
    spec.extKeyUsageOids = extKeyUsageOids(role);
    // Go re-marshals the SANs (dropping the CSR's extension) only when other SANs are involved.
    const keepCsrSan = creation.other.length === 0;
    if (!keepCsrSan) spec.sans = { dns: csr.sans.dns, email: csr.sans.email, ip: csr.sans.ipBytes, uri: csr.sans.uri, other: creation.other };
    spec.extra = csr.extensions
      .filter((e) => e.oid !== OID.basicConstraints && !(e.oid === OID.subjectAltName && !keepCsrSan))
      .map((e) => ({ oid: e.oid, raw: e.raw }));
  }
  const issued = issueLeafCertificate(issuer, issuer.signer(role.signature_bits, role.use_pss), spec);
  if (!role.no_store) await req.storage.put(PATH.certs + serialToHyphen(issued.serial), issued.der);

  const serial = serialToColon(issued.serial);
  const chain = chainFor(set, issuer.id, v.remove_roots_from_chain);
  const data: Record<string, unknown> = {
    certificate: certOut(issued.der, format),
    issuing_ca: pemOut(issuer.certPem, format),
    serial_number: serial,
    expiration: Math.floor(validity.notAfter.getTime() / 1000),
  };
  if (chain.length > 0) data['ca_chain'] = chain.map((c) => pemOut(c, format));
  if (privateKey) {
    data['private_key'] = encodePrivateKey(privateKey, pkf, format === 'der');
    data['private_key_type'] = publicKeyInfo(privateKey).type;
  }
  if (format === 'pem_bundle') {
    data['certificate'] = [...(privateKey ? [data['private_key'] as string] : []), toPem('CERTIFICATE', issued.der), ...chain].join('\n');
  }
  const res: LogicalResponse = { data, ...(warnings.length ? { warnings } : {}) };
  if (role.generate_lease && !role.no_store) {
    res.secret = {
      ttl: Math.max(1, Math.floor((validity.notAfter.getTime() - state.nowMs()) / 1000)),
      renewable: false,
      internalData: { serial_number: serial },
    };
  }
  return res;
}

export function issuePaths(state: PkiState): PathDef[] {
  const ROLE = `(?<role>${GENERIC})`;
  const PREFIX = `(?:issuer/(?<issuer_ref>${REF})/)?`;
  return [
    { pattern: `${PREFIX}issue/${ROLE}`, operations: { update: (r) => issueOrSign(state, r, 'issue') } },
    { pattern: `${PREFIX}sign/${ROLE}`, operations: { update: (r) => issueOrSign(state, r, 'sign') } },
    { pattern: `${PREFIX}sign-verbatim(?:/${ROLE})?`, operations: { update: (r) => issueOrSign(state, r, 'verbatim') } },
  ];
}
