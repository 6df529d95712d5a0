/**
 * Role name checks, after Vault's validateNames / validateCommonName / validateOtherSANs /
 * validateSerialNumber / validateUserId (builtin/logical/pki/cert_util.go). Pure functions over
 * the role's switches; each returns the first offending value (or '' when all pass), which the
 * caller turns into Vault's error message.
 */
import { domainToASCII } from 'node:url';

export interface NamePolicy {
  allowLocalhost: boolean;
  allowedDomains: readonly string[];
  allowBareDomains: boolean;
  allowSubdomains: boolean;
  allowGlobDomains: boolean;
  allowWildcardCertificates: boolean;
  allowAnyName: boolean;
  enforceHostnames: boolean;
  cnValidations: readonly string[];
}

const LABEL = '([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])';
export const HOSTNAME_RE = new RegExp(`^(\\*\\.)?(${LABEL}\\.)*${LABEL}\\.?$`);
const LEFT_WILD_LABEL_RE = new RegExp(`^(\\*|\\*${LABEL}|${LABEL}\\*|${LABEL}\\*${LABEL})$`);

/** ryanuber/go-glob: `*` matches any run of characters; nothing else is special. */
export function glob(pattern: string, subj: string): boolean {
  if (pattern === '') return subj === pattern;
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return subj === pattern;
  const leadingGlob = pattern.startsWith('*');
  const trailingGlob = pattern.endsWith('*');
  const end = parts.length - 1;
  let s = subj;
  for (let i = 0; i < end; i++) {
    const idx = s.indexOf(parts[i]!);
    if (i === 0) {
      if (!leadingGlob && idx !== 0) return false;
    } else if (idx < 0) return false;
    s = s.slice(idx + parts[i]!.length);
  }
  return trailingGlob || s.endsWith(parts[end]!);
}

/**
 * IDNA ToASCII as Vault configures it (golang.org/x/net/idna with StrictDomainName and
 * VerifyDNSLength): non-ASCII labels become punycode, label and name lengths are checked. As the
 * comment in Vault notes, odd ASCII characters pass through here and are caught by HOSTNAME_RE.
 * Undefined when the conversion fails.
 */
export function idnaToAscii(name: string): string | undefined {
  const trailingDot = name.endsWith('.');
  const labels = (trailingDot ? name.slice(0, -1) : name).split('.');
  const out: string[] = [];
  for (const label of labels) {
    const ascii = /^[\x00-\x7f]*$/.test(label) ? label : domainToASCII(label);
    if (ascii.length === 0 || ascii.length > 63) return undefined;
    out.push(ascii);
  }
  const joined = out.join('.') + (trailingDot ? '.' : '');
  return joined.length > 253 ? undefined : joined;
}

/**
 * How Vault turns an `alt_names` entry (or the CN) into a DNS SAN: IDNA conversion (failure is a
 * user error), then names that do not look like hostnames are silently dropped.
 */
export function asDnsSan(v: string): { dns?: string; error?: string } {
  const converted = idnaToAscii(v);
  if (converted === undefined) return { error: `idna: invalid label "${v}"` };
  return HOSTNAME_RE.test(converted) ? { dns: converted } : {};
}

/** Returns the first name not allowed by the policy, or ''. */
export function validateNames(p: NamePolicy, names: readonly string[]): string {
  for (const name of names) {
    let reducedName = name;
    let emailDomain = reducedName;
    let wildcardLabel = '';
    let isEmail = false;
    let isWildcard = false;

    if (reducedName.includes('@')) {
      const split = reducedName.split('@');
      if (split.length !== 2) return name;
      reducedName = split[1]!;
      emailDomain = split[1]!;
      isEmail = true;
    }

    if (reducedName.includes('*')) {
      isWildcard = true;
      if (!p.allowWildcardCertificates) return name;
      if ((reducedName.match(/\*/g) ?? []).length > 1) return name;
      const dot = reducedName.indexOf('.');
      if (dot === -1) {
        wildcardLabel = reducedName;
        reducedName = '';
      } else {
        wildcardLabel = reducedName.slice(0, dot);
        reducedName = reducedName.slice(dot + 1);
        if (reducedName.includes('*')) return name;
      }
    }

    if (isEmail && isWildcard) return name;

    if (p.enforceHostnames) {
      if (reducedName !== '') {
        const converted = idnaToAscii(reducedName);
        if (converted === undefined || !HOSTNAME_RE.test(converted)) return name;
      }
      if (isWildcard && !LEFT_WILD_LABEL_RE.test(wildcardLabel)) return name;
    }

    if (p.allowAnyName) continue;

    if (p.allowLocalhost) {
      if (reducedName === 'localhost' || reducedName === 'localdomain' || (isEmail && (emailDomain === 'localhost' || emailDomain === 'localdomain'))) continue;
      if (p.allowSubdomains) {
        if (reducedName.endsWith('.localhost') || (isWildcard && reducedName === 'localhost')) continue;
        if (reducedName.endsWith('.localdomain') || (isWildcard && reducedName === 'localdomain')) continue;
      }
    }

    if (p.allowedDomains.length > 0) {
      let valid = false;
      for (const domain of p.allowedDomains) {
        if (domain === '') continue;
        if (p.allowBareDomains && (eqFold(name, domain) || (isEmail && eqFold(emailDomain, domain)))) {
          valid = true;
          break;
        }
        if (p.allowSubdomains && (reducedName.endsWith(`.${domain}`) || (isWildcard && eqFold(reducedName, domain)))) {
          valid = true;
          break;
        }
        if (p.allowGlobDomains && domain.includes('*') && glob(domain, name)) {
          valid = true;
          break;
        }
      }
      if (valid) continue;
    }
    return name;
  }
  return '';
}

