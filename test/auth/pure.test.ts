import { describe, expect, it } from 'vitest';
import { blocksAreSubset, parseCidr, parseIp, remoteAddrAllowed } from '../../src/auth/cidr.js';
import { globMatch } from '../../src/auth/glob.js';
import { LoginLockout } from '../../src/auth/lockout.js';
import { applyLegacyTokenFields, applyTokenFields, defaultTokenParams, equivalentPolicies, tokenAuth } from '../../src/auth/tokenutil.js';
import { parseSecretIdMetadata } from '../../src/auth/approle/metadata.js';
import { parseLabelSelector, selectorMatches } from '../../src/auth/kubernetes/label-selector.js';
import { getClaim, validateBoundClaims } from '../../src/auth/jwt/claims.js';
import { tokenReviewBody } from '../../src/auth/kubernetes/token-review.js';

describe('cidr', () => {
  it('parses v4, v6, mapped and host addresses', () => {
    expect(parseIp('10.1.2.3')).toEqual({ version: 4, value: 0x0a010203n });
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ version: 4, value: 0x0a010203n });
    expect(parseIp('fe80::1%eth0')).toEqual({ version: 6, value: (0xfe80n << 112n) | 1n });
    expect(parseIp('2001:db8::')?.value).toBe(0x20010db8n << 96n);
    expect(parseIp('nope')).toBeUndefined();
    expect(parseCidr('10.0.0.1').text).toBe('10.0.0.1');
    expect(parseCidr('10.0.0.1/32').text).toBe('10.0.0.1');
    expect(parseCidr('10.9.0.0/16')).toMatchObject({ prefix: 16, network: 0x0a090000n });
    expect(() => parseCidr('10.0.0.0/33')).toThrow('invalid CIDR address: 10.0.0.0/33');
  });

  it('checks membership and subsets', () => {
    expect(remoteAddrAllowed('10.1.2.3', [])).toBe(true);
    expect(remoteAddrAllowed('10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(remoteAddrAllowed('11.1.2.3', ['10.0.0.0/8'])).toBe(false);
    expect(remoteAddrAllowed('2001:db8::5', ['2001:db8::/32', '10.0.0.0/8'])).toBe(true);
    expect(remoteAddrAllowed('', ['10.0.0.0/8'])).toBe(false);
    expect(blocksAreSubset(['10.0.0.0/8'], ['10.1.0.0/16', '10.2.3.4'])).toBe(true);
    expect(blocksAreSubset(['10.0.0.0/16'], ['10.0.0.0/8'])).toBe(false);
  });
});

describe('glob (go-glob)', () => {
  it('treats * as the only wildcard', () => {
    expect(globMatch('*', 'anything')).toBe(true);
    expect(globMatch('api-*', 'api-v2')).toBe(true);
    expect(globMatch('*.example.com', 'a.b.example.com')).toBe(true);
    expect(globMatch('a*b*c', 'abc')).toBe(true);
    expect(globMatch('a*b*c', 'acb')).toBe(false);
    expect(globMatch('ab*ba', 'aba')).toBe(false);
    expect(globMatch('a?c', 'abc')).toBe(false);
    expect(globMatch('exact', 'exact')).toBe(true);
  });
});

describe('lockout', () => {
  it('locks at the threshold, unlocks after the duration, forgets stale failures', () => {
    let now = 0;
    const l = new LoginLockout(() => now, { threshold: 3, durationMs: 1000, counterResetMs: 500 });
    l.recordFailure('a');
    l.recordFailure('a');
    now = 600; // the counter resets: these two no longer count
    l.recordFailure('a');
    l.recordFailure('a');
    expect(l.isLocked('a')).toBe(false);
    l.recordFailure('a');
    expect(l.isLocked('a')).toBe(true);
    now = 1599;
    expect(l.isLocked('a')).toBe(true);
    now = 1600;
    expect(l.isLocked('a')).toBe(false);
    expect(() => new LoginLockout(() => 0, { threshold: 0, durationMs: 1, counterResetMs: 1 })).toThrow();
  });
});

