/**
 * The Kubernetes TokenReview call (vault-plugin-auth-kubernetes token_review.go): POST the
 * login JWT to `{host}/apis/authentication.k8s.io/v1/tokenreviews` over HTTPS with the
 * configured CA, then insist the API server vouches for it: no error, authenticated, an audience
 * we asked for, and a `system:serviceaccount:<ns>:<name>` user. Errors carry the plugin's messages.
 */
import { sendRequest } from '../https-client.js';

export interface TokenReviewTarget {
  host: string;
  caPem?: string;
  /** Bearer for the call: token_reviewer_jwt, else the login JWT itself. */
  bearer: string;
  timeoutMs?: number;
}

export interface TokenReviewResult {
  name: string;
  namespace: string;
  uid: string;
}

export function tokenReviewBody(jwt: string, audiences: readonly string[]): string {
  return JSON.stringify({
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    spec: { token: jwt, ...(audiences.length > 0 ? { audiences } : {}) },
  });
}

export async function reviewToken(target: TokenReviewTarget, jwt: string, audiences: readonly string[]): Promise<TokenReviewResult> {
  const url = `${target.host.replace(/\/+$/, '')}/apis/authentication.k8s.io/v1/tokenreviews`;
  const res = await sendRequest({
    url,
    method: 'POST',
    headers: { authorization: `Bearer ${target.bearer}`.trim(), 'content-type': 'application/json', accept: 'application/json' },
    body: tokenReviewBody(jwt, audiences),
    ...(target.caPem ? { caPem: target.caPem } : {}),
    ...(target.timeoutMs !== undefined ? { timeoutMs: target.timeoutMs } : {}),
  });
  const text = res.body.toString('utf8');
  if (res.status === 401) throw new Error('lookup failed: service account unauthorized; this could mean it has been deleted or recreated with a new token');
  if (res.status < 200 || res.status > 206) throw new Error(`lookup failed: the server responded with status ${res.status}: ${text.trim()}`);
  let body: {
    kind?: string;
    status?: string | { error?: string; authenticated?: boolean; audiences?: string[]; user?: { username?: string; uid?: string } };
    message?: string;
  };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error('lookup failed: the TokenReview response is not JSON');
  }
  // A metav1.Status in place of a TokenReview is an API error.
  if (body.kind === 'Status' && body.status !== 'Success') throw new Error(`lookup failed: ${body.message ?? 'API error'}`);
  const status = typeof body.status === 'object' && body.status !== null ? body.status : {};
  if (status.error) throw new Error(`lookup failed: ${status.error}`);
  if (status.authenticated !== true) throw new Error('lookup failed: service account jwt not valid');
  if (audiences.length > 0) {
    const got = Array.isArray(status.audiences) ? status.audiences : [];
    if (!audiences.some((a) => got.includes(a))) {
      throw new Error(`lookup failed: service account jwt valid for audience(s) [${got.join(' ')}], but wanted [${audiences.join(' ')}]`);
    }
  }
  const parts = (status.user?.username ?? '').split(':');
  if (parts.length !== 4) throw new Error('lookup failed: unexpected username format');
  if (parts[0] !== 'system' || parts[1] !== 'serviceaccount') throw new Error('lookup failed: username returned is not a service account');
  return { namespace: parts[2] ?? '', name: parts[3] ?? '', uid: status.user?.uid ?? '' };
}

/** Labels of a namespace (for namespace selectors): GET /api/v1/namespaces/:ns. */
export async function namespaceLabels(target: TokenReviewTarget, namespace: string): Promise<Record<string, string>> {
  const res = await sendRequest({
    url: `${target.host.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}`,
    headers: { authorization: `Bearer ${target.bearer}`.trim(), accept: 'application/json' },
    ...(target.caPem ? { caPem: target.caPem } : {}),
  });
  if (res.status !== 200) throw new Error(`failed to get namespace "${namespace}": HTTP ${res.status}`);
  const body = JSON.parse(res.body.toString('utf8')) as { metadata?: { labels?: Record<string, string> } };
  return body.metadata?.labels ?? {};
}