const eqFold = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** validateCommonName: '' when allowed, else the CN. */
export function validateCommonName(p: NamePolicy, cn: string): string {
  if (p.cnValidations.length === 1 && p.cnValidations[0] === 'disabled') return '';
  if (validateNames(p, [cn]) !== '') return cn;
  if (p.cnValidations.length === 0) return '';
  if (cn.includes('@')) return p.cnValidations.includes('email') ? '' : cn;
  return p.cnValidations.includes('hostname') ? '' : cn;
}

/** checkCNValidations: normalised list or an error message. */
export function checkCnValidations(v: readonly string[]): { value: string[] } | { error: string } {
  if (v.length === 0) return { value: ['email', 'hostname'] };
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of v) {
    const x = raw.toLowerCase();
    if (x !== 'disabled' && x !== 'email' && x !== 'hostname') return { error: `cn_validations value incorrect: unknown type: \`${raw}\`` };
    if (seen.has(x)) return { error: `cn_validations value incorrect: \`${x}\` specified multiple times` };
    seen.add(x);
    out.push(x);
  }
  if (seen.has('disabled') && (seen.has('email') || seen.has('hostname'))) {
    return { error: 'cn_validations value incorrect: cannot specify `disabled` along with `email` or `hostname`' };
  }
  return { value: out };
}

/** Parses `<oid>;UTF8:<value>` entries into oid → values (Vault's parseOtherSANs). */
export function parseOtherSans(entries: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const other of entries) {
    const semi = other.indexOf(';');
    if (semi === -1) throw new Error(`expected a semicolon in other SAN "${other}"`);
    const typed = other.slice(semi + 1);
    const colon = typed.indexOf(':');
    if (colon === -1) throw new Error(`expected a colon in other SAN "${other}"`);
    const t = typed.slice(0, colon).toLowerCase();
    if (t !== 'utf8' && t !== 'utf-8') throw new Error(`only utf8 other SANs are supported; found non-supported type in other SAN "${other}"`);
    const o = other.slice(0, semi);
    out.set(o, [...(out.get(o) ?? []), typed.slice(colon + 1)]);
  }
  return out;
}

/** validateOtherSANs: the offending OID / value, or empty strings. */
export function validateOtherSans(allowedEntries: readonly string[], requested: Map<string, string[]>): { badOid: string; badName: string } {
  if (allowedEntries.length === 1 && allowedEntries[0] === '*') return { badOid: '', badName: '' };
  const allowed = parseOtherSans(allowedEntries);
  for (const [o, names] of requested) {
    for (const n of names) {
      const patterns = allowed.get(o);
      if (!patterns) return { badOid: o, badName: '' };
      if (!patterns.some((pat) => glob(pat, n))) return { badOid: o, badName: n };
    }
  }
  return { badOid: '', badName: '' };
}

export function serialNumberAllowed(allowed: readonly string[], value: string): boolean {
  return allowed.some((a) => a !== '' && ((a.includes('*') && glob(a, value)) || a === value));
}

export function userIdAllowed(allowed: readonly string[], value: string): boolean {
  if (allowed.length === 0) return false;
  if (allowed.some((a) => a.toLowerCase() === value.toLowerCase())) return true;
  return allowed.some((a) => a !== '' && a.includes('*') && glob(a, value));
}

export function uriSanAllowed(allowed: readonly string[], uri: string): boolean {
  return allowed.some((a) => glob(a, uri));
}
