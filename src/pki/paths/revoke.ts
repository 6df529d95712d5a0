/**
 * Revocation endpoints (`revoke`, `revoke-with-key`, `crl/rotate*`, `config/crl`) and the
 * revoke operation shared with lease revocation. A revoke writes one `revoked/` entry and updates
 * the in-memory index; CRLs are rebuilt in the background or on their next fetch.
 */
import { formatDuration, parseDuration } from '../../config/duration.js';
import { field, parseFields } from '../../core/fields.js';
import { LogicalError, type LogicalRequest, type LogicalResponse, type PathDef } from '../../core/logical.js';
import type { StorageView } from '../../core/storage-view.js';
import { isSignedBy, parseCertificate, type ParsedCertificate } from '../cert-parse.js';
import type { IssuerSet } from '../issuer-set.js';
import { keysMatch, parsePrivateKeyDer } from '../keys.js';
import { decodeFirstPem } from '../pem.js';
import { PATH } from '../records.js';
import { DEFAULT_CRL_CONFIG, newRevokedEntry, type CrlConfig } from '../revocation.js';
import { normalizeSerial, serialToColon, serialToHyphen } from '../serial.js';
import type { PkiState } from '../state.js';
import { rfc3339Nano } from '../validity.js';

/** The issuer of this mount that signed `cert`, or '' (AKI match first, then any signer). */
export function issuerOf(set: IssuerSet, cert: ParsedCertificate): string {
  const candidates = set.orderedIssuers().filter((li) => li.cert.subjectDer.equals(cert.issuerDer));
  for (const li of candidates) {
    const skid = li.cert.subjectKeyId;
    if (cert.authorityKeyId && skid && !cert.authorityKeyId.equals(skid)) continue;
    if (isSignedBy(cert, li.cert)) return li.rec.id;
  }
  return '';
}

function revokedData(time: number): Record<string, unknown> {
  return { revocation_time: time, revocation_time_rfc3339: rfc3339Nano(new Date(time * 1000)), state: 'revoked' };
}

/** Vault's revokeCert for a certificate already known to be ours. */
export async function revokeCertificate(state: PkiState, storage: StorageView, der: Buffer, cert: ParsedCertificate, store: boolean): Promise<LogicalResponse> {
  const set = await state.issuerSet();
  for (const li of set.issuers.values()) {
    if (li.der.equals(der)) throw new LogicalError(`adding issuer (id: ${li.rec.id}) to its own CRL is not allowed`);
  }
  await state.revocation.ready(storage);
  const hyphen = serialToHyphen(cert.serial);
  const existing = state.revocation.get(hyphen);
  if (existing) return { data: revokedData(existing.revocationTime) };
  const now = state.nowMs();
  if (cert.notAfter.getTime() < now + 2000) {
    return { warnings: [`certificate with serial ${serialToColon(cert.serial)} already expired; refusing to add to CRL`] };
  }
  const time = Math.floor(now / 1000);
  const { entry, record } = newRevokedEntry(der, cert.serial, cert.notAfter, issuerOf(set, cert), time);
  if (store) await storage.put(PATH.certs + hyphen, der);
  await storage.putJson(PATH.revoked + hyphen, record);
  state.revocation.add(entry, storage);
  return { data: revokedData(time) };
}

async function certBySerial(storage: StorageView, serial: string): Promise<Buffer | undefined> {
  const hyphen = normalizeSerial(serial);
  if (!/^[0-9a-f]+(-[0-9a-f]+)*$/.test(hyphen)) return undefined;
  return storage.get(PATH.certs + hyphen);
}

/** Revocation by serial number (also used when a PKI lease is revoked). */
export async function revokeBySerial(state: PkiState, storage: StorageView, serial: string): Promise<LogicalResponse> {
  const der = await certBySerial(storage, serial);
  if (!der) throw new LogicalError(`certificate with serial ${serial} not found.`);
  return revokeCertificate(state, storage, der, parseCertificate(der), false);
}

function parseCertPem(pem: string): { der: Buffer; cert: ParsedCertificate } {
  const d = decodeFirstPem(pem);
  if (!d || d.block.label !== 'CERTIFICATE') throw new LogicalError('certificate contains no data');
  if (d.rest.trim() !== '') throw new LogicalError('certificate contained trailing data');
  try {
    return { der: d.block.der, cert: parseCertificate(d.block.der) };
  } catch (e) {
    throw new LogicalError(`unable to parse certificate: ${(e as Error).message}`);
  }
}

