/**
 * The OCSP responder (`GET ocsp/<base64>`, `POST ocsp`), after Vault's path_ocsp.go: disabled or
 * unusable issuers answer `unauthorized`, unparsable requests `malformedRequest`, requests for an
 * unknown issuer get `unknown` signed by the default issuer; otherwise `good` unless revoked.
 */
import { parseDuration } from '../../config/duration.js';
import type { LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import type { PreparedIssuer } from '../issuer-prep.js';
import { buildOcspResponse, OCSP_STATUS, ocspErrorResponse, parseOcspRequest, type OcspCertId, type OcspCertStatus } from '../ocsp.js';
import { serialToHyphen } from '../serial.js';
import type { PkiState } from '../state.js';
import { raw } from './common.js';

const CONTENT_TYPE = 'application/ocsp-response';
const MAX_REQUEST = 2048;

const reply = (body: Buffer): LogicalResponse => raw(200, CONTENT_TYPE, body);
const errorReply = (status: number): LogicalResponse => reply(ocspErrorResponse(status));

function requestDer(req: LogicalRequest): Buffer | undefined {
  if (req.operation === 'read') {
    let b64 = req.params['req'] ?? '';
    if (b64.length === 0 || b64.length > MAX_REQUEST) return undefined;
    if (b64.includes('%')) {
      try {
        b64 = decodeURIComponent(b64);
      } catch {
        return undefined;
      }
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
    return Buffer.from(b64, 'base64');
  }
  const body = req.rawBody;
  if (!body || body.length === 0 || body.length > MAX_REQUEST) return undefined;
  return body;
}

function matchIssuer(issuers: PreparedIssuer[], id: OcspCertId): PreparedIssuer | undefined {
  return issuers.find((p) => {
    const h = p.certIdHashes(id.hash);
    return h.nameHash.equals(id.nameHash) && h.keyHash.equals(id.keyHash);
  });
}

async function answer(state: PkiState, req: LogicalRequest): Promise<LogicalResponse> {
  await state.revocation.ready(req.storage);
  const cfg = state.revocation.config;
  if (cfg.ocsp_disable) return errorReply(OCSP_STATUS.unauthorized);
  const der = requestDer(req);
  if (!der) return errorReply(OCSP_STATUS.malformedRequest);
  let certId: OcspCertId;
  try {
    certId = parseOcspRequest(der);
  } catch {
    return errorReply(OCSP_STATUS.malformedRequest);
  }
  try {
    const set = await state.issuerSet();
    const prepared = set.orderedIssuers().map((li) => set.prepare(li.rec.id));
    let signerIssuer = matchIssuer(prepared, certId);
    let status: OcspCertStatus;
    if (!signerIssuer) {
      const def = set.issuersConfig.default;
      signerIssuer = def && set.issuers.has(def) ? set.prepare(def) : undefined;
      status = { status: 'unknown' };
    } else {
      const rev = state.revocation.get(serialToHyphen(certId.serial));
      status = rev ? { status: 'revoked', revokedAt: new Date(rev.revocationTime * 1000) } : { status: 'good' };
    }
    if (!signerIssuer || !signerIssuer.key || !signerIssuer.usage.has('ocsp-signing') || signerIssuer.key.asymmetricKeyType === 'ed25519') {
      return errorReply(OCSP_STATUS.unauthorized);
    }
    const now = new Date(Math.floor(state.nowMs() / 1000) * 1000);
    const expiry = parseDuration(cfg.ocsp_expiry);
    // Vault downgrades PSS to PKCS#1 v1.5 for OCSP; our default signer already is.
    return reply(
      buildOcspResponse({
        signer: signerIssuer.signer(),
        certId,
        certStatus: status,
        producedAt: now,
        thisUpdate: now,
        ...(expiry > 0 ? { nextUpdate: new Date(now.getTime() + expiry * 1000) } : {}),
      }),
    );
  } catch {
    return errorReply(OCSP_STATUS.internalError);
  }
}

export function ocspPaths(state: PkiState): PathDef[] {
  return [
    { pattern: 'ocsp', unauthenticated: true, operations: { update: (r) => answer(state, r) } },
    { pattern: 'ocsp/(?<req>.+)', unauthenticated: true, operations: { read: (r) => answer(state, r) } },
  ];
}
