/**
 * Unauthenticated fetches of certificates, the CA and its chain, and CRLs (`cert/*`, `ca*`,
 * `crl*`), plus the certificate listings. Content types and body shapes are Vault's, quirks
 * included (`ca_chain` served as application/pkix-cert).
 */
import type { LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { toPem } from '../pem.js';
import { PATH } from '../records.js';
import { hyphenToColon, normalizeSerial, serialToColon } from '../serial.js';
import type { PkiState } from '../state.js';
import { raw } from './common.js';

async function defaultIssuer(state: PkiState): Promise<{ id: string; der: Buffer; pem: string; chainText: string } | undefined> {
  const set = await state.issuerSet();
  const id = set.issuersConfig.default;
  const li = id ? set.issuers.get(id) : undefined;
  if (!li) return undefined;
  const pems = set.chainPems(id);
  return { id, der: li.der, pem: pems[0]!, chainText: `${pems.join('\n')}\n` };
}

async function defaultCrl(state: PkiState, req: LogicalRequest, delta: boolean): Promise<Buffer | undefined> {
  const set = await state.issuerSet();
  const id = set.issuersConfig.default;
  if (!id || !set.issuers.has(id)) return undefined;
  return state.revocation.crl(req.storage, id, delta);
}

const crlPem = (der: Buffer): string => `${toPem('X509 CRL', der)}\n`;

async function fetchCert(state: PkiState, req: LogicalRequest, kind: 'json' | 'der' | 'pem'): Promise<LogicalResponse | undefined> {
  const serial = req.params['serial']!;
  const hyphen = normalizeSerial(serial);
  const der = await req.storage.get(PATH.certs + hyphen);
  if (!der) return kind === 'json' ? undefined : raw(204, 'application/pkix-cert', Buffer.alloc(0));
  if (kind === 'der') return raw(200, 'application/pkix-cert', der);
  if (kind === 'pem') return raw(200, 'application/pem-certificate-chain', `${toPem('CERTIFICATE', der)}\n`);
  await state.revocation.ready(req.storage);
  const rev = state.revocation.get(hyphen);
  const data: Record<string, unknown> = {
    certificate: `${toPem('CERTIFICATE', der)}\n`,
    revocation_time: rev?.revocationTime ?? 0,
    revocation_time_rfc3339: rev ? new Date(rev.revocationTime * 1000).toISOString().replace('.000Z', 'Z') : '',
  };
  if (rev) data['issuer_id'] = rev.issuerId;
  return { data };
}

export function fetchPaths(state: PkiState): PathDef[] {
  const serialRe = '(?<serial>(?!ca(?:/|$))[0-9A-Fa-f:-]+)';
  return [
    {
      pattern: 'certs/?',
      operations: { list: async (req) => ({ data: { keys: (await req.storage.list(PATH.certs)).map(hyphenToColon) } }) },
    },
    {
      pattern: 'certs/revoked/?',
      operations: {
        list: async (req) => {
          await state.revocation.ready(req.storage);
          return { data: { keys: state.revocation.list().map((e) => serialToColon(e.serial)).sort() } };
        },
      },
    },
    // Enterprise cross-cluster listings: always empty here.
    { pattern: 'certs/(?:revocation-queue|unified-revoked)/?', operations: { list: async () => ({ data: { keys: [] } }) } },
    {
      pattern: 'cert/ca',
      unauthenticated: true,
      operations: {
        read: async () => {
          const d = await defaultIssuer(state);
          return d ? { data: { certificate: d.pem, revocation_time: 0, revocation_time_rfc3339: '' } } : undefined;
        },
      },
    },
    {
      pattern: 'cert/ca_chain',
      unauthenticated: true,
      operations: {
        read: async () => {
          const d = await defaultIssuer(state);
          return d ? { data: { certificate: d.chainText, ca_chain: d.chainText, revocation_time: 0, revocation_time_rfc3339: '' } } : undefined;
        },
      },
    },
    {
      pattern: 'cert/(?<which>crl|delta-crl)',
      unauthenticated: true,
      operations: {
        read: async (req) => {
          const der = await defaultCrl(state, req, req.params['which'] === 'delta-crl');
          return { data: { certificate: der ? crlPem(der) : '', revocation_time: 0, revocation_time_rfc3339: '' } };
        },
      },
    },
    { pattern: `cert/${serialRe}`, unauthenticated: true, operations: { read: (req) => fetchCert(state, req, 'json') } },
    { pattern: `cert/${serialRe}/raw`, unauthenticated: true, operations: { read: (req) => fetchCert(state, req, 'der') } },
    { pattern: `cert/${serialRe}/raw/pem`, unauthenticated: true, operations: { read: (req) => fetchCert(state, req, 'pem') } },
    {
      pattern: 'ca(?<pem>/pem)?',
      unauthenticated: true,
      operations: {
        read: async (req) => {
          const d = await defaultIssuer(state);
          const pem = req.params['pem'] !== undefined;
          if (!d) return raw(204, pem ? 'application/pem-certificate-chain' : 'application/pkix-cert', Buffer.alloc(0));
          return pem ? raw(200, 'application/pem-certificate-chain', `${d.pem}\n`) : raw(200, 'application/pkix-cert', d.der);
        },
      },
    },
    {
      pattern: 'ca_chain',
      unauthenticated: true,
      operations: {
        read: async () => {
          const d = await defaultIssuer(state);
          return raw(d ? 200 : 204, 'application/pkix-cert', d ? d.chainText : Buffer.alloc(0));
        },
      },
    },
    {
      pattern: 'crl(?<delta>/delta)?(?<pem>/pem)?',
      unauthenticated: true,
      operations: {
        read: async (req) => {
          const der = await defaultCrl(state, req, req.params['delta'] !== undefined);
          const pem = req.params['pem'] !== undefined;
          const type = pem ? 'application/x-pem-file' : 'application/pkix-crl';
          if (!der) return raw(204, type, Buffer.alloc(0));
          return pem ? raw(200, type, crlPem(der)) : raw(200, type, der);
        },
      },
    },
  ];
}
