import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { createJwtBackend } from '../../src/auth/jwt/backend.js';
import { AuthHarness, T0, loginAuth, ok } from './harness.js';
import { hmacJwt, json, signJwt, startHttpsServer, unsignedJwt, type TestHttpsServer } from './jwt-helpers.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let rsa: { publicKey: KeyObject; privateKey: KeyObject };

const pem = (k: KeyObject): string => k.export({ format: 'pem', type: 'spki' }).toString();
const NOW = Math.floor(T0 / 1000);
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: 'https://issuer.example',
  sub: 'user-42',
  aud: ['coffer'],
  email: 'dev@example.com',
  groups: ['eng', 'ops'],
  team: { name: 'platform' },
  iat: NOW - 10,
  nbf: NOW - 10,
  exp: NOW + 300,
  ...extra,
});

const ROLE = {
  role_type: 'jwt',
  user_claim: 'email',
  bound_audiences: 'coffer',
  bound_subject: 'user-42',
  claim_mappings: { '/team/name': 'team', sub: 'subject' },
  token_policies: 'reader',
  token_ttl: '15m',
};

async function withPubkeys(role: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<AuthHarness> {
  const h = new AuthHarness((ctx) => createJwtBackend(ctx));
  await ok(h.write('config', { jwt_validation_pubkeys: [pem(ec.publicKey), pem(rsa.publicKey), pem(ed.publicKey)], bound_issuer: 'https://issuer.example', ...config }));
  await ok(h.write('role/dev', { ...ROLE, ...role }));
  return h;
}

beforeAll(async () => {
  rsa = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
});

describe('jwt config and roles', () => {
  it('needs exactly one key source and valid keys and algorithms', async () => {
    const h = new AuthHarness((ctx) => createJwtBackend(ctx));
    expect((await h.write('config', {})).error).toBe("exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set");
    expect((await h.write('config', { jwt_validation_pubkeys: ['garbage'] })).error).toMatch(/^error parsing public key/);
    expect((await h.write('config', { jwt_validation_pubkeys: [pem(ec.publicKey)], jwt_supported_algs: 'HS256' })).error).toMatch(/invalid jwt_supported_algs/);
    await ok(h.write('config', { jwt_validation_pubkeys: [pem(ec.publicKey)], default_role: 'Dev' }));
    expect((await h.read('config')).data).toMatchObject({ jwt_validation_pubkeys: [pem(ec.publicKey).trim()], default_role: 'dev', jwks_url: '' });
  });

  it('validates roles like Vault', async () => {
    const h = new AuthHarness((ctx) => createJwtBackend(ctx));
    expect((await h.write('role/r', { role_type: 'jwt' })).error).toBe('a user claim must be defined on the role');
    expect((await h.write('role/r', { role_type: 'jwt', user_claim: 'sub' })).error).toBe('must have at least one bound constraint when creating/updating a role');
    expect((await h.write('role/r', { user_claim: 'sub' })).error).toBe("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.");
    expect((await h.write('role/r', { role_type: 'jwt', user_claim: 'sub', bound_subject: 'x', bound_claims_type: 'regex' })).error).toBe("invalid 'bound_claims_type': regex");
    const { token_policies: _unused, ...noPolicies } = ROLE;
    await ok(h.write('role/r', { ...noPolicies, policies: 'A' }));
    expect((await h.read('role/r')).data).toMatchObject({ role_type: 'jwt', user_claim: 'email', bound_audiences: ['coffer'], token_policies: ['a'], clock_skew_leeway: 60, expiration_leeway: 150, not_before_leeway: 150 });
    expect((await h.list('role')).data).toEqual({ keys: ['r'] });
  });
});

describe('jwt login with static keys', () => {
  it('accepts ES256, RS256 and EdDSA tokens and maps claims into metadata', async () => {
    const h = await withPubkeys();
    for (const [alg, key] of [['ES256', ec.privateKey], ['RS256', rsa.privateKey], ['EdDSA', ed.privateKey]] as const) {
      const r = await h.write('login', { role: 'dev', jwt: signJwt(alg, key, claims()) });
      expect(r.status, `${alg}: ${r.error}`).toBe(200);
      expect(r.response?.auth).toMatchObject({
        policies: ['reader'],
        ttl: 900,
        displayName: 'dev@example.com',
        alias: { name: 'dev@example.com', metadata: { team: 'platform', subject: 'user-42', role: 'dev' } },
        metadata: { team: 'platform', subject: 'user-42', role: 'dev' },
        internalData: { role: 'dev' },
      });
    }
  });

  it('uses default_role when no role is given', async () => {
    const h = await withPubkeys({}, { default_role: 'dev' });
    expect((await h.write('login', { jwt: signJwt('ES256', ec.privateKey, claims()) })).status).toBe(200);
  });

  it('rejects alg none, HMAC keyed with the public key, and foreign signatures', async () => {
    const h = await withPubkeys();
    const none = await h.write('login', { role: 'dev', jwt: unsignedJwt(claims()) });
    expect(none).toEqual({ status: 400, error: 'error validating token: error verifying token signature: token must be signed' });
    const confused = await h.write('login', { role: 'dev', jwt: hmacJwt(pem(rsa.publicKey), claims()) });
    expect(confused).toEqual({ status: 400, error: 'error validating token: error verifying token signature: unexpected signature algorithm "HS256"' });
    const foreign = await h.write('login', { role: 'dev', jwt: signJwt('ES256', other.privateKey, claims()) });
    expect(foreign).toEqual({ status: 400, error: 'error validating token: error verifying token signature: failed to verify id token signature' });
    // A signature made for one algorithm does not pass under another header.
    const swapped = signJwt('ES256', ec.privateKey, claims()).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'ES384', typ: 'JWT' })).toString('base64url');
    expect((await h.write('login', { role: 'dev', jwt: [header, swapped[1], swapped[2]].join('.') })).status).toBe(400);
    expect((await h.write('login', { role: 'dev', jwt: 'not.a.jwt' })).status).toBe(400);
  });

  it('honours jwt_supported_algs', async () => {
    const h = await withPubkeys({}, { jwt_supported_algs: 'RS256' });
    expect((await h.write('login', { role: 'dev', jwt: signJwt('ES256', ec.privateKey, claims()) })).error).toBe(
      'error validating token: invalid algorithm (alg) header parameter: token signed with unexpected algorithm',
    );
    expect((await h.write('login', { role: 'dev', jwt: signJwt('RS256', rsa.privateKey, claims()) })).status).toBe(200);
  });

  it('checks exp, nbf and iat with the default leeways', async () => {
    const h = await withPubkeys();
    const login = (c: Record<string, unknown>) => h.write('login', { role: 'dev', jwt: signJwt('ES256', ec.privateKey, claims(c)) });
    expect((await login({ exp: NOW - 59 })).status).toBe(200); // within the 60 s clock skew
    expect(await login({ exp: NOW - 61 })).toEqual({ status: 400, error: 'error validating token: invalid expiration time (exp) claim: token is expired' });
    expect((await login({ nbf: NOW + 61 })).error).toBe('error validating token: invalid not before (nbf) claim: token not yet valid');
    expect((await login({ iat: NOW + 61, nbf: NOW - 10 })).error).toBe('error validating token: invalid issued at (iat) claim: token issued in the future');
    expect((await login({ iat: undefined, nbf: undefined, exp: undefined })).error).toBe(
      'error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token',
    );
    // Without exp the token lives for iat + expiration_leeway (150 s) + clock skew.
    expect((await login({ exp: undefined, iat: NOW - 200, nbf: undefined })).status).toBe(200);
    expect((await login({ exp: undefined, iat: NOW - 211, nbf: undefined })).status).toBe(400);
  });

  it('rejects wrong audience, issuer, subject, and audiences on a role that binds none', async () => {
    const h = await withPubkeys();
    const login = (c: Record<string, unknown>) => h.write('login', { role: 'dev', jwt: signJwt('ES256', ec.privateKey, claims(c)) });
    expect((await login({ aud: 'someone-else' })).error).toBe('error validating token: invalid audience (aud) claim: audience claim does not match any expected audience');
    expect((await login({ aud: 'coffer' })).status).toBe(200);
    expect((await login({ iss: 'https://evil.example' })).error).toBe('error validating token: invalid issuer (iss) claim');
    expect((await login({ sub: 'user-43' })).error).toBe('error validating token: invalid subject (sub) claim');
    expect((await login({ email: undefined })).error).toBe('claim "email" not found in token');
    await ok(h.write('role/noaud', { role_type: 'jwt', user_claim: 'sub', bound_subject: 'user-42' }));
    expect((await h.write('login', { role: 'noaud', jwt: signJwt('ES256', ec.privateKey, claims()) })).error).toBe(
      'audience claim found in JWT but no audiences bound to the role',
    );
  });

  it('enforces bound_claims, exact and glob', async () => {
    const h = await withPubkeys({ bound_claims: { groups: ['admins', 'eng'], '/team/name': 'platform' } });
    const login = (c: Record<string, unknown>) => h.write('login', { role: 'dev', jwt: signJwt('ES256', ec.privateKey, claims(c)) });
    expect((await login({})).status).toBe(200);
    expect((await login({ groups: ['sales'] })).error).toBe('error validating claims: claim "groups" does not match any associated bound claim values');
    expect((await login({ team: undefined })).error).toBe('error validating claims: claim "/team/name" is missing');
    await ok(h.write('role/glob', { ...ROLE, bound_claims_type: 'glob', bound_claims: { email: '*@example.com' } }));
    expect((await h.write('login', { role: 'glob', jwt: signJwt('ES256', ec.privateKey, claims()) })).status).toBe(200);
    expect((await h.write('login', { role: 'glob', jwt: signJwt('ES256', ec.privateKey, claims({ email: 'x@evil.com' })) })).status).toBe(400);
  });

  it('refuses oidc roles, unknown roles, missing tokens and token_bound_cidrs mismatches', async () => {
    const h = await withPubkeys({ token_bound_cidrs: '10.0.0.0/8' });
    await ok(h.write('role/web', { user_claim: 'sub', allowed_redirect_uris: 'https://app/cb' }));
    const jwt = signJwt('ES256', ec.privateKey, claims());
    expect((await h.write('login', { role: 'web', jwt })).error).toBe('role with oidc role_type is not allowed');
    expect((await h.write('login', { role: 'ghost', jwt })).error).toBe('role "ghost" could not be found');
    expect((await h.write('login', { jwt })).error).toBe('missing role');
    expect((await h.write('login', { role: 'dev' })).error).toBe('missing token');
    expect(await h.write('login', { role: 'dev', jwt })).toEqual({ status: 403, error: 'permission denied' });
    expect((await h.write('login', { role: 'dev', jwt }, { remoteAddress: '10.1.1.1' })).status).toBe(200);
  });
});

