/** Issuer and key management: `issuers`, `issuer/:ref(…)`, `keys`, `key/:ref`, `config/issuers`, `config/keys`. */
import { field, parseFields } from '../../core/fields.js';
import { LogicalError, type LogicalRequest, type LogicalResponse, type PathDef } from '../../core/logical.js';
import { ALL_USAGES, type IssuerUsage } from '../issuer-prep.js';
import { IssuerSet, usageString } from '../issuer-set.js';
import { KEY_USAGE_BITS } from '../oids.js';
import { toPem } from '../pem.js';
import { PATH, type IssuerRecord } from '../records.js';
import { newRevokedEntry } from '../revocation.js';
import { serialToColon } from '../serial.js';
import type { PkiState } from '../state.js';
import type { NotAfterBehavior } from '../validity.js';
import { checkName, raw, REF } from './common.js';
import { validateAiaUrls } from './urls.js';

const ISSUER_FIELDS = {
  issuer_name: field.string(),
  leaf_not_after_behavior: field.string(),
  manual_chain: field.commaStringSlice(),
  usage: field.commaStringSlice(),
  revocation_signature_algorithm: field.string(),
  issuing_certificates: field.commaStringSlice(),
  crl_distribution_points: field.commaStringSlice(),
  ocsp_servers: field.commaStringSlice(),
  enable_aia_url_templating: field.bool(),
};

const SIG_ALGS = ['', 'SHA256WithRSA', 'SHA384WithRSA', 'SHA512WithRSA', 'SHA256WithRSAPSS', 'SHA384WithRSAPSS', 'SHA512WithRSAPSS', 'ECDSAWithSHA256', 'ECDSAWithSHA384', 'ECDSAWithSHA512', 'PureEd25519'];

export function issuerData(set: IssuerSet, id: string): Record<string, unknown> {
  const li = set.issuers.get(id)!;
  const r = li.rec;
  const data: Record<string, unknown> = {
    issuer_id: r.id,
    issuer_name: r.name,
    key_id: r.key_id,
    certificate: r.certificate,
    ca_chain: set.chainIds(id).map((c) => set.issuers.get(c)!.rec.certificate),
    manual_chain: r.manual_chain && r.manual_chain.length > 0 ? r.manual_chain : null,
    leaf_not_after_behavior: r.leaf_not_after_behavior,
    usage: usageString(r.usage),
    revocation_signature_algorithm: r.revocation_signature_algorithm,
    revoked: r.revoked,
    issuing_certificates: r.issuing_certificates,
    crl_distribution_points: r.crl_distribution_points,
    ocsp_servers: r.ocsp_servers,
  };
  if (r.issuing_certificates.length + r.crl_distribution_points.length + r.ocsp_servers.length > 0) {
    data['enable_aia_url_templating'] = r.enable_aia_url_templating;
  }
  if (r.revoked) {
    data['revocation_time'] = r.revocation_time;
    data['revocation_time_rfc3339'] = new Date(r.revocation_time * 1000).toISOString();
  }
  return data;
}

function parseBehavior(s: string): NotAfterBehavior {
  if (s === 'err' || s === 'truncate' || s === 'permit') return s;
  throw new LogicalError('Unknown value for field `leaf_not_after_behavior`. Possible values are `err`, `truncate`, and `permit`.');
}

function parseUsages(list: string[], rec: IssuerRecord, keyUsage: number | undefined): IssuerUsage[] {
  const out = new Set<IssuerUsage>(['read-only']);
  for (const u of list) {
    const t = u.trim().toLowerCase() as IssuerUsage;
    if (!ALL_USAGES.includes(t)) throw new LogicalError(`Unable to parse specified usages: unknown usage: ${u}`);
    out.add(t);
  }
  if (out.has('crl-signing') && keyUsage !== undefined && (keyUsage & (1 << KEY_USAGE_BITS['crlsign']!)) === 0) {
    throw new LogicalError('This issuer\'s underlying certificate lacks the CRLSign KeyUsage value; unable to set CRLSigningUsage on this issuer as a result.');
  }
  if (rec.revoked && out.has('issuing-certificates')) {
    throw new LogicalError('Unable to update issuer usage as it is revoked; revoked issuers cannot be used to issue certificates');
  }
  return [...out];
}

