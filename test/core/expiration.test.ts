import { describe, expect, it } from 'vitest';
import { ExpirationManager, type LeaseEntry } from '../../src/core/expiration.js';
import { StorageView, type KeyValueStore } from '../../src/core/storage-view.js';
import { SqliteBackend } from '../../src/storage/sqlite.js';
import { silentLogger } from '../../src/util/logger.js';

function lease(id: string, expireTime: number, tokenHash = 'tok1', kind: LeaseEntry['kind'] = 'secret'): LeaseEntry {
  return { leaseId: id, kind, mountPoint: 'secret/', path: 'creds/x', data: {}, internalData: {}, tokenHash, issueTime: 0, expireTime, lastRenewalTime: 0, renewable: true, maxExpireTime: 0 };
}

function setup(store: KeyValueStore, clock: { now: number }) {
  const revokedSecrets: string[] = [];
  const revokedTokens: string[] = [];
  let failNext = 0;
  const mgr = new ExpirationManager(
    new StorageView(store, 'sys/expire/'),
    {
      revokeSecret: async (l) => {
        if (failNext > 0) {
          failNext--;
          throw new Error('backend down');
        }
        revokedSecrets.push(l.leaseId);
      },
      revokeToken: async (h) => {
        revokedTokens.push(h);
      },
    },
    silentLogger,
    () => clock.now,
  );
  return { mgr, revokedSecrets, revokedTokens, failNextRevokes: (n: number) => (failNext = n) };
}

describe('ExpirationManager', () => {
  it('restores leases from storage and expires them on time, never early', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const clock = { now: 1_000 };
    const a = setup(store, clock);
    await a.mgr.restore();
    await a.mgr.register(lease('secret/creds/x/a', 5_000));
    await a.mgr.register(lease('secret/creds/x/b', 9_000));
    a.mgr.stop();

    // A new manager over the same storage (a restart) finds both.
    const b = setup(store, clock);
    expect(await b.mgr.restore()).toBe(2);
    clock.now = 4_999;
    await b.mgr.processExpired();
    expect(b.revokedSecrets).toEqual([]);
    clock.now = 5_000;
    await b.mgr.processExpired();
    expect(b.revokedSecrets).toEqual(['secret/creds/x/a']);
    expect(await b.mgr.get('secret/creds/x/a')).toBeUndefined();
    expect(await b.mgr.get('secret/creds/x/b')).toBeDefined();
    b.mgr.stop();
  });

  it('revokes by prefix and indexes leases by token', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const clock = { now: 0 };
    const a = setup(store, clock);
    await a.mgr.restore();
    await a.mgr.register(lease('secret/creds/x/1', 10_000, 'tokA'));
    await a.mgr.register(lease('secret/creds/y/2', 10_000, 'tokA'));
    await a.mgr.register(lease('pki/issue/z/3', 10_000, 'tokB'));
    expect((await a.mgr.leasesOfToken('tokA')).sort()).toEqual(['secret/creds/x/1', 'secret/creds/y/2']);
    expect(await a.mgr.revokePrefix('secret/creds')).toBe(2);
    expect(a.revokedSecrets.sort()).toEqual(['secret/creds/x/1', 'secret/creds/y/2']);
    expect(await a.mgr.leasesOfToken('tokA')).toEqual([]);
    expect(await a.mgr.idsUnder('pki/issue/z/3')).toEqual(['pki/issue/z/3']);
    a.mgr.stop();
  });

  it('keeps a lease whose backend revocation fails and retries it later', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const clock = { now: 0 };
    const a = setup(store, clock);
    await a.mgr.restore();
    await a.mgr.register(lease('secret/creds/x/r', 100));
    a.failNextRevokes(1);
    clock.now = 200;
    await a.mgr.processExpired();
    expect(await a.mgr.get('secret/creds/x/r')).toBeDefined();
    expect(a.mgr.size).toBe(1);
    clock.now = 20_000;
    await a.mgr.processExpired();
    expect(a.revokedSecrets).toEqual(['secret/creds/x/r']);
    expect(a.mgr.size).toBe(0);
    a.mgr.stop();
  });

  it('force-revokes through backend errors', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const a = setup(store, { now: 0 });
    await a.mgr.restore();
    await a.mgr.register(lease('secret/creds/x/f', 100));
    a.failNextRevokes(5);
    await expect(a.mgr.revoke('secret/creds/x/f')).rejects.toThrow('backend down');
    await a.mgr.revoke('secret/creds/x/f', true);
    expect(await a.mgr.get('secret/creds/x/f')).toBeUndefined();
    a.mgr.stop();
  });

  it('hands token leases to the token revoker', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const clock = { now: 0 };
    const a = setup(store, clock);
    await a.mgr.restore();
    await a.mgr.register(lease('auth/token/create/h1', 50, 'h1', 'token'));
    clock.now = 60;
    await a.mgr.processExpired();
    expect(a.revokedTokens).toEqual(['h1']);
    a.mgr.stop();
  });
});

