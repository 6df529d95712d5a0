/**
 * The service account a Kubernetes JWT names: legacy secret-based tokens carry flat
 * `kubernetes.io/serviceaccount/*` claims, projected tokens a nested `kubernetes.io` object; the
 * projected values win when both are present (the plugin's serviceAccount accessors).
 */
import { audiencesOf } from '../jwt/claims.js';

export interface ServiceAccount {
  name: string;
  namespace: string;
  uid: string;
  secretName: string;
  audiences: string[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function serviceAccountFromClaims(claims: Record<string, unknown>): ServiceAccount {
  let name = str(claims['kubernetes.io/serviceaccount/service-account.name']);
  let uid = str(claims['kubernetes.io/serviceaccount/service-account.uid']);
  let namespace = str(claims['kubernetes.io/serviceaccount/namespace']);
  const projected = claims['kubernetes.io'];
  if (projected !== null && typeof projected === 'object' && !Array.isArray(projected)) {
    const p = projected as Record<string, unknown>;
    namespace = str(p['namespace']);
    const sa = p['serviceaccount'];
    if (sa !== null && typeof sa === 'object') {
      name = str((sa as Record<string, unknown>)['name']);
      uid = str((sa as Record<string, unknown>)['uid']);
    }
  }
  return {
    name,
    namespace,
    uid,
    secretName: str(claims['kubernetes.io/serviceaccount/secret.name']),
    audiences: audiencesOf(claims),
  };
}