async function updateIssuer(state: PkiState, req: LogicalRequest, patch: boolean): Promise<LogicalResponse> {
  const p = parseFields(ISSUER_FIELDS, req.data);
  const v = p.values;
  return state.withLock(async () => {
    const set = await IssuerSet.load(req.storage);
    const id = set.resolveIssuer(req.params['issuer_ref']!);
    const li = set.issuers.get(id)!;
    const old = li.rec;
    const has = (k: keyof typeof ISSUER_FIELDS): boolean => p.present.has(k) || !patch;
    const next: IssuerRecord = { ...old };
    const warnings = [...p.warnings];
    if (has('issuer_name')) {
      checkName(v.issuer_name, 'issuer');
      if (v.issuer_name !== '' && [...set.issuers.values()].some((o) => o.rec.id !== id && o.rec.name === v.issuer_name)) {
        throw new LogicalError('issuer name already in use');
      }
      next.name = v.issuer_name;
    }
    if (has('leaf_not_after_behavior')) next.leaf_not_after_behavior = parseBehavior(p.present.has('leaf_not_after_behavior') ? v.leaf_not_after_behavior : 'err');
    if (has('usage')) next.usage = parseUsages(p.present.has('usage') ? v.usage : [...ALL_USAGES], old, li.cert.keyUsage);
    if (has('revocation_signature_algorithm')) {
      if (!SIG_ALGS.includes(v.revocation_signature_algorithm)) {
        throw new LogicalError(`Unknown signature algorithm value: ${v.revocation_signature_algorithm}`);
      }
      next.revocation_signature_algorithm = v.revocation_signature_algorithm;
    }
    if (has('enable_aia_url_templating')) next.enable_aia_url_templating = v.enable_aia_url_templating;
    for (const k of ['issuing_certificates', 'crl_distribution_points', 'ocsp_servers'] as const) if (has(k)) next[k] = v[k];
    if (!next.enable_aia_url_templating) validateAiaUrls(next);
    if (has('manual_chain')) {
      if (v.manual_chain.length === 0) next.manual_chain = null;
      else {
        const ids = v.manual_chain.map((ref, i) => (i === 0 && ref === 'self' ? id : set.resolveIssuer(ref)));
        if (ids[0] !== id) throw new LogicalError('expected first cert in chain to be a self-reference');
        next.manual_chain = ids;
      }
    }
    await req.storage.putJson(PATH.issuer + id, next);
    state.issuersChanged();
    const fresh = await state.issuerSet();
    return { data: issuerData(fresh, id), warnings };
  });
}

async function deleteIssuer(state: PkiState, req: LogicalRequest): Promise<LogicalResponse | undefined> {
  return state.withLock(async () => {
    const set = await IssuerSet.load(req.storage);
    let id: string;
    try {
      id = set.resolveIssuer(req.params['issuer_ref']!);
    } catch {
      return undefined; // Vault: deleting a missing issuer is a no-op
    }
    await req.storage.delete(PATH.issuer + id);
    const warnings: string[] = [];
    if (set.issuersConfig.default === id) {
      await req.storage.putJson(PATH.issuersConfig, { ...set.issuersConfig, default: '' });
      warnings.push(`Deleted issuer (${id}) was the default issuer; no new default issuer has been set.`);
    }
    state.issuersChanged();
    return warnings.length ? { warnings } : undefined;
  });
}

async function revokeIssuer(state: PkiState, req: LogicalRequest): Promise<LogicalResponse> {
  return state.withLock(async () => {
    const set = await IssuerSet.load(req.storage);
    const id = set.resolveIssuer(req.params['issuer_ref']!);
    const li = set.issuers.get(id)!;
    if (!li.rec.revoked) {
      const now = Math.floor(state.nowMs() / 1000);
      const next: IssuerRecord = { ...li.rec, revoked: true, revocation_time: now, usage: li.rec.usage.filter((u) => u !== 'issuing-certificates') };
      await req.storage.putJson(PATH.issuer + id, next);
      // Parents' CRLs list it through the ordinary revocation index.
      await state.revocation.ready(req.storage);
      const parent = set.orderedIssuers().find((o) => o.rec.id !== id && li.cert.issuerDer.equals(o.cert.subjectDer));
      const { entry, record } = newRevokedEntry(li.der, li.cert.serial, li.cert.notAfter, parent?.rec.id ?? id, now);
      await req.storage.putJson(PATH.revoked + entry.hyphen, record);
      state.revocation.add(entry, req.storage);
      state.issuersChanged();
    }
    const fresh = await state.issuerSet();
    return { data: issuerData(fresh, id) };
  });
}