describe('ExpirationManager at scale', () => {
  it('restores 100,000 leases from the index and expires them on time, in batches', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const clock = { now: 1_000_000 };
    const a = setup(store, clock);
    await a.mgr.restore();
    const N = 100_000;
    // Expiries spread over 100 s; registered concurrently so group commit batches them.
    for (let i = 0; i < N; i += 5000) {
      await Promise.all(
        Array.from({ length: 5000 }, (_, j) => a.mgr.register(lease(`pki/issue/web/${String(i + j).padStart(6, '0')}`, clock.now + 1 + ((i + j) % 100_000), `tok${(i + j) % 50}`))),
      );
    }
    a.mgr.stop();

    const b = setup(store, clock);
    expect(await b.mgr.startRestore()).toBe(N);
    expect(b.mgr.size).toBe(N);
    // Half-way through the window, exactly the first half has expired; nothing early.
    clock.now += 50_000;
    await b.mgr.processExpired();
    expect(b.revokedSecrets.length).toBe(50_000);
    expect(b.mgr.size).toBe(50_000);
    clock.now += 50_000;
    await b.mgr.processExpired();
    expect(b.revokedSecrets.length).toBe(N);
    expect(await store.list('sys/expire/by-time/')).toEqual([]);
    b.mgr.stop();
  }, 120_000);

  it('keeps the index in step with renewals', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const clock = { now: 0 };
    const a = setup(store, clock);
    await a.mgr.restore();
    await a.mgr.register(lease('secret/creds/x/ren', 100));
    const l = (await a.mgr.get('secret/creds/x/ren'))!;
    await a.mgr.update({ ...l, expireTime: 5_000 });
    a.mgr.stop();
    const b = setup(store, clock);
    await b.mgr.restore();
    clock.now = 1_000;
    await b.mgr.processExpired();
    expect(b.revokedSecrets).toEqual([]);
    clock.now = 5_000;
    await b.mgr.processExpired();
    expect(b.revokedSecrets).toEqual(['secret/creds/x/ren']);
    b.mgr.stop();
  });

  it('enforces lease-count quotas by path and frees slots on revocation', async () => {
    const store = SqliteBackend.open({ path: ':memory:' });
    const a = setup(store, { now: 0 });
    await a.mgr.restore();
    a.mgr.setQuota({ name: 'pki', path: 'pki/', maxLeases: 2 });
    await a.mgr.register(lease('pki/issue/a/1', 1000));
    await a.mgr.register(lease('pki/issue/a/2', 1000));
    await expect(a.mgr.register(lease('pki/issue/a/3', 1000))).rejects.toMatchObject({ status: 429, message: 'lease count quota exceeded' });
    await a.mgr.register(lease('secret/other/1', 1000)); // outside the quota's path
    expect(a.mgr.quotaUsage('pki')).toBe(2);
    await a.mgr.revoke('pki/issue/a/1');
    await a.mgr.register(lease('pki/issue/a/3', 1000));
    expect(a.mgr.quotaUsage('pki')).toBe(2);
    a.mgr.stop();
  });
});
