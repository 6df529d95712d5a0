/**
 * CA lifecycle endpoints: root generation and rotation, intermediate CSRs, signing intermediates
 * and self-issued certificates, importing issuers and keys, deleting the CA.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { field } from '../../core/fields.js';
import { LogicalError, type LogicalRequest, type LogicalResponse, type PathDef } from '../../core/logical.js';
import { caSpec, selfSignRoot } from '../ca-certs.js';
import { importBundle, linkIssuerKeys, maybeSetDefaultIssuer, splitBundle, storeIssuer, storeKey } from '../ca-store.js';
import { signStructure } from '../cert-builder.js';
import { keyIdOf, parseCertificate } from '../cert-parse.js';
import { buildCreation, subjectIsEmpty, type CreationResult } from '../creation.js';
import { buildCsr, caBasicConstraintsForCsr } from '../csr.js';
import { children, explicit, readOne, seqOf, TAG } from '../der.js';
import { authorityInfoAccessExt, authorityKeyIdExt, subjectAltNameExt } from '../extensions.js';
import { issueLeafCertificate } from '../issue-leaf.js';
import { IssuerSet } from '../issuer-set.js';
import { defaultKeyBits, encodePrivateKey, generateEcOrEd, parsePrivateKeyDer, publicKeyInfo, validateKeyTypeLength } from '../keys.js';
import { buildName } from '../name.js';
import { OID } from '../oids.js';
import { toPem } from '../pem.js';
import { PATH } from '../records.js';
import { permissiveRole, roleTemplate } from '../roles.js';
import { serialToColon, serialToHyphen } from '../serial.js';
import type { PkiState } from '../state.js';
import { computeValidity } from '../validity.js';
import { CA_COMMON_FIELDS, CA_DEFAULTS, CA_ISSUE_FIELDS, CA_KEYGEN_FIELDS, certOut, checkName, parse, pemOut, REF, requireFormat, type Format } from './common.js';
import { parseCsrField, signingKeyChecksAny } from './csr-input.js';

const ROOT_FIELDS = { ...CA_COMMON_FIELDS, ...CA_KEYGEN_FIELDS, ...CA_ISSUE_FIELDS };
const INTERMEDIATE_FIELDS = { ...CA_COMMON_FIELDS, ...CA_KEYGEN_FIELDS, add_basic_constraints: field.bool() };
const SIGN_INTERMEDIATE_FIELDS = {
  ...CA_COMMON_FIELDS,
  ...CA_ISSUE_FIELDS,
  csr: field.string(),
  use_csr_values: field.bool(),
  skid: field.string(),
  signature_bits: field.int(),
  use_pss: field.bool(),
  issuer_ref: field.string(),
};

const NO_AIA_WARNING =
  "This mount hasn't configured any authority information access (AIA) fields; this may make it harder for systems to find missing certificates in the chain or to validate revocation status of certificates. Consider updating /config/urls or the newly generated issuer with this information.";

type GenType = 'internal' | 'exported' | 'existing' | 'kms';

function genType(t: string | undefined): GenType {
  if (t === 'internal' || t === 'exported' || t === 'existing' || t === 'kms') return t;
  throw new LogicalError('the "exported" path parameter must be "internal", "existing", exported" or "kms"');
}

function privateKeyFormat(f: string): 'der' | 'pkcs8' {
  if (f === '' || f === 'der') return 'der';
  if (f === 'pkcs8') return 'pkcs8';
  throw new LogicalError('the "private_key_format" field must be "der" or "pkcs8"');
}

interface NewKey {
  key: KeyObject;
  /** Id of an existing key (type `existing`), else undefined. */
  existingId?: string;
}

