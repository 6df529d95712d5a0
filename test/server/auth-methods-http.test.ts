/**
 * The kubernetes, jwt and cert auth methods, and login-token renewal, against a real server over
 * HTTP(S): a dev server for kubernetes (with a local HTTPS TokenReview API), jwt, approle and
 * userpass; a TLS server that requests client certificates (made with openssl) for cert auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Client, freePort, spawnCoffer, startDev, tempDir, writeConfig, type Spawned } from '../helpers/server.js';
import { json, signJwt, startHttpsServer, unsignedJwt, type TestHttpsServer } from '../auth/jwt-helpers.js';

type Auth = { client_token: string; policies: string[]; lease_duration: number; renewable: boolean };
type Body = { auth?: Auth; errors?: string[]; data?: Record<string, unknown> };

const nowSec = (): number => Math.floor(Date.now() / 1000);
const spki = (k: { export(o: { format: 'pem'; type: 'spki' }): string | Buffer }): string => k.export({ format: 'pem', type: 'spki' }).toString();

// ------------------------------------------------------------------ PKI for the TLS server

/** CA, server certificate, two client certificates from the CA, and one from a foreign CA. */
function makePki(dir: string): void {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Coffer Cert Auth CA');
  run('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=Someone Else CA');
  const ids = 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
  for (const [name, ca, ext] of [
    ['server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'ca', 'extendedKeyUsage=clientAuth'],
    ['client2', 'ca', 'extendedKeyUsage=clientAuth'],
    ['stranger', 'other-ca', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeConfig(dir, `${ext}\n${ids}`, `${name}.ext`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

interface TlsIdentity {
  cert: Buffer;
  key: Buffer;
}

/** One HTTPS request on a fresh connection (no agent: each request presents its own certificate). */
function httpsJson(port: number, ca: Buffer, method: string, path: string, opts: { body?: unknown; token?: string; client?: TlsIdentity } = {}): Promise<{ status: number; body: Body }> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/v1/${path}`,
        method,
        ca,
        agent: false,
        headers: { ...(opts.token ? { 'X-Vault-Token': opts.token } : {}), ...(payload ? { 'Content-Type': 'application/json' } : {}) },
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Body) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// ------------------------------------------------------------------ servers

let dev: Spawned & { token: string };
let root: Client;
let anon: Client;
let tls: Spawned;
let tlsPort: number;
let tlsRoot = '';
let ca: Buffer;
const pki = tempDir('coffer-cert-auth-');
const id = (name: string): TlsIdentity => ({ cert: readFileSync(join(pki.path, `${name}.pem`)), key: readFileSync(join(pki.path, `${name}.key`)) });

/** A TLS-only server whose listener requests (but does not require) client certificates, initialised and unsealed. */
async function startTlsServer(): Promise<void> {
  makePki(pki.path);
  ca = readFileSync(join(pki.path, 'ca.pem'));
  tlsPort = await freePort();
  const cfg = writeConfig(
    pki.path,
    `storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:${tlsPort}"\n  tls_cert_file = "${pki.path}/server.pem"\n  tls_key_file = "${pki.path}/server.key"\n  tls_client_ca_file = "${pki.path}/ca.pem"\n}\n`,
  );
  tls = await spawnCoffer(['server', `-config=${cfg}`], { port: tlsPort, scheme: 'https' });
  const init = await httpsJson(tlsPort, ca, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  expect(init.status).toBe(200);
  const initBody = init.body as unknown as { keys_base64: string[]; root_token: string };
  tlsRoot = initBody.root_token;
  const unseal = await httpsJson(tlsPort, ca, 'PUT', 'sys/unseal', { body: { key: initBody.keys_base64[0] } });
  expect(unseal.body).toMatchObject({ sealed: false });
}

beforeAll(async () => {
  const [d] = await Promise.all([startDev(), startTlsServer()]);
  dev = d;
  root = new Client(dev.addr, dev.token);
  anon = new Client(dev.addr);
}, 30_000);

afterAll(async () => {
  await Promise.all([dev?.kill(), tls?.kill()]);
  pki.cleanup();
});

const renewSelf = (token: string) => anon.withToken(token).post<Body>('auth/token/renew-self', {});

async function mount(path: string, type: string): Promise<void> {
  const r = await root.post(`sys/auth/${path}`, { type });
  expect(r.status, r.text).toBe(204);
}

// ------------------------------------------------------------------ kubernetes

describe('kubernetes auth over HTTP', () => {
  const saKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const reviewerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const saJwt = (ns: string): string => {
    const t = nowSec();
    return signJwt('ES256', saKey.privateKey, {
      iss: 'https://kubernetes.default.svc.cluster.local',
      aud: ['vault'],
      sub: `system:serviceaccount:${ns}:web`,
      iat: t - 60,
      nbf: t - 60,
      exp: t + 3600,
      'kubernetes.io': { namespace: ns, serviceaccount: { name: 'web', uid: 'uid-web' }, pod: { name: 'web-0', uid: 'pod-1' } },
    });
  };
  let api: TestHttpsServer;

  beforeAll(async () => {
    // A TokenReview API that vouches for whichever service account the token names.
    api = await startHttpsServer((req, body, res) => {
      if (req.method !== 'POST' || req.url !== '/apis/authentication.k8s.io/v1/tokenreviews') return json(res, 404, { kind: 'Status', status: 'Failure' });
      const token = (JSON.parse(body) as { spec: { token: string } }).spec.token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { 'kubernetes.io': { namespace: string } };
      const ns = claims['kubernetes.io'].namespace;
      json(res, 201, {
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        status: { authenticated: true, audiences: ['vault'], user: { username: `system:serviceaccount:${ns}:web`, uid: 'uid-web', groups: ['system:serviceaccounts'] } },
      });
    });
    await mount('kubernetes', 'kubernetes');
    const reviewer = signJwt('ES256', reviewerKey.privateKey, { sub: 'system:serviceaccount:kube-system:vault-reviewer' });
    expect((await root.post('auth/kubernetes/config', { kubernetes_host: api.url, kubernetes_ca_cert: api.caPem, token_reviewer_jwt: reviewer, disable_local_ca_jwt: true })).status).toBe(204);
    expect(
      (await root.post('auth/kubernetes/role/web', { bound_service_account_names: 'web', bound_service_account_namespaces: 'apps', audience: 'vault', token_policies: 'k8s-app', token_ttl: '10m' })).status,
    ).toBe(204);
    expect((await root.put('sys/policy/k8s-app', { policy: 'path "secret/data/k8s" { capabilities = ["read"] }' })).status).toBe(204);
    expect((await root.post('secret/data/k8s', { data: { db: 'pw' } })).status).toBe(200);
  });
  afterAll(() => api?.close());

  it('logs in a bound service account after a TokenReview; the token carries the role policies', async () => {
    const r = await anon.post<Body>('auth/kubernetes/login', { role: 'web', jwt: saJwt('apps') });
    expect(r.status, r.text).toBe(200);
    expect(r.body.auth).toMatchObject({ policies: ['default', 'k8s-app'], lease_duration: 600, renewable: true });
    expect(api.requests.filter((q) => q.path === '/apis/authentication.k8s.io/v1/tokenreviews')).toHaveLength(1);
    const asPod = anon.withToken(r.body.auth!.client_token);
    expect((await asPod.get<{ data: { data: unknown } }>('secret/data/k8s')).body.data.data).toEqual({ db: 'pw' });
    expect((await asPod.get('secret/data/other')).status).toBe(403);
  });

  it('refuses a service account from an unbound namespace with 403', async () => {
    const r = await anon.post<Body>('auth/kubernetes/login', { role: 'web', jwt: saJwt('kube-system') });
    expect(r.status).toBe(403);
    expect(r.body.errors).toEqual(['namespace not authorized']);
  });

  it('renews while the role exists and refuses once it is deleted', async () => {
    const token = (await anon.post<Body>('auth/kubernetes/login', { role: 'web', jwt: saJwt('apps') })).body.auth!.client_token;
    const ok = await renewSelf(token);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.auth).toMatchObject({ client_token: token, lease_duration: 600 });
    expect((await root.delete('auth/kubernetes/role/web')).status).toBe(204);
    const refused = await renewSelf(token);
    expect(refused.status).toBe(500);
    expect(refused.body.errors).toEqual(['role web does not exist during renewal']);
  });
});

// ------------------------------------------------------------------ jwt

describe('jwt auth over HTTP', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => {
    const t = nowSec();
    return { iss: 'https://issuer.example', sub: 'ci-runner', aud: 'coffer', iat: t - 10, nbf: t - 10, exp: t + 300, ...over };
  };

  beforeAll(async () => {
    await mount('jwt', 'jwt');
    expect((await root.post('auth/jwt/config', { jwt_validation_pubkeys: [spki(key.publicKey)], bound_issuer: 'https://issuer.example' })).status).toBe(204);
    expect((await root.post('auth/jwt/role/ci', { role_type: 'jwt', bound_audiences: 'coffer', user_claim: 'sub', token_policies: 'ci', token_ttl: '5m' })).status).toBe(204);
  });

  it('logs in with a signed JWT and issues a token with the role policies', async () => {
    const r = await anon.post<Body>('auth/jwt/login', { role: 'ci', jwt: signJwt('ES256', key.privateKey, claims()) });
    expect(r.status, r.text).toBe(200);
    expect(r.body.auth).toMatchObject({ policies: ['ci', 'default'], lease_duration: 300 });
    const self = await anon.withToken(r.body.auth!.client_token).get<Body>('auth/token/lookup-self');
    expect(self.body.data).toMatchObject({ display_name: 'jwt-ci-runner', meta: { role: 'ci' } });
  });

  it('refuses an expired JWT and an unsigned (alg none) one with 400', async () => {
    const expired = await anon.post<Body>('auth/jwt/login', { role: 'ci', jwt: signJwt('ES256', key.privateKey, claims({ iat: nowSec() - 900, nbf: nowSec() - 900, exp: nowSec() - 600 })) });
    expect(expired.status).toBe(400);
    expect(expired.body.errors).toEqual(['error validating token: invalid expiration time (exp) claim: token is expired']);
    const none = await anon.post<Body>('auth/jwt/login', { role: 'ci', jwt: unsignedJwt(claims()) });
    expect(none.status).toBe(400);
    expect(none.body.errors).toEqual(['error validating token: error verifying token signature: token must be signed']);
  });
});

// ------------------------------------------------------------------ approle and userpass renewal

describe('approle and userpass renewal over HTTP', () => {
  it('approle: renew-self works until the role is deleted', async () => {
    await mount('approle', 'approle');
    expect((await root.post('auth/approle/role/app', { token_policies: 'app', token_ttl: '20m' })).status).toBe(204);
    const roleId = (await root.get<{ data: { role_id: string } }>('auth/approle/role/app/role-id')).body.data.role_id;
    const secretId = (await root.post<{ data: { secret_id: string } }>('auth/approle/role/app/secret-id')).body.data.secret_id;
    const login = await anon.post<Body>('auth/approle/login', { role_id: roleId, secret_id: secretId });
    expect(login.status, login.text).toBe(200);
    const token = login.body.auth!.client_token;
    const ok = await renewSelf(token);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.auth).toMatchObject({ client_token: token, lease_duration: 1200, renewable: true });
    expect((await root.delete('auth/approle/role/app')).status).toBe(204);
    const refused = await renewSelf(token);
    expect(refused.status).toBe(500);
    expect(refused.body.errors).toEqual(['role "app" does not exist during renewal']);
  });

  it('userpass: renew-self works until the policies change or the user is deleted', async () => {
    await mount('userpass', 'userpass');
    expect((await root.post('auth/userpass/users/alice', { password: 'pw-alice', token_policies: 'dev', token_ttl: '15m' })).status).toBe(204);
    const login = async (): Promise<string> => (await anon.post<Body>('auth/userpass/login/alice', { password: 'pw-alice' })).body.auth!.client_token;
    const first = await login();
    const ok = await renewSelf(first);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.auth).toMatchObject({ client_token: first, lease_duration: 900 });

    expect((await root.post('auth/userpass/users/alice/policies', { token_policies: 'dev,admin' })).status).toBe(204);
    const changed = await renewSelf(first);
    expect(changed.status).toBe(500);
    expect(changed.body.errors).toEqual(['policies have changed, not renewing']);

    const second = await login();
    expect((await renewSelf(second)).status).toBe(200);
    expect((await root.delete('auth/userpass/users/alice')).status).toBe(204);
    const gone = await renewSelf(second);
    expect(gone.status).toBe(400);
    expect(gone.body.errors).toEqual(['user "alice" no longer exists, not renewing']);
  });
});

// ------------------------------------------------------------------ cert

describe('cert auth over a TLS listener', () => {
  let token = '';

  beforeAll(async () => {
    const enable = await httpsJson(tlsPort, ca, 'POST', 'sys/auth/cert', { token: tlsRoot, body: { type: 'cert' } });
    expect(enable.status).toBe(204);
    const entry = await httpsJson(tlsPort, ca, 'POST', 'auth/cert/certs/web', { token: tlsRoot, body: { certificate: ca.toString(), token_policies: 'cert-app', token_ttl: '1h' } });
    expect(entry.status).toBe(204);
  });

  it('logs in with a client certificate chaining to the trusted CA entry', async () => {
    const r = await httpsJson(tlsPort, ca, 'POST', 'auth/cert/login', { client: id('client'), body: {} });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.auth).toMatchObject({ policies: ['cert-app', 'default'], lease_duration: 3600 });
    token = r.body.auth!.client_token;
    const self = await httpsJson(tlsPort, ca, 'GET', 'auth/token/lookup-self', { token });
    expect(self.body.data).toMatchObject({ display_name: 'cert-web', meta: { cert_name: 'web', common_name: 'client' } });
  });

  it('refuses a login without a client certificate, or with one the entry does not trust, with 400', async () => {
    const none = await httpsJson(tlsPort, ca, 'POST', 'auth/cert/login', { body: {} });
    expect(none).toEqual({ status: 400, body: { errors: ['client certificate must be supplied'] } });
    const foreign = await httpsJson(tlsPort, ca, 'POST', 'auth/cert/login', { client: id('stranger'), body: {} });
    expect(foreign).toEqual({ status: 400, body: { errors: ['invalid certificate or no client certificate supplied'] } });
  });

  it('renews only over a connection presenting the login certificate', async () => {
    expect(token).not.toBe('');
    const same = await httpsJson(tlsPort, ca, 'POST', 'auth/token/renew-self', { token, client: id('client'), body: {} });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body.auth).toMatchObject({ client_token: token, lease_duration: 3600 });
    // Trusted by the same entry, but not the certificate the token was issued to.
    expect((await httpsJson(tlsPort, ca, 'POST', 'auth/cert/login', { client: id('client2'), body: {} })).status).toBe(200);
    const other = await httpsJson(tlsPort, ca, 'POST', 'auth/token/renew-self', { token, client: id('client2'), body: {} });
    expect(other).toEqual({ status: 500, body: { errors: ['client identity during renewal not matching client identity used during login'] } });
    const bare = await httpsJson(tlsPort, ca, 'POST', 'auth/token/renew-self', { token, body: {} });
    expect(bare).toEqual({ status: 400, body: { errors: ['client certificate must be supplied'] } });
  });
});
