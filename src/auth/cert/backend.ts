/**
 * TLS certificate auth (builtin/credential/cert): trusted certificate entries (`certs/:name`, a
 * CA to chain to or a pinned non-CA leaf) with name/SAN/OU/extension constraints, CRLs
 * (`crls/:name`) checked against every certificate of a chain, and `login {name?}` with the
 * client certificate chain from the TLS handshake (`req.connection.peerCertificates`).
 */
import type { AuthRenewContext, AuthRenewResult, Backend, BackendContext, LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import type { StorageView } from '../../core/storage-view.js';
import { remoteAddrAllowed } from '../cidr.js';
import { globMatch } from '../glob.js';
import { sendRequest } from '../https-client.js';
import {
  applyLegacyTokenFields,
  applyTokenFields,
  defaultTokenParams,
  equivalentPolicies,
  legacyData,
  legacyTokenFields,
  renewalTtls,
  storedTokenParams,
  tokenAuth,
  tokenData,
  tokenFields,
  type LegacyTokenField,
  type LegacyTokenValues,
  type TokenParams,
} from '../tokenutil.js';
import { denied, listResponse, nameGroup, param, warningsOnly } from '../paths.js';
import { OID_ANY_EKU, OID_CLIENT_AUTH, derString, hexColons, parseCertificate, parsePemCertificates, type CertInfo } from './x509-info.js';
import { verifyClientChain } from './chain.js';
import { revokedSerials } from './crl.js';

const LEGACY: LegacyTokenField[] = ['policies', 'ttl', 'max_ttl', 'period', 'bound_cidrs'];

interface CertEntry {
  name: string;
  certificate: string;
  display_name: string;
  allowed_names: string[];
  allowed_common_names: string[];
  allowed_dns_sans: string[];
  allowed_email_sans: string[];
  allowed_uri_sans: string[];
  allowed_organizational_units: string[];
  required_extensions: string[];
  allowed_metadata_extensions: string[];
  token: TokenParams;
  legacy: LegacyTokenValues;
}

interface CrlInfo {
  cdp: { url: string; valid_until: string } | null;
  serials: Record<string, Record<string, never>>;
}

interface CertConfig {
  disable_binding: boolean;
  enable_identity_alias_metadata: boolean;
}

const certFields = {
  ...tokenFields,
  ...legacyTokenFields(LEGACY),
  lease: field.duration(),
  certificate: field.string(),
  display_name: field.string(),
  allowed_names: field.commaStringSlice(),
  allowed_common_names: field.commaStringSlice(),
  allowed_dns_sans: field.commaStringSlice(),
  allowed_email_sans: field.commaStringSlice(),
  allowed_uri_sans: field.commaStringSlice(),
  allowed_organizational_units: field.commaStringSlice(),
  required_extensions: field.commaStringSlice(),
  allowed_metadata_extensions: field.commaStringSlice(),
  ocsp_enabled: field.bool(),
  ocsp_ca_certificates: field.string(),
  ocsp_servers_override: field.commaStringSlice(),
  ocsp_fail_open: field.bool(),
  ocsp_query_all_servers: field.bool(),
};

const LIST_FIELDS = [
  'allowed_names',
  'allowed_common_names',
  'allowed_dns_sans',
  'allowed_email_sans',
  'allowed_uri_sans',
  'allowed_organizational_units',
  'required_extensions',
  'allowed_metadata_extensions',
] as const;

interface Trusted {
  entry: CertEntry;
  certs: CertInfo[];
}

const anyGlob = (patterns: readonly string[], values: readonly string[]): boolean => patterns.some((p) => values.some((v) => globMatch(p, v)));

/** The constraint checks of matchesConstraints, minus CRLs (checked on the chain). */
function matchesNames(client: CertInfo, e: CertEntry): boolean {
  if (e.allowed_names.length > 0 && !anyGlob(e.allowed_names, [client.commonName, ...client.dnsNames, ...client.emailAddresses])) return false;
  if (e.allowed_common_names.length > 0 && !anyGlob(e.allowed_common_names, [client.commonName])) return false;
  if (e.allowed_dns_sans.length > 0 && !anyGlob(e.allowed_dns_sans, client.dnsNames)) return false;
  if (e.allowed_email_sans.length > 0 && !anyGlob(e.allowed_email_sans, client.emailAddresses)) return false;
  if (e.allowed_uri_sans.length > 0 && !anyGlob(e.allowed_uri_sans, client.uris)) return false;
  if (e.allowed_organizational_units.length > 0 && !anyGlob(e.allowed_organizational_units, client.organizationalUnits)) return false;
  for (const req of e.required_extensions) {
    const idx = req.indexOf(':');
    const oid = idx === -1 ? req : req.slice(0, idx);
    const pattern = idx === -1 ? '' : req.slice(idx + 1);
    const value = client.extensions.get(oid);
    if (value === undefined || !globMatch(pattern, derString(value))) return false;
  }
  return true;
}

function extensionMetadata(client: CertInfo, e: CertEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const oid of e.allowed_metadata_extensions) {
    const value = client.extensions.get(oid);
    if (value !== undefined) out[oid.replace(/\./g, '-')] = derString(value);
  }
  return out;
}