/** A key for a new CA: generated (RSA on the threadpool) or an existing one by reference. */
async function caKey(state: PkiState, type: GenType, v: { key_type: string; key_bits: number; key_ref: string }, present: Set<string>): Promise<NewKey> {
  if (type === 'kms') throw new LogicalError('managed keys (kms) are not supported by this server');
  if (type === 'existing') {
    if (present.has('key_type') || present.has('key_bits')) throw new LogicalError('key_type and key_bits may not be specified when using an existing key');
    const set = await state.issuerSet();
    const id = set.resolveKey(v.key_ref || 'default');
    return { key: set.keys.get(id)!.key, existingId: id };
  }
  const kt = v.key_type;
  const bits = defaultKeyBits(kt, v.key_bits);
  const err = validateKeyTypeLength(kt, bits);
  if (err || kt === 'any') throw new LogicalError(err ?? 'unknown key type any');
  if (kt === 'rsa') return { key: (await state.rsaPool.take(bits)).privateKey };
  return { key: generateEcOrEd(kt as 'ec' | 'ed25519', bits).privateKey };
}

type CaValues = {
  common_name: string; alt_names: string; ip_sans: string[]; uri_sans: string[]; other_sans: string[]; exclude_cn_from_sans: boolean;
  serial_number: string; ou: string[]; organization: string[]; country: string[]; locality: string[]; province: string[];
  street_address: string[]; postal_code: string[];
};

/** Subject and SANs of a CA from request fields (Vault's permissive synthetic role). */
function caCreation(v: CaValues, present: Set<string>, csr?: Parameters<typeof buildCreation>[3], useCsrCn = false): CreationResult {
  const role = permissiveRole({
    ou: v.ou, organization: v.organization, country: v.country, locality: v.locality, province: v.province,
    street_address: v.street_address, postal_code: v.postal_code, use_csr_common_name: useCsrCn,
  });
  return buildCreation(role, roleTemplate(role), {
    common_name: v.common_name, alt_names: v.alt_names, ip_sans: v.ip_sans, uri_sans: v.uri_sans, other_sans: v.other_sans,
    exclude_cn_from_sans: v.exclude_cn_from_sans, serial_number: v.serial_number, altNamesPresent: present.has('alt_names'),
  }, csr);
}

function privateKeyFields(key: KeyObject, pkf: 'der' | 'pkcs8', format: Format): Record<string, unknown> {
  return { private_key: encodePrivateKey(key, pkf, format === 'der'), private_key_type: publicKeyInfo(key).type };
}