async function issuerCrl(state: PkiState, req: LogicalRequest, delta: boolean, kind: 'json' | 'der' | 'pem'): Promise<LogicalResponse> {
  const set = await state.issuerSet();
  const id = set.resolveIssuer(req.params['issuer_ref']!);
  const der = await state.revocation.crl(req.storage, id, delta);
  if (!der) {
    if (kind === 'json') return { data: { crl: '' } };
    return raw(204, kind === 'der' ? 'application/pkix-crl' : 'application/x-pem-file', Buffer.alloc(0));
  }
  if (kind === 'der') return raw(200, 'application/pkix-crl', der);
  const pem = `${toPem('X509 CRL', der)}\n`;
  if (kind === 'pem') return raw(200, 'application/x-pem-file', pem);
  return { data: { crl: pem } };
}

export function issuerPaths(state: PkiState): PathDef[] {
  const ISSUER = `issuer/(?<issuer_ref>${REF})`;
  return [
    {
      pattern: 'issuers/?',
      unauthenticated: true,
      operations: {
        list: async () => {
          const set = await state.issuerSet();
          const ordered = set.orderedIssuers();
          const keyInfo: Record<string, unknown> = {};
          for (const li of ordered) {
            keyInfo[li.rec.id] = {
              issuer_name: li.rec.name,
              is_default: li.rec.id === set.issuersConfig.default,
              serial_number: serialToColon(li.cert.serial),
              key_id: li.rec.key_id,
            };
          }
          return { data: { keys: ordered.map((li) => li.rec.id), key_info: keyInfo } };
        },
      },
    },
    {
      pattern: ISSUER,
      existenceCheck: async () => true,
      operations: {
        read: async (req) => {
          const set = await state.issuerSet();
          return { data: issuerData(set, set.resolveIssuer(req.params['issuer_ref']!)) };
        },
        update: (req) => updateIssuer(state, req, false),
        patch: (req) => updateIssuer(state, req, true),
        delete: (req) => deleteIssuer(state, req),
      },
    },
    { pattern: `${ISSUER}/revoke`, operations: { update: (req) => revokeIssuer(state, req) } },
    {
      pattern: `${ISSUER}/(?<fmt>json|der|pem)`,
      unauthenticated: true,
      operations: {
        read: async (req) => {
          const set = await state.issuerSet();
          const id = set.resolveIssuer(req.params['issuer_ref']!);
          const li = set.issuers.get(id)!;
          const fmt = req.params['fmt'];
          if (fmt === 'der') return raw(200, 'application/pkix-cert', li.der);
          if (fmt === 'pem') return raw(200, 'application/pem-certificate-chain', li.rec.certificate);
          return {
            data: {
              certificate: li.rec.certificate,
              ca_chain: set.chainIds(id).map((c) => set.issuers.get(c)!.rec.certificate),
              issuer_id: id,
              issuer_name: li.rec.name,
            },
          };
        },
      },
    },
    {
      pattern: `${ISSUER}/crl(?<delta>/delta)?(?:/(?<kind>der|pem))?`,
      unauthenticated: true,
      operations: { read: (req) => issuerCrl(state, req, req.params['delta'] !== undefined, (req.params['kind'] as 'der' | 'pem' | undefined) ?? 'json') },
    },
    {
      pattern: 'config/issuers',
      operations: {
        read: async () => {
          const set = await state.issuerSet();
          return { data: { default: set.issuersConfig.default, default_follows_latest_issuer: set.issuersConfig.default_follows_latest_issuer } };
        },
        update: (req) => setDefaultIssuer(state, req, 'default'),
      },
    },
    { pattern: 'root/replace', operations: { update: (req) => setDefaultIssuer(state, req, 'next') } },
    {
      pattern: 'keys/?',
      operations: {
        list: async () => {
          const set = await state.issuerSet();
          const keys = [...set.keys.keys()].sort();
          const keyInfo: Record<string, unknown> = {};
          for (const id of keys) keyInfo[id] = { key_name: set.keys.get(id)!.rec.name };
          return { data: { keys, key_info: keyInfo } };
        },
      },
    },
    {
      pattern: `key/(?<key_ref>${REF})`,
      existenceCheck: async () => true,
      operations: {
        read: async (req) => {
          const set = await state.issuerSet();
          const k = set.keys.get(set.resolveKey(req.params['key_ref']!))!;
          return { data: { key_id: k.rec.id, key_name: k.rec.name, key_type: k.rec.type } };
        },
        update: (req) =>
          state.withLock(async () => {
            const p = parseFields({ key_name: field.string() }, req.data);
            const set = await IssuerSet.load(req.storage);
            const id = set.resolveKey(req.params['key_ref']!);
            checkName(p.values.key_name, 'key');
            if (p.values.key_name !== '' && [...set.keys.values()].some((k) => k.rec.id !== id && k.rec.name === p.values.key_name)) {
              throw new LogicalError(`an existing key is using the requested key name value: ${p.values.key_name}`);
            }
            const rec = { ...set.keys.get(id)!.rec, name: p.values.key_name };
            await req.storage.putJson(PATH.key + id, rec);
            state.issuersChanged();
            return { data: { key_id: id, key_name: rec.name, key_type: rec.type }, warnings: p.warnings };
          }),
        delete: (req) =>
          state.withLock(async () => {
            const set = await IssuerSet.load(req.storage);
            let id: string;
            try {
              id = set.resolveKey(req.params['key_ref']!);
            } catch {
              return undefined;
            }
            const users = [...set.issuers.values()].filter((li) => li.rec.key_id === id).map((li) => li.rec.id);
            if (users.length > 0) throw new LogicalError(`Unable to delete key in use by issuers: [${users.join(' ')}]`);
            await req.storage.delete(PATH.key + id);
            if (set.keysConfig.default === id) await req.storage.putJson(PATH.keysConfig, { default: '' });
            state.issuersChanged();
            return undefined;
          }),
      },
    },
    {
      pattern: 'config/keys',
      operations: {
        read: async () => ({ data: { default: (await state.issuerSet()).keysConfig.default } }),
        update: (req) =>
          state.withLock(async () => {
            const p = parseFields({ default: field.string() }, req.data);
            const set = await IssuerSet.load(req.storage);
            const id = set.resolveKey(p.values.default || 'default');
            await req.storage.putJson(PATH.keysConfig, { default: id });
            state.issuersChanged();
            return { data: { default: id }, warnings: p.warnings };
          }),
      },
    },
  ];
}

async function setDefaultIssuer(state: PkiState, req: LogicalRequest, fallback: string): Promise<LogicalResponse> {
  return state.withLock(async () => {
    const p = parseFields({ default: field.string(), default_follows_latest_issuer: field.bool() }, req.data);
    const set = await IssuerSet.load(req.storage);
    const cfg = { ...set.issuersConfig };
    const warnings = [...p.warnings];
    if (p.present.has('default') || fallback === 'next') {
      const ref = p.values.default || fallback;
      const id = set.resolveIssuer(ref);
      cfg.default = id;
      if (!set.issuers.get(id)!.rec.key_id) {
        warnings.push('This selected default issuer has no key associated with it. Some operations like issuing certificates and signing CRLs will be unavailable with the requested default issuer until a key is imported or the default issuer is changed.');
      }
    }
    if (p.present.has('default_follows_latest_issuer')) cfg.default_follows_latest_issuer = p.values.default_follows_latest_issuer;
    await req.storage.putJson(PATH.issuersConfig, cfg);
    state.issuersChanged();
    return { data: { default: cfg.default, default_follows_latest_issuer: cfg.default_follows_latest_issuer }, warnings };
  });
}
