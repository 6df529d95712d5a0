import { describe, expect, it } from 'vitest';
import { createUserpassBackend } from '../../src/auth/userpass/backend.js';
import { DEFAULT_SCRYPT, PasswordHasher } from '../../src/auth/userpass/password-hash.js';
import { AuthHarness, loginAuth, ok } from './harness.js';

// A cheap scrypt cost keeps the file fast; one test below uses the production parameters.
const fastHasher = (): PasswordHasher => new PasswordHasher({ ...DEFAULT_SCRYPT, logN: 10 });

async function setup(user: Record<string, unknown> = {}): Promise<{ h: AuthHarness; hasher: PasswordHasher }> {
  const hasher = fastHasher();
  const h = new AuthHarness((ctx) => createUserpassBackend(ctx, { hasher }));
  await ok(h.write('users/Alice', { password: 's3cret', token_policies: 'dev,ops', token_ttl: '30m', ...user }));
  return { h, hasher };
}

describe('userpass users', () => {
  it('stores a lower-cased user with a scrypt hash that records its parameters, never the password', async () => {
    const { h } = await setup();
    expect((await h.list('users')).data).toEqual({ keys: ['alice'] });
    const read = await h.read('users/ALICE');
    expect(read.data).toMatchObject({ token_policies: ['dev', 'ops'], token_ttl: 1800, token_bound_cidrs: [], token_type: 'default' });
    expect(JSON.stringify(read.data)).not.toContain('scrypt');
    expect(h.store.dump()).not.toContain('s3cret');
    expect(h.store.dump()).toMatch(/\$scrypt\$ln=10,r=8,p=1\$/);
  });

  it('requires a password on create, accepts legacy fields, and validates password_hash', async () => {
    const { h } = await setup();
    expect((await h.write('users/bob', { token_policies: 'x' })).error).toBe('missing password');
    await ok(h.write('users/bob', { password: 'pw', policies: 'B,a', ttl: 60, bound_cidrs: '10.0.0.0/8' }));
    expect((await h.read('users/bob')).data).toMatchObject({ token_policies: ['a', 'b'], policies: ['a', 'b'], token_ttl: 60, ttl: 60, bound_cidrs: ['10.0.0.0/8'] });
    expect((await h.write('users/carol', { password_hash: 'not-bcrypt' })).error).toBe('invalid password_hash: expected a bcrypt hash');
    expect((await h.write('users/carol', { password: 'a', password_hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' })).status).toBe(400);
    expect((await h.write('users/-bad', { password: 'x' })).status).toBe(404);
  });

  it('changes the password and the policies at their own paths', async () => {
    const { h } = await setup();
    await ok(h.write('users/alice/password', { password: 'n3w' }));
    expect((await h.write('login/alice', { password: 's3cret' })).status).toBe(400);
    expect((await h.write('login/alice', { password: 'n3w' })).status).toBe(200);
    await ok(h.write('users/alice/policies', { token_policies: 'Admin' }));
    expect((await h.read('users/alice')).data).toMatchObject({ token_policies: ['admin'] });
    expect((await h.write('users/nobody/password', { password: 'x' })).error).toBe('username does not exist');
    await ok(h.delete('users/alice'));
    expect((await h.read('users/alice')).status).toBe(404);
  });
});

describe('userpass login', () => {
  it('logs in with metadata, display name and alias = username', async () => {
    const { h } = await setup({ token_bound_cidrs: '127.0.0.0/8' });
    expect(h.isUnauthenticated('login/alice')).toBe(true);
    const r = await h.write('login/ALICE', { password: 's3cret' });
    expect(r.status).toBe(200);
    expect(r.response?.auth).toMatchObject({
      policies: ['dev', 'ops'],
      ttl: 1800,
      metadata: { username: 'alice' },
      displayName: 'alice',
      alias: { name: 'alice' },
      boundCidrs: ['127.0.0.0/8'],
      renewable: true,
    });
  });

  it('answers unknown users and wrong passwords identically, each after exactly one KDF run', async () => {
    const { h, hasher } = await setup();
    await hasher.dummyHash();
    const before = hasher.kdfRuns;
    const wrong = await h.write('login/alice', { password: 'nope' });
    expect(hasher.kdfRuns - before).toBe(1);
    const unknown = await h.write('login/mallory', { password: 'nope' });
    expect(hasher.kdfRuns - before).toBe(2);
    expect(wrong).toEqual(unknown);
    expect(wrong).toEqual({ status: 400, error: 'invalid username or password' });
    expect((await h.write('login/alice', {})).error).toBe('missing password');
  });

  it('refuses a login from outside token_bound_cidrs with 403', async () => {
    const { h } = await setup({ token_bound_cidrs: '10.0.0.0/8' });
    expect(await h.write('login/alice', { password: 's3cret' })).toEqual({ status: 403, error: 'permission denied' });
    expect((await h.write('login/alice', { password: 's3cret' }, { remoteAddress: '10.9.9.9' })).status).toBe(200);
  });

  it('locks a user after 5 failures for 15 minutes (right password refused too); unknown users are not tracked', async () => {
    const { h } = await setup();
    for (let i = 0; i < 4; i++) await h.write('login/alice', { password: 'bad' });
    expect((await h.write('login/alice', { password: 's3cret' })).status).toBe(200); // success resets the count
    for (let i = 0; i < 5; i++) expect((await h.write('login/alice', { password: 'bad' })).status).toBe(400);
    expect(await h.write('login/alice', { password: 's3cret' })).toEqual({ status: 403, error: 'permission denied' });
    h.advance(14 * 60);
    expect((await h.write('login/alice', { password: 's3cret' })).status).toBe(403);
    h.advance(61);
    expect((await h.write('login/alice', { password: 's3cret' })).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await h.write('login/ghost', { password: 'bad' })).status).toBe(400);
  });

  it('hashes and verifies with the production scrypt parameters', async () => {
    const hasher = new PasswordHasher();
    const stored = await hasher.hash('correct horse');
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
    expect(await hasher.verify('correct horse', stored)).toBe(true);
    expect(await hasher.verify('wrong horse', stored)).toBe(false);
    // Hashes made with older parameters keep verifying after the defaults change.
    expect(await new PasswordHasher({ ...DEFAULT_SCRYPT, logN: 11 }).verify('correct horse', stored)).toBe(true);
  });

  it('logs in a user imported with a bcrypt password_hash (needs the bcryptjs package)', async () => {
    const { h } = await setup();
    // OpenBSD bcrypt test vector: "U*U" at cost 5.
    await ok(h.write('users/legacy', { password_hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' }));
    expect((await h.write('login/legacy', { password: 'U*U' })).status).toBe(200);
    expect((await h.write('login/legacy', { password: 'U*V' })).error).toBe('invalid username or password');
  });
});

describe('userpass renewal', () => {
  it('renews with the user\'s current TTLs while its policies are unchanged (case and `default` aside)', async () => {
    const { h } = await setup({ token_policies: 'Dev,ops', token_max_ttl: '2h' });
    const auth = await loginAuth(h.write('login/alice', { password: 's3cret' }));
    expect(await h.renew(auth)).toEqual({ status: 200, ttls: { ttl: 1800, maxTtl: 7200 } });
    await ok(h.write('users/alice', { token_ttl: '5m', token_policies: 'ops,dev,default' }));
    expect(await h.renew(auth)).toEqual({ status: 200, ttls: { ttl: 300, maxTtl: 7200 } });
  });

  it('refuses once the user\'s policies change (Vault: plain error, 500)', async () => {
    const { h } = await setup();
    const auth = await loginAuth(h.write('login/alice', { password: 's3cret' }));
    await ok(h.write('users/alice/policies', { token_policies: 'dev' }));
    expect(await h.renew(auth)).toEqual({ status: 500, error: 'policies have changed, not renewing' });
  });

  it('refuses once the user is deleted', async () => {
    const { h } = await setup();
    const auth = await loginAuth(h.write('login/alice', { password: 's3cret' }));
    await ok(h.delete('users/alice'));
    expect(await h.renew(auth)).toEqual({ status: 400, error: 'user "alice" no longer exists, not renewing' });
  });
});
