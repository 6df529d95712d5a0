/** Vault's name checks (validateNames & friends) as pure functions. */
import { describe, expect, it } from 'vitest';
import { asDnsSan, checkCnValidations, glob, validateCommonName, validateNames, validateOtherSans, parseOtherSans, type NamePolicy } from '../../src/pki/name-policy.js';

const base: NamePolicy = {
  allowLocalhost: true,
  allowedDomains: ['example.com'],
  allowBareDomains: false,
  allowSubdomains: true,
  allowGlobDomains: false,
  allowWildcardCertificates: true,
  allowAnyName: false,
  enforceHostnames: true,
  cnValidations: ['email', 'hostname'],
};
const ok = (p: Partial<NamePolicy>, name: string): boolean => validateNames({ ...base, ...p }, [name]) === '';

describe('validateNames', () => {
  it('allows subdomains only when asked, bare domains only when asked', () => {
    expect(ok({}, 'a.example.com')).toBe(true);
    expect(ok({}, 'a.b.example.com')).toBe(true);
    expect(ok({}, 'example.com')).toBe(false);
    expect(ok({ allowBareDomains: true }, 'EXAMPLE.com')).toBe(true);
    expect(ok({ allowSubdomains: false }, 'a.example.com')).toBe(false);
    expect(ok({}, 'evil.com')).toBe(false);
    expect(ok({}, 'example.com.evil.com')).toBe(false);
    expect(ok({}, 'aexample.com')).toBe(false);
  });

  it('handles wildcards as Vault does', () => {
    expect(ok({}, '*.example.com')).toBe(true); // wildcard of the base under allow_subdomains
    expect(ok({ allowWildcardCertificates: false }, '*.example.com')).toBe(false);
    expect(ok({ allowWildcardCertificates: false, allowAnyName: true }, '*.example.com')).toBe(false);
    expect(ok({}, '*.*.example.com')).toBe(false);
    expect(ok({}, 'a.*.example.com')).toBe(false);
    expect(ok({}, 'foo*.example.com')).toBe(true);
    expect(ok({}, 'f*o.example.com')).toBe(true);
    expect(ok({}, '*@a.example.com')).toBe(true); // '*' in the local part is not a wildcard domain
    expect(ok({}, 'user@*.example.com')).toBe(false); // email + wildcard domain
  });

  it('enforces hostnames even with allow_any_name', () => {
    expect(ok({ allowAnyName: true }, 'anything.at.all')).toBe(true);
    expect(ok({ allowAnyName: true }, 'bad_host.example.com')).toBe(false);
    expect(ok({ allowAnyName: true, enforceHostnames: false }, 'bad_host.example.com')).toBe(true);
    expect(ok({ allowAnyName: true }, '-leading.example.com')).toBe(false);
    expect(ok({ allowAnyName: true }, 'bücher.example.com')).toBe(true); // IDNA → xn--
  });

  it('knows localhost and glob domains', () => {
    expect(ok({}, 'localhost')).toBe(true);
    expect(ok({ allowLocalhost: false }, 'localhost')).toBe(false);
    expect(ok({}, 'a.localhost')).toBe(true);
    expect(ok({ allowedDomains: ['*.svc.cluster.local'], allowGlobDomains: true, allowSubdomains: false }, 'api.ns.svc.cluster.local')).toBe(true);
    expect(ok({ allowedDomains: ['*.svc.cluster.local'], allowGlobDomains: false, allowSubdomains: false }, 'api.ns.svc.cluster.local')).toBe(false);
  });

  it('checks the host part of email addresses', () => {
    expect(ok({}, 'ops@a.example.com')).toBe(true);
    expect(ok({}, 'ops@example.com')).toBe(false);
    expect(ok({ allowBareDomains: true }, 'ops@example.com')).toBe(true);
    expect(ok({}, 'a@b@example.com')).toBe(false);
  });

  it('applies cn_validations on top', () => {
    const p = { ...base, allowAnyName: true };
    expect(validateCommonName({ ...p, cnValidations: ['hostname'] }, 'me@example.com')).toBe('me@example.com');
    expect(validateCommonName({ ...p, cnValidations: ['email'] }, 'host.example.com')).toBe('host.example.com');
    expect(validateCommonName({ ...p, cnValidations: ['disabled'] }, 'not a hostname!')).toBe('');
    expect(validateCommonName({ ...base }, 'evil.com')).toBe('evil.com');
    expect(checkCnValidations(['disabled', 'email'])).toEqual({ error: 'cn_validations value incorrect: cannot specify `disabled` along with `email` or `hostname`' });
    expect(checkCnValidations(['Email'])).toEqual({ value: ['email'] });
    expect(checkCnValidations([])).toEqual({ value: ['email', 'hostname'] });
  });
});

describe('helpers', () => {
  it('globs like ryanuber/go-glob', () => {
    expect(glob('*', '')).toBe(true);
    expect(glob('a*c', 'abc')).toBe(true);
    expect(glob('a*c', 'abd')).toBe(false);
    expect(glob('spiffe://cluster/*', 'spiffe://cluster/ns/x')).toBe(true);
    expect(glob('*.example.com', 'example.com')).toBe(false);
    expect(glob('a*b*c', 'aXbYc')).toBe(true);
  });

  it('turns alt_names into DNS SANs, dropping non-hostnames and failing bad IDNA', () => {
    expect(asDnsSan('www.example.com')).toEqual({ dns: 'www.example.com' });
    expect(asDnsSan('*.example.com')).toEqual({ dns: '*.example.com' });
    expect(asDnsSan('not a host')).toEqual({});
    expect(asDnsSan('a..b').error).toMatch(/idna/);
    expect(asDnsSan('bücher.de')).toEqual({ dns: 'xn--bcher-kva.de' });
  });

  it('checks other SANs per OID and value glob', () => {
    const req = parseOtherSans(['1.2.3.4;UTF8:hello', '1.2.3.4;utf-8:world']);
    expect(validateOtherSans(['1.2.3.4;UTF8:*'], req)).toEqual({ badOid: '', badName: '' });
    expect(validateOtherSans(['1.2.3.4;UTF8:hello'], req)).toEqual({ badOid: '1.2.3.4', badName: 'world' });
    expect(validateOtherSans(['9.9;UTF8:*'], req)).toEqual({ badOid: '1.2.3.4', badName: '' });
    expect(validateOtherSans(['*'], req)).toEqual({ badOid: '', badName: '' });
    expect(() => parseOtherSans(['1.2.3.4:hello'])).toThrow(/semicolon/);
    expect(() => parseOtherSans(['1.2.3.4;IA5:hello'])).toThrow(/only utf8/);
  });
});