async function generateRoot(state: PkiState, req: LogicalRequest, rotate: boolean): Promise<LogicalResponse> {
  const type = genType(req.params['exported']);
  const p = parse(ROOT_FIELDS, req, CA_DEFAULTS);
  const v = p.values;
  const format = requireFormat(v.format);
  const pkf = privateKeyFormat(v.private_key_format);
  checkName(v.issuer_name, 'issuer');
  checkName(v.key_name, 'key');
  const warnings = [...p.warnings];
  const creation = caCreation(v, p.present);
  const subjectDer = buildName(creation.subject);
  const ttls = state.ctx.effectiveTtls();
  const validity = computeValidity({
    nowMs: state.nowMs(), requestTtl: v.ttl, requestNotAfter: v.not_after, roleTtl: v.ttl, roleMaxTtl: 0, roleNotAfter: '',
    mountDefaultTtl: ttls.defaultLeaseTtl, mountMaxTtl: ttls.maxLeaseTtl, notBeforeDuration: v.not_before_duration, behavior: 'permit',
  });
  warnings.push(...validity.warnings);
  const nk = await caKey(state, type, v, p.present);
  const snapshot = await state.issuerSet();
  const globalUrls = snapshot.urls;
  let urls = { issuingCertificates: globalUrls.issuing_certificates, crlDistributionPoints: globalUrls.crl_distribution_points, ocspServers: globalUrls.ocsp_servers };
  if (globalUrls.enable_templating) {
    const all = [...urls.issuingCertificates, ...urls.crlDistributionPoints, ...urls.ocspServers];
    if (all.some((u) => u.includes('{{issuer_id}}'))) {
      urls = { issuingCertificates: [], crlDistributionPoints: [], ocspServers: [] };
      warnings.push('When generating root CA, found global AIA configuration with issuer_id template unsuitable for root generation. This AIA configuration has been ignored. To include AIA on this root CA, set the global AIA configuration to not include issuer_id and instead to refer to a static issuer name.');
    } else {
      const ex = (u: string): string => snapshot.expandTemplate(u, '');
      urls = { issuingCertificates: urls.issuingCertificates.map(ex), crlDistributionPoints: urls.crlDistributionPoints.map(ex), ocspServers: urls.ocspServers.map(ex) };
    }
  }
  const root = selfSignRoot(
    nk.key,
    {
      subjectDer,
      subjectEmpty: subjectIsEmpty(creation.subject),
      sans: { dns: creation.dns, email: creation.email, ip: creation.ip, uri: creation.uri, other: creation.other },
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      maxPathLen: v.max_path_length,
      permittedDnsDomains: v.permitted_dns_domains,
    },
    urls,
    v.signature_bits,
    v.use_pss,
  );
  const result = await state.withLock(async () => {
    const storage = req.storage;
    const set = await IssuerSet.load(storage);
    let issuerName = v.issuer_name;
    if (rotate && !p.present.has('issuer_name') && ![...set.issuers.values()].some((li) => li.rec.name === 'next')) issuerName = 'next';
    const key = nk.existingId ? { id: nk.existingId, name: set.keys.get(nk.existingId)!.rec.name, existing: true } : await storeKey(storage, set, nk.key, v.key_name);
    const issuer = await storeIssuer(storage, set, root.der, issuerName, state.nowMs());
    const defWarnings = await maybeSetDefaultIssuer(storage, set, [issuer], !rotate || set.issuersConfig.default_follows_latest_issuer);
    await storage.put(PATH.certs + serialToHyphen(root.serial), root.der);
    state.issuersChanged();
    return { key, issuer, defWarnings };
  });
  warnings.push(...result.defWarnings);
  if (urls.issuingCertificates.length + urls.crlDistributionPoints.length + urls.ocspServers.length === 0) warnings.push(NO_AIA_WARNING);
  if (subjectIsEmpty(creation.subject)) {
    warnings.push('This issuer certificate was generated without a Subject; this makes it likely that issuing leaf certs with this certificate will cause TLS validation libraries to reject this certificate.');
  }
  if (v.max_path_length === 0) {
    warnings.push('The generated root has a max path length of zero; it cannot be used to issue intermediate CA certificates.');
  }
  const certPem = toPem('CERTIFICATE', root.der);
  const data: Record<string, unknown> = {
    expiration: Math.floor(validity.notAfter.getTime() / 1000),
    certificate: certOut(root.der, format),
    issuing_ca: certOut(root.der, format),
    serial_number: serialToColon(root.serial),
    issuer_id: result.issuer.id,
    issuer_name: result.issuer.name,
    key_id: result.key.id,
    key_name: result.key.name,
  };
  if (type === 'exported') {
    Object.assign(data, privateKeyFields(nk.key, pkf, format));
    if (format === 'pem_bundle') data['certificate'] = `${data['private_key'] as string}\n${certPem}`;
  }
  return { data, warnings };
}

