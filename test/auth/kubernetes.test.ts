import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { createKubernetesBackend } from '../../src/auth/kubernetes/backend.js';
import { AuthHarness, T0, loginAuth, ok } from './harness.js';
import { json, signJwt, startHttpsServer, unsignedJwt, type TestHttpsServer } from './jwt-helpers.js';

const saKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const NOW = Math.floor(T0 / 1000);
const reviewerJwt = signJwt('ES256', otherKey.privateKey, { sub: 'system:serviceaccount:kube-system:vault-reviewer' });

const saClaims = (over: { ns?: string; name?: string; uid?: string; aud?: unknown; exp?: number } = {}): Record<string, unknown> => ({
  iss: 'https://kubernetes.default.svc.cluster.local',
  aud: over.aud ?? ['vault'],
  sub: `system:serviceaccount:${over.ns ?? 'apps'}:${over.name ?? 'web'}`,
  iat: NOW - 60,
  nbf: NOW - 60,
  exp: over.exp ?? NOW + 3600,
  'kubernetes.io': { namespace: over.ns ?? 'apps', serviceaccount: { name: over.name ?? 'web', uid: over.uid ?? 'uid-1234' }, pod: { name: 'web-0', uid: 'pod-1' } },
});
const saJwt = (over: Parameters<typeof saClaims>[0] = {}): string => signJwt('ES256', saKey.privateKey, saClaims(over));

interface ReviewReply {
  status: number;
  body: unknown;
}
const authenticated = (ns = 'apps', name = 'web', uid = 'uid-1234', audiences = ['vault']): ReviewReply => ({
  status: 201,
  body: {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    status: { authenticated: true, audiences, user: { username: `system:serviceaccount:${ns}:${name}`, uid, groups: ['system:serviceaccounts'] } },
  },
});

let server: TestHttpsServer;
let reply: ReviewReply;
let namespaceLabelsReply: Record<string, string>;

beforeAll(async () => {
  server = await startHttpsServer((req, _body, res) => {
    if (req.method === 'POST' && req.url === '/apis/authentication.k8s.io/v1/tokenreviews') json(res, reply.status, reply.body);
    else if (req.method === 'GET' && req.url?.startsWith('/api/v1/namespaces/')) json(res, 200, { kind: 'Namespace', metadata: { name: req.url.split('/').pop(), labels: namespaceLabelsReply } });
    else json(res, 404, { kind: 'Status', status: 'Failure', message: 'not found' });
  });
});
afterAll(() => server.close());
beforeEach(() => {
  reply = authenticated();
  namespaceLabelsReply = {};
  server.requests.length = 0;
});

async function setup(opts: { config?: Record<string, unknown>; role?: Record<string, unknown> } = {}): Promise<{ h: AuthHarness; reasons: string[] }> {
  const reasons: string[] = [];
  const h = new AuthHarness((ctx) => createKubernetesBackend(ctx, { onRejected: (r) => reasons.push(r), localCaPath: '/nonexistent/ca', localTokenPath: '/nonexistent/token' }));
  await ok(h.write('config', { kubernetes_host: server.url, kubernetes_ca_cert: server.caPem, token_reviewer_jwt: reviewerJwt, ...opts.config }));
  await ok(
    h.write('role/web', {
      bound_service_account_names: 'web,api-*',
      bound_service_account_namespaces: 'apps',
      audience: 'vault',
      token_policies: 'k8s-app',
      token_ttl: '20m',
      ...opts.role,
    }),
  );
  return { h, reasons };
}

describe('kubernetes config and roles', () => {
  it('requires a host, hides the reviewer JWT and checks pem_keys', async () => {
    const h = new AuthHarness((ctx) => createKubernetesBackend(ctx));
    expect((await h.write('config', {})).error).toBe('no host provided');
    expect((await h.write('config', { kubernetes_host: server.url, pem_keys: ['junk'] })).error).toBe('data does not contain any valid RSA or ECDSA public keys');
    expect((await h.write('config', { kubernetes_host: server.url, token_reviewer_jwt: 'not-a-jwt' })).status).toBe(400);
    await ok(h.write('config', { kubernetes_host: server.url, token_reviewer_jwt: reviewerJwt }));
    const read = await h.read('config');
    expect(read.data).toMatchObject({ kubernetes_host: server.url, token_reviewer_jwt_set: true, disable_iss_validation: true, disable_local_ca_jwt: false });
    expect(JSON.stringify(read.data)).not.toContain(reviewerJwt);
  });

  it('validates role bindings like the plugin', async () => {
    const h = new AuthHarness((ctx) => createKubernetesBackend(ctx));
    expect((await h.write('role/r', { bound_service_account_namespaces: 'x' })).error).toBe('"bound_service_account_names" can not be empty');
    expect((await h.write('role/r', { bound_service_account_names: 'a' })).error).toBe(
      '"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set',
    );
    expect((await h.write('role/r', { bound_service_account_names: '*,a', bound_service_account_namespaces: 'x' })).error).toBe('can not mix "*" with values');
    expect((await h.write('role/r', { bound_service_account_names: 'a', bound_service_account_namespace_selector: 'nope' })).error).toBe(
      'invalid "bound_service_account_namespace_selector" configured',
    );
    expect((await h.write('role/r', { bound_service_account_names: 'a', bound_service_account_namespaces: 'x', alias_name_source: 'bogus' })).status).toBe(400);
    await ok(h.write('role/r', { bound_service_account_names: 'a', bound_service_account_namespaces: 'x', policies: 'p' }));
    expect((await h.read('role/r')).data).toMatchObject({ bound_service_account_names: ['a'], alias_name_source: 'serviceaccount_uid', token_policies: ['p'], policies: ['p'] });
  });
});