async function revokeHandler(state: PkiState, req: LogicalRequest, withKey: boolean): Promise<LogicalResponse> {
  const p = parseFields({ serial_number: field.string(), certificate: field.string(), private_key: field.string() }, req.data);
  const { serial_number: serial, certificate, private_key: privateKey } = p.values;
  if (serial === '' && certificate === '') throw new LogicalError('The serial number or certificate to revoke must be provided.');
  if (serial !== '' && certificate !== '') throw new LogicalError('Must provide either the certificate or the serial to revoke; not both.');
  let der: Buffer;
  let cert: ParsedCertificate;
  let store = false;
  if (serial !== '') {
    const found = await certBySerial(req.storage, serial);
    if (!found) throw new LogicalError(`certificate with serial ${serial} not found.`);
    der = found;
    cert = parseCertificate(der);
  } else {
    ({ der, cert } = parseCertPem(certificate));
    const stored = await req.storage.get(PATH.certs + serialToHyphen(cert.serial));
    if (stored && !stored.equals(der)) throw new LogicalError('certificate with same serial but unequal value already present in this cluster\'s storage; refusing to revoke');
    if (!stored) {
      const set = await state.issuerSet();
      if (!issuerOf(set, cert)) throw new LogicalError('unable to verify signature on provided certificate: no issuer in this mount signed it');
      store = true;
    }
  }
  if (withKey) {
    if (privateKey.length < 64) throw new LogicalError('must provide a valid PEM-encoded private key to revoke with key');
    const d = decodeFirstPem(privateKey);
    let ok = false;
    try {
      ok = d !== undefined && keysMatch(parsePrivateKeyDer(d.block.label, d.block.der), cert.spkiDer);
    } catch (e) {
      throw new LogicalError(`failed to parse provided private key: ${(e as Error).message}`);
    }
    if (!ok) throw new LogicalError('failed to validate private key match with certificate: public key mismatch');
  }
  const res = await revokeCertificate(state, req.storage, der, cert, store);
  return p.warnings.length ? { ...res, warnings: [...(res.warnings ?? []), ...p.warnings] } : res;
}

const CRL_FIELDS = {
  expiry: field.string(),
  disable: field.bool(),
  ocsp_disable: field.bool(),
  ocsp_expiry: field.string(),
  auto_rebuild: field.bool(),
  auto_rebuild_grace_period: field.string(),
  enable_delta: field.bool(),
  delta_rebuild_interval: field.string(),
  cross_cluster_revocation: field.bool(),
  unified_crl: field.bool(),
  unified_crl_on_existing_paths: field.bool(),
};

function durationField(name: string, v: string): number {
  try {
    return parseDuration(v);
  } catch {
    throw new LogicalError(`given ${name} could not be decoded: time: invalid duration ${JSON.stringify(v)}`);
  }
}

async function writeCrlConfig(state: PkiState, req: LogicalRequest): Promise<LogicalResponse> {
  const p = parseFields(CRL_FIELDS, req.data);
  await state.revocation.ready(req.storage);
  const c: CrlConfig = { ...state.revocation.config };
  for (const k of Object.keys(CRL_FIELDS) as Array<keyof typeof CRL_FIELDS>) {
    if (p.present.has(k)) (c as unknown as Record<string, unknown>)[k] = p.values[k];
  }
  const expiry = durationField('expiry', c.expiry);
  durationField('ocsp_expiry', c.ocsp_expiry);
  const grace = durationField('auto_rebuild_grace_period', c.auto_rebuild_grace_period);
  const delta = durationField('delta_rebuild_interval', c.delta_rebuild_interval);
  if (c.cross_cluster_revocation || c.unified_crl || c.unified_crl_on_existing_paths) {
    throw new LogicalError('unified CRLs and cross-cluster revocation are Vault Enterprise features and are not supported');
  }
  if (c.auto_rebuild && grace >= expiry) {
    throw new LogicalError(`CRL auto-rebuilding grace period (${formatDuration(grace)}) must be strictly shorter than CRL expiry (${formatDuration(expiry)}) value when auto-rebuilding of CRLs is enabled`);
  }
  if (c.enable_delta && !c.auto_rebuild) {
    throw new LogicalError('Delta CRLs cannot be enabled when auto rebuilding is disabled as the complete CRL is always regenerated!');
  }
  if (c.enable_delta && delta >= expiry) {
    throw new LogicalError(`CRL delta rebuild window (${formatDuration(delta)}) must be strictly shorter than CRL expiry (${formatDuration(expiry)}) value when delta CRLs are enabled`);
  }
  await state.revocation.saveConfig(req.storage, c);
  return { data: { ...c }, warnings: p.warnings };
}

export function revokePaths(state: PkiState): PathDef[] {
  return [
    { pattern: 'revoke', operations: { update: (r) => revokeHandler(state, r, false) } },
    { pattern: 'revoke-with-key', operations: { update: (r) => revokeHandler(state, r, true) } },
    {
      pattern: 'crl/rotate',
      operations: {
        read: async (req) => {
          const warnings = await state.revocation.rebuild(req.storage, true);
          return { data: { success: true }, ...(warnings.length ? { warnings } : {}) };
        },
      },
    },
    {
      pattern: 'crl/rotate-delta',
      operations: {
        read: async (req) => {
          await state.revocation.ready(req.storage);
          if (!state.revocation.config.enable_delta) return { data: { success: true }, warnings: ['requested rebuild of delta CRL when delta CRL is not enabled; this is a no-op'] };
          const warnings = await state.revocation.rebuild(req.storage, false);
          return { data: { success: true }, ...(warnings.length ? { warnings } : {}) };
        },
      },
    },
    {
      pattern: 'config/crl',
      operations: {
        read: async (req) => {
          await state.revocation.ready(req.storage);
          return { data: { ...DEFAULT_CRL_CONFIG, ...state.revocation.config } };
        },
        update: (req) => writeCrlConfig(state, req),
      },
    },
  ];
}