describe('tokenutil', () => {
  it('applies fields with Vault checks and upgrades legacy names', () => {
    const p = defaultTokenParams();
    const legacy = {};
    const values = { token_bound_cidrs: ['10.0.0.1/32'], token_ttl: 60, token_max_ttl: 0, token_explicit_max_ttl: 0, token_no_default_policy: true, token_num_uses: 0, token_period: 0, token_policies: [], token_type: 'batch' };
    applyTokenFields(p, values, new Set(['token_bound_cidrs', 'token_ttl', 'token_no_default_policy', 'token_type']));
    expect(p).toMatchObject({ token_bound_cidrs: ['10.0.0.1'], token_ttl: 60, token_no_default_policy: true, token_type: 'batch' });
    applyLegacyTokenFields(p, legacy, { policies: ['Z', 'a', 'root'] }, new Set(['policies']), ['policies']);
    expect(p.token_policies).toEqual(['root']);
    expect(tokenAuth(p)).toMatchObject({ policies: ['root'], ttl: 60, tokenType: 'batch', noDefaultPolicy: true, boundCidrs: ['10.0.0.1'], renewable: true });
    expect(() => applyTokenFields(defaultTokenParams(), { ...values, token_type: 'batch', token_period: 5 }, new Set(['token_type', 'token_period']))).toThrow(/periodic/);
    expect(() => applyTokenFields(defaultTokenParams(), { ...values, token_bound_cidrs: ['x'] }, new Set(['token_bound_cidrs']))).toThrow(/token_bound_cidrs/);
  });
});

describe('small parsers', () => {
  it('parses secret-ID metadata as JSON, base64 JSON or key=value pairs', () => {
    expect(parseSecretIdMetadata('')).toEqual({});
    expect(parseSecretIdMetadata('{"a":"1"}')).toEqual({ a: '1' });
    expect(parseSecretIdMetadata(Buffer.from('{"b":"2"}').toString('base64'))).toEqual({ b: '2' });
    expect(parseSecretIdMetadata('a=1, b=2')).toEqual({ a: '1', b: '2' });
    expect(() => parseSecretIdMetadata('{"a":1}')).toThrow(/invalid <key,value> pair/);
  });

  it('matches Kubernetes label selectors', () => {
    const sel = parseLabelSelector('{"matchLabels":{"env":"prod"},"matchExpressions":[{"key":"tier","operator":"In","values":["web","api"]},{"key":"legacy","operator":"DoesNotExist"}]}');
    expect(selectorMatches(sel, { env: 'prod', tier: 'web' })).toBe(true);
    expect(selectorMatches(sel, { env: 'prod', tier: 'db' })).toBe(false);
    expect(selectorMatches(sel, { env: 'prod', tier: 'api', legacy: 'y' })).toBe(false);
    expect(() => parseLabelSelector('{"matchExpressions":[{"key":"a","operator":"In"}]}')).toThrow();
  });

  it('builds the TokenReview body exactly, omitting empty audiences', () => {
    expect(tokenReviewBody('t', ['a'])).toBe('{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"t","audiences":["a"]}}');
    expect(tokenReviewBody('t', [])).toBe('{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"t"}}');
  });

  it('reads claims by JSON pointer and compares bound claims across types', () => {
    expect(getClaim({ a: { 'b/c': [1, 2] } }, '/a/b~1c/1')).toBe(2);
    expect(() => validateBoundClaims('string', { admin: 'true' }, { admin: true })).not.toThrow();
    expect(() => validateBoundClaims('string', { n: ['1', '2'] }, { n: 3 })).toThrow(/does not match/);
    expect(() => validateBoundClaims('glob', { o: { x: 1 } }, { o: 'x' })).toThrow(/bound claim is not a string or list/);
  });
});

describe('equivalentPolicies', () => {
  it('compares policy sets ignoring `default`, duplicates, order and case', () => {
    expect(equivalentPolicies([], [])).toBe(true);
    expect(equivalentPolicies([], ['default'])).toBe(true);
    expect(equivalentPolicies(['Dev', 'ops', 'ops'], ['default', 'dev', 'ops'])).toBe(true);
    expect(equivalentPolicies(['dev'], ['default', 'dev', 'ops'])).toBe(false);
    expect(equivalentPolicies(['dev', 'admin'], ['dev', 'ops'])).toBe(false);
    expect(equivalentPolicies(['dev'], [])).toBe(false);
  });
});