async function generateIntermediate(state: PkiState, req: LogicalRequest, forceExisting: boolean): Promise<LogicalResponse> {
  const type = forceExisting ? 'existing' : genType(req.params['exported']);
  const p = parse(INTERMEDIATE_FIELDS, req, CA_DEFAULTS);
  const v = p.values;
  const format = requireFormat(v.format);
  const pkf = privateKeyFormat(v.private_key_format);
  checkName(v.key_name, 'key');
  const creation = caCreation(v, p.present);
  const nk = await caKey(state, type, v, p.present);
  const exts: Buffer[] = [];
  const sans = { dns: creation.dns, email: creation.email, ip: creation.ip, uri: creation.uri, other: creation.other };
  if (creation.dns.length + creation.email.length + creation.ip.length + creation.uri.length + creation.other.length > 0) {
    exts.push(subjectAltNameExt(sans, subjectIsEmpty(creation.subject)));
  }
  if (v.add_basic_constraints) exts.push(caBasicConstraintsForCsr());
  const csrDer = buildCsr({ subjectDer: buildName(creation.subject), key: nk.key, extensions: exts, signatureBits: v.signature_bits });
  const key = await state.withLock(async () => {
    if (nk.existingId) {
      const set = await state.issuerSet();
      return { id: nk.existingId, name: set.keys.get(nk.existingId)?.rec.name ?? '' };
    }
    const set = await IssuerSet.load(req.storage);
    const k = await storeKey(req.storage, set, nk.key, v.key_name);
    state.issuersChanged();
    return k;
  });
  const csrPem = toPem('CERTIFICATE REQUEST', csrDer);
  const data: Record<string, unknown> = { csr: format === 'der' ? csrDer.toString('base64') : csrPem, key_id: key.id, key_name: key.name };
  if (type === 'exported') {
    Object.assign(data, privateKeyFields(nk.key, pkf, format));
    if (format === 'pem_bundle') data['csr'] = `${data['private_key'] as string}\n${csrPem}`;
  }
  return { data, warnings: p.warnings };
}