export function createCertBackend(ctx: BackendContext): Backend {
  const getEntry = async (s: StorageView, name: string): Promise<CertEntry | undefined> => {
    const raw = await s.getJson<CertEntry>(`cert/${name.toLowerCase()}`);
    return raw ? { ...raw, token: storedTokenParams(raw.token), legacy: raw.legacy ?? {} } : undefined;
  };
  const getConfig = async (s: StorageView): Promise<CertConfig> =>
    (await s.getJson<CertConfig>('config')) ?? { disable_binding: false, enable_identity_alias_metadata: false };

  // ------------------------------------------------------------------ certs

  const writeCert = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const name = param(req.params, 'name').toLowerCase();
    const { values, present, warnings } = parseFields(certFields, req.data);
    const entry: CertEntry = (await getEntry(req.storage, name)) ?? {
      name,
      certificate: '',
      display_name: '',
      allowed_names: [],
      allowed_common_names: [],
      allowed_dns_sans: [],
      allowed_email_sans: [],
      allowed_uri_sans: [],
      allowed_organizational_units: [],
      required_extensions: [],
      allowed_metadata_extensions: [],
      token: defaultTokenParams(),
      legacy: {},
    };
    if (present.has('certificate')) entry.certificate = values.certificate;
    if (present.has('display_name')) entry.display_name = values.display_name;
    for (const f of LIST_FIELDS) if (present.has(f)) entry[f] = values[f];
    if (values.ocsp_enabled) throw new LogicalError('OCSP checking is not supported by this server; use crls/ instead');
    applyTokenFields(entry.token, values, present);
    applyLegacyTokenFields(entry.token, entry.legacy, values, present, LEGACY);
    if (!present.has('token_ttl') && !present.has('ttl') && present.has('lease')) {
      entry.legacy.ttl = values.lease;
      entry.token.token_ttl = values.lease;
    }
    const { defaultLeaseTtl, maxLeaseTtl } = ctx.effectiveTtls();
    if (entry.token.token_ttl > defaultLeaseTtl) {
      warnings.push(`Given ttl of ${entry.token.token_ttl} seconds is greater than current mount/system default of ${defaultLeaseTtl} seconds`);
    }
    if (entry.token.token_max_ttl > maxLeaseTtl) {
      warnings.push(`Given max_ttl of ${entry.token.token_max_ttl} seconds is greater than current mount/system default of ${maxLeaseTtl} seconds`);
    }
    if (entry.token.token_max_ttl !== 0 && entry.token.token_ttl > entry.token.token_max_ttl) throw new LogicalError('ttl should be shorter than max_ttl');
    if (entry.token.token_period > maxLeaseTtl) {
      warnings.push(`Given period of ${entry.token.token_period} seconds is greater than the backend's maximum TTL of ${maxLeaseTtl} seconds`);
    }
    if (entry.display_name === '') entry.display_name = name;
    const parsed = parsePemCertificates(entry.certificate);
    const first = parsed[0];
    if (!first) throw new LogicalError('failed to parse certificate');
    if (!first.isCA && first.extKeyUsages !== undefined && !first.extKeyUsages.some((u) => u === OID_CLIENT_AUTH || u === OID_ANY_EKU)) {
      throw new LogicalError('nonCA certificates should have TLS client authentication set as an extended key usage');
    }
    await req.storage.putJson(`cert/${name}`, entry);
    return warningsOnly(warnings);
  };

  const readCert = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const e = await getEntry(req.storage, param(req.params, 'name'));
    if (!e) return undefined;
    return {
      data: {
        certificate: e.certificate,
        display_name: e.display_name,
        allowed_names: e.allowed_names,
        allowed_common_names: e.allowed_common_names,
        allowed_dns_sans: e.allowed_dns_sans,
        allowed_email_sans: e.allowed_email_sans,
        allowed_uri_sans: e.allowed_uri_sans,
        allowed_organizational_units: e.allowed_organizational_units,
        required_extensions: e.required_extensions,
        allowed_metadata_extensions: e.allowed_metadata_extensions,
        ocsp_ca_certificates: '',
        ocsp_enabled: false,
        ocsp_servers_override: [],
        ocsp_fail_open: false,
        ocsp_query_all_servers: false,
        ...tokenData(e.token),
        ...legacyData(e.legacy),
      },
    };
  };

  // ------------------------------------------------------------------ CRLs

  const loadCrls = async (s: StorageView): Promise<CrlInfo[]> => {
    const out: CrlInfo[] = [];
    for (const key of await s.list('crls/')) {
      const info = await s.getJson<CrlInfo>(`crls/${key}`);
      if (info) out.push(info);
    }
    return out;
  };

  const writeCrl = async (req: LogicalRequest): Promise<undefined> => {
    const name = param(req.params, 'name').toLowerCase();
    const { values, present } = parseFields({ crl: field.string(), url: field.string() }, req.data);
    let serials: string[];
    let cdp: CrlInfo['cdp'] = null;
    if (present.has('crl')) {
      try {
        serials = revokedSerials(values.crl);
      } catch (e) {
        throw new LogicalError(`failed to parse CRL: ${(e as Error).message}`);
      }
    } else if (present.has('url')) {
      if (values.url === '') throw new LogicalError('empty CRL url');
      let url: URL;
      try {
        url = new URL(values.url);
      } catch (e) {
        throw new LogicalError(`invalid CRL url: ${(e as Error).message}`);
      }
      try {
        const res = await sendRequest({ url: url.toString() });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        serials = revokedSerials(res.body);
      } catch (e) {
        throw new LogicalError(`error fetching CRL from ${values.url}: ${(e as Error).message}`, 500);
      }
      cdp = { url: values.url, valid_until: new Date(0).toISOString() };
    } else {
      throw new LogicalError("one of 'crl' or 'url' must be provided");
    }
    const info: CrlInfo = { cdp, serials: Object.fromEntries(serials.map((s) => [s, {}])) };
    await req.storage.putJson(`crls/${name}`, info);
    return undefined;
  };

  const readCrl = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const name = param(req.params, 'name').toLowerCase();
    const info = await req.storage.getJson<CrlInfo>(`crls/${name}`);
    if (!info) throw new LogicalError(`no such CRL ${name}`);
    return { data: { cdp: info.cdp, serials: info.serials } };
  };

  const deleteCrl = async (req: LogicalRequest): Promise<undefined> => {
    const name = param(req.params, 'name').toLowerCase();
    if (!(await req.storage.get(`crls/${name}`))) throw new LogicalError(`no such CRL ${name}`);
    await req.storage.delete(`crls/${name}`);
    return undefined;
  };

  // ------------------------------------------------------------------ config

  const writeConfig = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present, warnings } = parseFields(
      { disable_binding: field.bool(), enable_identity_alias_metadata: field.bool(), ocsp_cache_size: field.int(), role_cache_size: field.int() },
      req.data,
    );
    const config = await getConfig(req.storage);
    if (present.has('disable_binding')) config.disable_binding = values.disable_binding;
    if (present.has('enable_identity_alias_metadata')) config.enable_identity_alias_metadata = values.enable_identity_alias_metadata;
    await req.storage.putJson('config', config);
    return warningsOnly(warnings);
  };

  // ------------------------------------------------------------------ login

  /**
   * verifyCredentials: the trusted entry (one by name, or any) the presented chain leads to with
   * all constraints and CRLs satisfied; throws Vault's 400s otherwise. Used by login and renewal.
   */
  const verifyCredentials = async (storage: StorageView, ders: readonly Buffer[], certName: string): Promise<{ matched: Trusted; client: CertInfo }> => {
    if (ders.length === 0) throw new LogicalError('client certificate must be supplied');
    let presented: CertInfo[];
    try {
      presented = ders.map((d) => parseCertificate(d));
    } catch (e) {
      throw new LogicalError(`failed to parse client certificate: ${(e as Error).message}`);
    }
    const client = presented[0]!;

    const names = certName !== '' ? [certName.toLowerCase()] : await storage.list('cert/');
    const cas: Trusted[] = [];
    const pinned: Trusted[] = [];
    for (const n of names) {
      const entry = await getEntry(storage, n);
      if (!entry) continue;
      const certs = parsePemCertificates(entry.certificate);
      const first = certs[0];
      if (!first) continue;
      (first.isCA ? cas : pinned).push({ entry, certs });
    }
    const crls = await loadCrls(storage);
    const revoked = (chain: readonly CertInfo[]): boolean => chain.some((c) => crls.some((crl) => Object.prototype.hasOwnProperty.call(crl.serials, c.serialDecimal)));

    const verification = verifyClientChain(presented, cas.flatMap((t) => t.certs), ctx.now().getTime());
    if (verification.error) throw new LogicalError(`failed to verify client's certificate: ${verification.error}`);

    for (const t of pinned) {
      if (t.certs[0]!.der.equals(client.der) && !revoked(t.certs) && matchesNames(client, t.entry)) return { matched: t, client };
    }
    if (verification.chains.length === 0) throw new LogicalError('invalid certificate or no client certificate supplied');
    for (const t of cas) {
      for (const tCert of t.certs) {
        for (const chain of verification.chains) {
          if (!chain.some((c) => c.der.equals(tCert.der))) continue;
          if (!revoked(chain) && matchesNames(client, t.entry)) return { matched: t, client };
        }
      }
    }
    throw new LogicalError('no chain matching all constraints could be found for this login certificate');
  };

  const login = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const { values } = parseFields({ name: field.string() }, req.data);
    const { matched, client } = await verifyCredentials(req.storage, req.connection.peerCertificates ?? [], values.name);
    const entry = matched.entry;
    if (!remoteAddrAllowed(req.connection.remoteAddress, entry.token.token_bound_cidrs)) throw denied();
    const metadata: Record<string, string> = {
      cert_name: entry.name,
      common_name: client.commonName,
      serial_number: client.serialDecimal,
      subject_key_id: hexColons(client.subjectKeyId),
      authority_key_id: hexColons(client.authorityKeyId),
      ...extensionMetadata(client, entry),
    };
    const config = await getConfig(req.storage);
    return {
      auth: {
        ...tokenAuth(entry.token),
        displayName: entry.display_name,
        metadata,
        alias: { name: client.commonName, ...(config.enable_identity_alias_metadata ? { metadata: { ...metadata } } : {}) },
        internalData: {
          subject_key_id: client.subjectKeyId.toString('base64'),
          authority_key_id: client.authorityKeyId.toString('base64'),
        },
      },
    };
  };

  /**
   * pathLoginRenew: unless `disable_binding`, the renewing connection must again pass
   * verifyCredentials against the entry the token came from (so a deleted entry, a revoking CRL
   * or an untrusted certificate refuse with 400) and present the login certificate's subject and
   * authority key IDs (Vault's plain errors, 500). Then the entry must still exist with the same
   * policies; its current token TTLs apply. Vault answers a deleted entry (binding disabled)
   * with an empty response (no renewal); the hook can only refuse, so this refuses with 400.
   */
  const renewAuth = async (rc: AuthRenewContext): Promise<AuthRenewResult> => {
    const certName = rc.metadata['cert_name'] ?? '';
    const config = await getConfig(rc.storage);
    if (!config.disable_binding) {
      const { client } = await verifyCredentials(rc.storage, rc.connection.peerCertificates ?? [], certName);
      if (rc.internalData['subject_key_id'] !== client.subjectKeyId.toString('base64')) {
        throw new LogicalError('client identity during renewal not matching client identity used during login', 500);
      }
      if (rc.internalData['authority_key_id'] !== client.authorityKeyId.toString('base64')) {
        throw new LogicalError('client authority identity during renewal not matching client identity used during login', 500);
      }
    }
    const entry = certName === '' ? undefined : await getEntry(rc.storage, certName);
    if (!entry) throw new LogicalError(`certificate entry ${JSON.stringify(certName)} no longer exists, not renewing`);
    if (!equivalentPolicies(entry.token.token_policies, rc.policies)) throw new LogicalError('policies have changed, not renewing', 500);
    return renewalTtls(entry.token);
  };

  const paths: PathDef[] = [
    { pattern: 'login', unauthenticated: true, operations: { update: login } },
    { pattern: 'certs/?', operations: { list: async (req) => listResponse(await req.storage.list('cert/')) } },
    {
      pattern: `certs/${nameGroup('name')}`,
      operations: {
        create: writeCert,
        update: writeCert,
        read: readCert,
        delete: async (req) => {
          await req.storage.delete(`cert/${param(req.params, 'name').toLowerCase()}`);
          return undefined;
        },
      },
      existenceCheck: async (req) => (await getEntry(req.storage, param(req.params, 'name'))) !== undefined,
    },
    { pattern: 'crls/?', operations: { list: async (req) => listResponse(await req.storage.list('crls/')) } },
    { pattern: `crls/${nameGroup('name')}`, operations: { update: writeCrl, create: writeCrl, read: readCrl, delete: deleteCrl } },
    {
      pattern: 'config',
      operations: {
        update: writeConfig,
        read: async (req) => ({ data: { ...(await getConfig(req.storage)), ocsp_cache_size: 100, role_cache_size: 200 } }),
      },
    },
  ];
  return { type: 'cert', paths, renewAuth };
}