describe('kubernetes login', () => {
  it('asks the TokenReview API over HTTPS with the configured CA and logs in', async () => {
    const { h } = await setup();
    const jwt = saJwt();
    const r = await h.write('login', { role: 'web', jwt });
    expect(r.status, r.error).toBe(200);
    expect(r.response?.auth).toMatchObject({
      policies: ['k8s-app'],
      ttl: 1200,
      displayName: 'apps-web',
      alias: { name: 'uid-1234', metadata: { service_account_uid: 'uid-1234', service_account_name: 'web', service_account_namespace: 'apps', service_account_secret_name: '' } },
      metadata: { role: 'web', service_account_uid: 'uid-1234', service_account_name: 'web', service_account_namespace: 'apps', service_account_secret_name: '' },
    });
    expect(server.requests).toHaveLength(1);
    const sent = server.requests[0]!;
    expect(sent.headers['authorization']).toBe(`Bearer ${reviewerJwt}`);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body).toBe(JSON.stringify({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', spec: { token: jwt, audiences: ['vault'] } }));
  });

  it('uses the login JWT as bearer without a reviewer JWT, the JWT audiences without a role audience, and the name as alias when asked', async () => {
    const { h } = await setup({ config: { token_reviewer_jwt: '' }, role: { audience: '', alias_name_source: 'serviceaccount_name' } });
    const jwt = saJwt({ aud: ['api', 'vault'] });
    reply = authenticated('apps', 'web', 'uid-1234', ['api']);
    const r = await h.write('login', { role: 'web', jwt });
    expect(r.status, r.error).toBe(200);
    expect(r.response?.auth?.alias?.name).toBe('apps/web');
    expect(server.requests[0]!.headers['authorization']).toBe(`Bearer ${jwt}`);
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ spec: { audiences: ['api', 'vault'] } });
  });

  it('refuses service accounts and namespaces outside the role with 403, before calling the API', async () => {
    const { h } = await setup();
    expect(await h.write('login', { role: 'web', jwt: saJwt({ name: 'db' }) })).toEqual({ status: 403, error: 'service account name not authorized' });
    expect((await h.write('login', { role: 'web', jwt: saJwt({ name: 'api-v2' }) })).status).toBe(403); // the reply names web
    expect(await h.write('login', { role: 'web', jwt: saJwt({ ns: 'kube-system' }) })).toEqual({ status: 403, error: 'namespace not authorized' });
    expect(server.requests).toHaveLength(1); // only the glob-matched api-v2 login reached the API
  });

  it('checks the role audience and token times locally', async () => {
    const { h } = await setup();
    expect(await h.write('login', { role: 'web', jwt: saJwt({ aud: ['other'] }) })).toEqual({
      status: 403,
      error: 'invalid audience (aud) claim: audience claim does not match any expected audience',
    });
    expect((await h.write('login', { role: 'web', jwt: saJwt({ exp: NOW - 3600 }) })).error).toBe('invalid expiration time (exp) claim: token is expired');
    expect((await h.write('login', { role: 'web', jwt: unsignedJwt(saClaims()) })).status).toBe(403);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses every TokenReview answer that does not vouch for the token', async () => {
    const { h, reasons } = await setup();
    const cases: Array<[ReviewReply, string]> = [
      [{ status: 401, body: { kind: 'Status', status: 'Failure', reason: 'Unauthorized' } }, 'lookup failed: service account unauthorized; this could mean it has been deleted or recreated with a new token'],
      [{ status: 201, body: { kind: 'TokenReview', status: { authenticated: false } } }, 'lookup failed: service account jwt not valid'],
      [{ status: 201, body: { kind: 'TokenReview', status: { error: 'token has been invalidated' } } }, 'lookup failed: token has been invalidated'],
      [authenticated('apps', 'web', 'uid-1234', ['kubernetes']), 'lookup failed: service account jwt valid for audience(s) [kubernetes], but wanted [vault]'],
      [authenticated('apps', 'other', 'uid-1234'), 'JWT names did not match'],
      [authenticated('apps', 'web', 'uid-9999'), 'JWT UIDs did not match'],
      [authenticated('prod', 'web', 'uid-1234'), 'JWT namepaces did not match'],
      [{ status: 201, body: { status: { authenticated: true, audiences: ['vault'], user: { username: 'alice', uid: 'u' } } } }, 'lookup failed: unexpected username format'],
      [{ status: 201, body: { status: { authenticated: true, audiences: ['vault'], user: { username: 'oidc:x:y:z', uid: 'u' } } } }, 'lookup failed: username returned is not a service account'],
      [{ status: 500, body: { message: 'boom' } }, 'lookup failed: the server responded with status 500: {"message":"boom"}'],
    ];
    for (const [answer, reason] of cases) {
      reply = answer;
      reasons.length = 0;
      expect(await h.write('login', { role: 'web', jwt: saJwt() })).toEqual({ status: 403, error: 'permission denied' });
      expect(reasons).toEqual([reason]);
    }
  });

  it('refuses an API server whose certificate the configured CA does not vouch for', async () => {
    const { h, reasons } = await setup({ config: { kubernetes_ca_cert: '', disable_local_ca_jwt: true } });
    expect(await h.write('login', { role: 'web', jwt: saJwt() })).toEqual({ status: 403, error: 'permission denied' });
    expect(reasons[0]).toMatch(/certificate/i);
    expect(server.requests).toHaveLength(0);
  });

  it('checks signatures locally when pem_keys are configured', async () => {
    const { h, reasons } = await setup({ config: { pem_keys: [saKey.publicKey.export({ format: 'pem', type: 'spki' }).toString()] } });
    expect((await h.write('login', { role: 'web', jwt: saJwt() })).status).toBe(200);
    const forged = signJwt('ES256', otherKey.privateKey, saClaims());
    expect(await h.write('login', { role: 'web', jwt: forged })).toEqual({ status: 403, error: 'permission denied' });
    expect(reasons).toEqual(['JWT signature does not verify with any of pem_keys']);
  });

  it('matches namespaces by label selector through the API', async () => {
    const { h } = await setup({ role: { bound_service_account_namespaces: '', bound_service_account_namespace_selector: '{"matchLabels":{"team":"web"}}' } });
    namespaceLabelsReply = { team: 'web' };
    expect((await h.write('login', { role: 'web', jwt: saJwt() })).status).toBe(200);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/apps' });
    namespaceLabelsReply = { team: 'db' };
    expect((await h.write('login', { role: 'web', jwt: saJwt() })).error).toBe('namespace not authorized');
  });

  it('answers bad input and token_bound_cidrs like Vault', async () => {
    const { h } = await setup({ role: { token_bound_cidrs: '10.0.0.0/8' } });
    expect((await h.write('login', { jwt: saJwt() })).error).toBe('missing role');
    expect((await h.write('login', { role: 'web' })).error).toBe('missing jwt');
    expect((await h.write('login', { role: 'nope', jwt: saJwt() })).error).toBe('invalid role name "nope"');
    expect(await h.write('login', { role: 'web', jwt: saJwt() })).toEqual({ status: 403, error: 'permission denied' });
    expect((await h.write('login', { role: 'web', jwt: saJwt() }, { remoteAddress: '10.0.0.7' })).status).toBe(200);
  });
});

describe('kubernetes renewal', () => {
  it('renews with the role\'s current TTLs while the role exists, refuses once it is deleted (Vault: plain error, 500)', async () => {
    const { h } = await setup({ role: { token_max_ttl: '1h' } });
    const auth = await loginAuth(h.write('login', { role: 'web', jwt: saJwt() }));
    expect(await h.renew(auth)).toEqual({ status: 200, ttls: { ttl: 1200, maxTtl: 3600 } });
    await ok(h.write('role/web', { token_ttl: '5m' }));
    expect((await h.renew(auth)).ttls).toEqual({ ttl: 300, maxTtl: 3600 });
    const reviewsBefore = server.requests.length;
    await ok(h.delete('role/web'));
    expect(await h.renew(auth)).toEqual({ status: 500, error: 'role web does not exist during renewal' });
    expect(server.requests.length).toBe(reviewsBefore); // renewal does not ask the API server again, as in Vault
  });
});