async function signIntermediate(state: PkiState, req: LogicalRequest): Promise<LogicalResponse> {
  const p = parse(SIGN_INTERMEDIATE_FIELDS, req, CA_DEFAULTS);
  const v = p.values;
  const format = requireFormat(v.format);
  const set = await state.issuerSet();
  const issuer = set.issuerFor(req.params['issuer_ref'] ?? (v.issuer_ref || 'default'), 'issuing-certificates');
  const csr = parseCsrField(v.csr);
  signingKeyChecksAny(csr);
  const warnings = [...p.warnings];
  const creation = caCreation(v, p.present, csr, v.common_name === '');
  let maxPathLen: number;
  const signerMax = issuer.cert.maxPathLen;
  if (issuer.cert.basicConstraintsValid && signerMax === 0) {
    throw new LogicalError('signing certificate has a max path length of zero, and cannot issue further CA certificates');
  }
  if (p.present.has('max_path_length')) maxPathLen = v.max_path_length;
  else maxPathLen = signerMax < 0 ? -1 : signerMax - 1;
  const ttls = state.ctx.effectiveTtls();
  const validity = computeValidity({
    nowMs: state.nowMs(), requestTtl: v.ttl, requestNotAfter: v.not_after, roleTtl: v.ttl, roleMaxTtl: 0, roleNotAfter: '',
    mountDefaultTtl: ttls.defaultLeaseTtl, mountMaxTtl: ttls.maxLeaseTtl, notBeforeDuration: v.not_before_duration,
    issuerNotAfter: issuer.cert.notAfter, behavior: 'permit',
  });
  warnings.push(...validity.warnings);
  let skid: Buffer | undefined;
  if (p.present.has('skid') && v.skid !== '') {
    const hex = v.skid.replace(/[:\- ]/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new LogicalError(`cannot parse requested SKID value as hex: encoding/hex: invalid byte in ${JSON.stringify(v.skid)}`);
    skid = Buffer.from(hex, 'hex');
  }
  let subjectDer = buildName(creation.subject);
  let subjectEmpty = subjectIsEmpty(creation.subject);
  let extra: Array<{ oid: string; raw: Buffer }> | undefined;
  let sanExtOverride: Buffer | undefined;
  const sans = { dns: creation.dns, email: creation.email, ip: creation.ip, uri: creation.uri, other: creation.other };
  if (v.use_csr_values) {
    subjectDer = csr.subjectDer;
    subjectEmpty = csr.subject.length === 0;
    const keepSan = creation.other.length === 0;
    extra = csr.extensions.filter((e) => e.oid !== OID.basicConstraints && !(e.oid === OID.subjectAltName)).map((e) => ({ oid: e.oid, raw: e.raw }));
    const csrSan = csr.extensions.find((e) => e.oid === OID.subjectAltName);
    if (keepSan && csrSan) sanExtOverride = csrSan.raw;
    if (!keepSan) {
      sans.dns = csr.sans.dns;
      sans.email = csr.sans.email;
      sans.ip = csr.sans.ipBytes;
      sans.uri = csr.sans.uri;
    } else if (!csrSan) {
      sans.dns = [];
      sans.email = [];
      sans.ip = [];
      sans.uri = [];
    }
  }
  const issued = issueLeafCertificate(issuer, issuer.signer(v.signature_bits, v.use_pss), caSpec({
    subjectDer, subjectEmpty, spkiDer: csr.spkiDer, sans, notBefore: validity.notBefore, notAfter: validity.notAfter,
    maxPathLen, permittedDnsDomains: v.permitted_dns_domains,
    ...(skid ? { skid } : {}), ...(extra ? { extra } : {}), ...(sanExtOverride ? { sanExtOverride } : {}),
  }));
  await req.storage.put(PATH.certs + serialToHyphen(issued.serial), issued.der);
  if (maxPathLen === 0) warnings.push('Max path length of the signed certificate is zero. This certificate cannot be used to issue intermediate CA certificates.');
  if (issuer.cert.notAfter.getTime() < validity.notAfter.getTime()) {
    warnings.push("The expiration time for the signed certificate is after the CA's expiration time. If the new certificate is not treated as a root, validation paths with the certificate past the issuing CA's expiration time will fail.");
  }
  const certPem = toPem('CERTIFICATE', issued.der);
  const chain = [certPem, ...issuer.chainPems];
  const data: Record<string, unknown> = {
    expiration: Math.floor(validity.notAfter.getTime() / 1000),
    serial_number: serialToColon(issued.serial),
    certificate: format === 'pem_bundle' ? chain.join('\n') : certOut(issued.der, format),
    issuing_ca: pemOut(issuer.certPem, format),
    ca_chain: chain.map((c) => pemOut(c, format)),
  };
  return { data, warnings };
}

async function signSelfIssued(state: PkiState, req: LogicalRequest): Promise<LogicalResponse> {
  const p = parse({ certificate: field.string(), require_matching_certificate_algorithms: field.bool(), issuer_ref: field.string() }, req);
  const set = await state.issuerSet();
  const issuer = set.issuerFor(req.params['issuer_ref'] ?? (p.values.issuer_ref || 'default'), 'issuing-certificates');
  const pem = p.values.certificate;
  if (pem === '') throw new LogicalError('"certificate" is empty');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new LogicalError('certificate contains no data');
  if (blocks.length > 1) throw new LogicalError('more than one certificate given');
  let cert;
  try {
    cert = parseCertificate(Buffer.from(blocks[0]!.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
  } catch (e) {
    throw new LogicalError(`error parsing certificate: ${(e as Error).message}`);
  }
  if (!cert.isCa) throw new LogicalError('given certificate is not a CA certificate');
  if (!cert.issuerDer.equals(cert.subjectDer)) throw new LogicalError('given certificate is not self-issued');
  if (p.values.require_matching_certificate_algorithms) {
    const a = publicKeyInfo(createPublicKey({ key: cert.spkiDer, format: 'der', type: 'spki' })).type;
    if (a !== publicKeyInfo(issuer.key!).type) throw new LogicalError('signing certificate\'s public key algorithm does not match one in the given certificate');
  }
  // Re-sign the TBS with only the issuer-side fields changed: issuer DN, signature algorithm,
  // AKI and AIA (Vault's pathIssuerSignSelfIssued).
  const tbs = children(readOne(cert.tbs, TAG.SEQUENCE));
  const hasVersion = tbs[0]?.tag === 0xa0;
  const base = hasVersion ? 1 : 0;
  const signer = issuer.signer();
  const exts = cert.extensions
    .filter((e) => e.oid !== OID.authorityKeyIdentifier && e.oid !== OID.authorityInfoAccess)
    .map((e) => e.raw);
  exts.push(authorityKeyIdExt(keyIdOf(issuer.cert)));
  const aia = authorityInfoAccessExt(issuer.urls.ocspServers, issuer.urls.issuingCertificates);
  if (aia) exts.push(aia);
  const fields = [
    ...(hasVersion ? [tbs[0]!.raw] : []),
    tbs[base]!.raw, // serial
    signer.alg.algId,
    signer.nameDer,
    tbs[base + 3]!.raw, // validity
    tbs[base + 4]!.raw, // subject
    tbs[base + 5]!.raw, // spki
    explicit(3, seqOf(exts)),
  ];
  const der = signStructure(signer, seqOf(fields));
  return { data: { certificate: toPem('CERTIFICATE', der), issuing_ca: issuer.certPem }, warnings: p.warnings };
}

async function importIssuers(state: PkiState, req: LogicalRequest, keysAllowed: boolean): Promise<LogicalResponse> {
  const p = parse({ pem_bundle: field.string(), certificate: field.string() }, req);
  let bundle = p.values.pem_bundle;
  const certificate = p.values.certificate;
  if (bundle === '' && certificate === '') throw new LogicalError("'pem_bundle' and 'certificate' parameters were empty");
  if (bundle !== '' && certificate !== '') throw new LogicalError("'pem_bundle' and 'certificate' parameters were both provided");
  let allowKeys = keysAllowed;
  if (certificate !== '') {
    allowKeys = false;
    bundle = certificate;
  }
  const warnings = [...p.warnings];
  const out = await state.withLock(async () => {
    const set = await IssuerSet.load(req.storage);
    const r = await importBundle(req.storage, set, bundle, allowKeys, state.nowMs());
    warnings.push(...(await maybeSetDefaultIssuer(req.storage, set, r.stored, true)));
    const def = set.issuersConfig.default;
    if (def && r.mapping[def] === '') {
      warnings.push('The default issuer has no key associated with it. Some operations like issuing certificates and signing CRLs will be unavailable with the requested default issuer until a key is imported or the default issuer is changed.');
    }
    const urls = set.urls;
    if (urls.issuing_certificates.length + urls.crl_distribution_points.length + urls.ocsp_servers.length === 0) warnings.push(NO_AIA_WARNING);
    state.issuersChanged();
    return r;
  });
  return {
    data: {
      mapping: out.mapping,
      imported_keys: out.imported_keys.length ? out.imported_keys : null,
      imported_issuers: out.imported_issuers.length ? out.imported_issuers : null,
      existing_keys: out.existing_keys.length ? out.existing_keys : null,
      existing_issuers: out.existing_issuers.length ? out.existing_issuers : null,
    },
    warnings,
  };
}

async function generateKey(state: PkiState, req: LogicalRequest): Promise<LogicalResponse> {
  const type = req.params['exported'];
  if (type !== 'internal' && type !== 'exported' && type !== 'kms') throw new LogicalError('the "exported" path parameter must be "internal", "exported" or "kms"');
  const p = parse({ key_type: field.string(), key_bits: field.int(), key_name: field.string(), managed_key_name: field.string(), managed_key_id: field.string() }, req, { key_type: 'rsa' });
  checkName(p.values.key_name, 'key');
  const nk = await caKey(state, type, { key_type: p.values.key_type, key_bits: p.values.key_bits, key_ref: '' }, new Set());
  const k = await state.withLock(async () => {
    const set = await IssuerSet.load(req.storage);
    const r = await storeKey(req.storage, set, nk.key, p.values.key_name);
    state.issuersChanged();
    return r;
  });
  const data: Record<string, unknown> = { key_id: k.id, key_name: k.name, key_type: publicKeyInfo(nk.key).type };
  if (type === 'exported') data['private_key'] = encodePrivateKey(nk.key, 'der', false);
  return { data, warnings: p.warnings };
}

async function importKey(state: PkiState, req: LogicalRequest): Promise<LogicalResponse> {
  const p = parse({ pem_bundle: field.string(), key_name: field.string() }, req);
  checkName(p.values.key_name, 'key');
  if (p.values.pem_bundle === '') throw new LogicalError('must specify a PEM-encoded private key in pem_bundle');
  const blocks = splitBundle(p.values.pem_bundle);
  if (blocks.certs.length > 0 || blocks.keys.length !== 1) throw new LogicalError('only a single private key may be imported at a time');
  let key: KeyObject;
  try {
    key = parsePrivateKeyDer(blocks.keys[0]!.label, blocks.keys[0]!.der);
  } catch (e) {
    throw new LogicalError(`Error parsing key: ${(e as Error).message}`);
  }
  const k = await state.withLock(async () => {
    const set = await IssuerSet.load(req.storage);
    const r = await storeKey(req.storage, set, key, p.values.key_name);
    await linkIssuerKeys(req.storage, set);
    state.issuersChanged();
    return r;
  });
  return { data: { key_id: k.id, key_name: k.name, key_type: publicKeyInfo(key).type }, warnings: p.warnings };
}

async function deleteRoot(state: PkiState, req: LogicalRequest): Promise<LogicalResponse | undefined> {
  await state.withLock(async () => {
    const s = req.storage;
    const [issuers, keys] = await Promise.all([s.list(PATH.issuer), s.list(PATH.key)]);
    await s.txn([
      ...issuers.map((id) => ({ op: 'delete' as const, key: PATH.issuer + id })),
      ...keys.map((id) => ({ op: 'delete' as const, key: PATH.key + id })),
      { op: 'delete' as const, key: PATH.issuersConfig },
      { op: 'delete' as const, key: PATH.keysConfig },
    ]);
    state.revocation.reset();
    state.issuersChanged();
  });
  return undefined;
}

export function caPaths(state: PkiState): PathDef[] {
  const TYPE = '(?<exported>[^/]+)';
  return [
    { pattern: `(?:root/generate|issuers/generate/root)/${TYPE}`, operations: { update: (r) => generateRoot(state, r, false) } },
    { pattern: `root/rotate/${TYPE}`, operations: { update: (r) => generateRoot(state, r, true) } },
    { pattern: `(?:intermediate/generate|issuers/generate/intermediate)/${TYPE}`, operations: { update: (r) => generateIntermediate(state, r, false) } },
    { pattern: 'intermediate/cross-sign', operations: { update: (r) => generateIntermediate(state, r, true) } },
    { pattern: `(?:root|issuer/(?<issuer_ref>${REF}))/sign-intermediate`, operations: { update: (r) => signIntermediate(state, r) } },
    { pattern: `root/sign-self-issued`, rootProtected: true, operations: { update: (r) => signSelfIssued(state, r) } },
    { pattern: `issuer/(?<issuer_ref>${REF})/sign-self-issued`, operations: { update: (r) => signSelfIssued(state, r) } },
    { pattern: 'intermediate/set-signed', operations: { update: (r) => importIssuers(state, r, false) } },
    { pattern: 'config/ca', operations: { update: (r) => importIssuers(state, r, true) } },
    { pattern: 'issuers/import/bundle', operations: { update: (r) => importIssuers(state, r, true) } },
    { pattern: 'issuers/import/cert', operations: { update: (r) => importIssuers(state, r, false) } },
    { pattern: `keys/generate/${TYPE}`, operations: { update: (r) => generateKey(state, r) } },
    { pattern: 'keys/import', operations: { update: (r) => importKey(state, r) } },
    { pattern: 'root', rootProtected: true, operations: { delete: (r) => deleteRoot(state, r) } },
  ];
}