describe('jwt login with a JWKS URL over HTTPS', () => {
  let server: TestHttpsServer;
  let keys: Array<Record<string, unknown>>;

  beforeAll(async () => {
    keys = [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' }];
    server = await startHttpsServer((req, _body, res) => {
      if (req.url === '/jwks') json(res, 200, { keys });
      else json(res, 404, {});
    });
  });
  afterAll(() => server.close());

  it('fetches the key set through the pinned CA, caches it, and refetches for a new key', async () => {
    const h = new AuthHarness((ctx) => createJwtBackend(ctx, { jwksMinRefreshMs: 5000 }));
    expect((await h.write('config', { jwks_url: `${server.url}/jwks` })).error).toMatch(/^error checking jwks URL/); // system roots do not know the test CA
    await ok(h.write('config', { jwks_url: `${server.url}/jwks`, jwks_ca_pem: server.caPem, bound_issuer: 'https://issuer.example' }));
    await ok(h.write('role/dev', ROLE));
    const fetchesBefore = server.requests.length;
    for (let i = 0; i < 3; i++) {
      const r = await h.write('login', { role: 'dev', jwt: signJwt('ES256', ec.privateKey, claims(), { kid: 'k1' }) });
      expect(r.status, r.error).toBe(200);
    }
    expect(server.requests.length - fetchesBefore).toBe(1);

    // Rotation: a token under a new kid triggers one refetch (after the refresh floor).
    keys = [...keys, { ...other.publicKey.export({ format: 'jwk' }), kid: 'k2' }];
    h.advance(6);
    const rotated = await h.write('login', { role: 'dev', jwt: signJwt('ES256', other.privateKey, claims(), { kid: 'k2' }) });
    expect(rotated.status, rotated.error).toBe(200);
    expect(server.requests.length - fetchesBefore).toBe(2);

    // Forged tokens do not make it hammer the issuer: within the floor, no refetch.
    const forged = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 3; i++) {
      expect((await h.write('login', { role: 'dev', jwt: signJwt('ES256', forged.privateKey, claims(), { kid: 'k9' }) })).status).toBe(400);
    }
    expect(server.requests.length - fetchesBefore).toBe(2);
    h.advance(6);
    expect((await h.write('login', { role: 'dev', jwt: signJwt('ES256', forged.privateKey, claims(), { kid: 'k9' }) })).status).toBe(400);
    expect(server.requests.length - fetchesBefore).toBe(3);
    expect(server.requests.every((r) => r.method === 'GET' && r.path === '/jwks')).toBe(true);
  });
});

describe('jwt renewal', () => {
  it('renews with the role\'s current TTLs while the role exists, refuses once it is deleted (Vault: plain error, 500)', async () => {
    const h = await withPubkeys({ token_max_ttl: '1h' });
    const auth = await loginAuth(h.write('login', { role: 'dev', jwt: signJwt('ES256', ec.privateKey, claims()) }));
    expect(await h.renew(auth)).toEqual({ status: 200, ttls: { ttl: 900, maxTtl: 3600 } });
    // The JWT itself may have expired meanwhile: renewal only looks at the role.
    h.advance(3600);
    await ok(h.write('role/dev', { token_ttl: '2m' }));
    expect((await h.renew(auth)).ttls).toEqual({ ttl: 120, maxTtl: 3600 });
    await ok(h.delete('role/dev'));
    expect(await h.renew(auth)).toEqual({ status: 500, error: 'role dev does not exist during renewal' });
  });
});
