/**
 * `auth/token/`: create (and orphan/role variants), lookup, renew, revoke, accessors and roles,
 * with Vault's rules for policy subsets, orphans, periods and TTL caps (vault/token_store.go).
 */
import type { Backend, ConnectionInfo, LogicalRequest, LogicalResponse, PathDef } from './logical.js';
import { LogicalError } from './logical.js';
import type { Core } from './core.js';
import { normalisePolicies } from './core.js';
import { field, parseFields } from './fields.js';
import type { TokenEntry } from './token-entry.js';
import { tokenHash, SERVICE_PREFIX, BATCH_PREFIX } from './token-store.js';
import { computeTtl, minPositive } from './ttl.js';

interface TokenRole {
  name: string;
  allowed_policies: string[];
  disallowed_policies: string[];
  allowed_policies_glob: string[];
  disallowed_policies_glob: string[];
  orphan: boolean;
  renewable: boolean;
  path_suffix: string;
  token_period: number;
  token_explicit_max_ttl: number;
  token_type: string;
  token_no_default_policy: boolean;
  token_num_uses: number;
  token_bound_cidrs: string[];
}

const createFields = {
  id: field.string(),
  role_name: field.string(),
  policies: field.commaStringSlice(),
  meta: field.stringMap(),
  metadata: field.stringMap(),
  no_parent: field.bool(),
  no_default_policy: field.bool(),
  renewable: field.raw(),
  ttl: field.duration(),
  lease: field.duration(),
  type: field.string(),
  explicit_max_ttl: field.duration(),
  display_name: field.string(),
  num_uses: field.int(),
  period: field.duration(),
  entity_alias: field.string(),
};

const roleFields = {
  allowed_policies: field.commaStringSlice(),
  disallowed_policies: field.commaStringSlice(),
  allowed_policies_glob: field.commaStringSlice(),
  disallowed_policies_glob: field.commaStringSlice(),
  orphan: field.bool(),
  renewable: field.raw(),
  path_suffix: field.string(),
  token_period: field.duration(),
  period: field.duration(),
  token_explicit_max_ttl: field.duration(),
  explicit_max_ttl: field.duration(),
  token_type: field.string(),
  token_no_default_policy: field.bool(),
  token_num_uses: field.int(),
  token_bound_cidrs: field.commaStringSlice(),
  bound_cidrs: field.commaStringSlice(),
  allowed_entity_aliases: field.commaStringSlice(),
};

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(s);
}

function displayName(name: string): string {
  return name === '' ? 'token' : 'token-' + name.replace(/[^a-zA-Z0-9-]/g, '-');
}

function lookupData(core: Core, entry: TokenEntry, showId: boolean): Record<string, unknown> {
  const now = core.now();
  const ttl = entry.expireTime === 0 ? 0 : Math.max(0, Math.round((entry.expireTime - now) / 1000));
  return {
    accessor: entry.accessor,
    creation_time: Math.floor(entry.creationTime / 1000),
    creation_ttl: entry.ttl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTime === 0 ? null : new Date(entry.expireTime).toISOString(),
    explicit_max_ttl: entry.explicitMaxTtl,
    id: showId ? entry.id : '',
    issue_time: new Date(entry.creationTime).toISOString(),
    meta: Object.keys(entry.meta).length === 0 ? null : entry.meta,
    num_uses: Math.max(0, entry.numUses),
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl,
    type: entry.type,
    ...(entry.period > 0 ? { period: entry.period } : {}),
    ...(entry.role ? { role: entry.role } : {}),
    ...(entry.lastRenewalTime ? { last_renewal_time: Math.floor(entry.lastRenewalTime / 1000), last_renewal: new Date(entry.lastRenewalTime).toISOString() } : {}),
  };
}

export function createTokenBackend(core: Core): Backend {
  const roleView = (req: LogicalRequest) => req.storage.sub('roles/');

  const getRole = async (req: LogicalRequest, name: string): Promise<TokenRole | undefined> =>
    roleView(req).getJson<TokenRole>(name.toLowerCase());

  const create = (mode: 'normal' | 'orphan' | 'role') => async (req: LogicalRequest): Promise<LogicalResponse> => {
    const { values, present, warnings } = parseFields(createFields, req.data);
    const parent = req.token;
    if (!parent) throw new LogicalError('permission denied', 403);
    if (parent.type === 'batch') throw new LogicalError('batch tokens cannot create more tokens');
    if (parent.numUses > 0 || parent.numUses < 0) throw new LogicalError('token with limited use count cannot create more tokens');
    const isRoot = parent.policies.includes('root');
    const sudo = isRoot || req.hasSudo === true;

    let role: TokenRole | undefined;
    const roleName = mode === 'role' ? (req.params['role'] ?? '') : values.role_name;
    if (roleName !== '') {
      role = await getRole(req, roleName);
      if (!role) throw new LogicalError(`unknown role ${roleName}`);
    }

    const orphan = mode === 'orphan' || role?.orphan === true || values.no_parent;
    if (values.no_parent && mode === 'normal' && !role && !sudo) {
      throw new LogicalError('root or sudo privileges required to create orphan token');
    }
    if (values.id !== '') {
      if (!sudo) throw new LogicalError('root or sudo privileges required to specify token id');
      if (values.id.startsWith(SERVICE_PREFIX) || values.id.startsWith(BATCH_PREFIX) || values.id.startsWith('s.') || values.id.startsWith('b.')) {
        throw new LogicalError('custom token ID cannot have the prefixes "hvs.", "hvb.", "s." or "b."');
      }
      if (values.id.includes('.')) throw new LogicalError('token IDs can not contain a period');
      warnings.push('Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.');
    }
    if (values.num_uses < 0) throw new LogicalError('number of uses cannot be negative');
    if (present.has('period') && values.period > 0 && !sudo && !role) {
      throw new LogicalError('root or sudo privileges required to create periodic token');
    }

    let type: 'service' | 'batch' = 'service';
    const reqType = values.type || (role ? (role.token_type.replace('default-', '') || 'service') : 'service');
    if (reqType === 'batch') type = 'batch';
    else if (reqType !== 'service' && reqType !== '') throw new LogicalError(`invalid 'token_type' value "${reqType}"`);
    if (type === 'batch' && (values.period > 0 || values.num_uses > 0 || values.id !== '' || values.explicit_max_ttl > 0)) {
      throw new LogicalError('batch tokens cannot be periodic, have limited uses, a custom ID or an explicit max TTL');
    }

    // Policies: default to the parent's; a non-root parent can only hand out a subset.
    const noDefault = values.no_default_policy || role?.token_no_default_policy === true;
    let requested = present.has('policies') ? values.policies : parent.policies.filter((p) => p !== 'root' || isRoot);
    if (role) {
      if (!present.has('policies')) requested = role.allowed_policies.length > 0 ? role.allowed_policies : parent.policies;
      for (const p of requested) {
        if (role.disallowed_policies.includes(p) || role.disallowed_policies_glob.some((g) => globMatch(g, p))) {
          throw new LogicalError(`token policies (${JSON.stringify(requested)}) contain disallowed policies`);
        }
        if (
          (role.allowed_policies.length > 0 || role.allowed_policies_glob.length > 0) &&
          p !== 'default' &&
          !role.allowed_policies.includes(p) &&
          !role.allowed_policies_glob.some((g) => globMatch(g, p))
        ) {
          throw new LogicalError(`token policies (${JSON.stringify(requested)}) must be subset of the role's allowed policies`);
        }
      }
    }
    let policies = normalisePolicies(requested, noDefault);
    if (policies.includes('root') && !isRoot) throw new LogicalError('root tokens may not be created from a non-root token');
    if (!isRoot && !role) {
      const parentSet = new Set(parent.policies);
      const extra = policies.filter((p) => p !== 'default' && !parentSet.has(p));
      if (extra.length > 0) throw new LogicalError('child policies must be subset of parent');
    }
    if (policies.length === 0) policies = ['default'];
    for (const p of policies) if (!core.policies.has(p)) warnings.push(`Policy "${p}" does not exist`);

    const tokenMount = core.mounts.get('auth/token/');
    const { defaultLeaseTtl, maxLeaseTtl } = tokenMount ? core.effectiveTtls(tokenMount) : { defaultLeaseTtl: core.defaultLeaseTtl, maxLeaseTtl: core.maxLeaseTtl };
    const explicitMax = minPositive(values.explicit_max_ttl, role?.token_explicit_max_ttl ?? 0);
    const period = values.period > 0 ? values.period : (role?.token_period ?? 0);
    const requestedTtl = values.ttl || values.lease;
    let ttl: number;
    if (policies.includes('root') && requestedTtl === 0 && period === 0 && explicitMax === 0) {
      ttl = 0; // a root token created without a TTL never expires
    } else {
      const r = computeTtl({ requested: requestedTtl, defaultTtl: defaultLeaseTtl, maxTtl: maxLeaseTtl, explicitMaxTtl: explicitMax, period });
      ttl = r.ttl;
      warnings.push(...r.warnings);
      // A child cannot outlive a non-periodic parent with an expiry.
      if (!orphan && parent.expireTime !== 0 && period === 0) {
        const parentLeft = Math.floor((parent.expireTime - core.now()) / 1000);
        if (ttl > parentLeft) ttl = Math.max(1, parentLeft);
      }
    }
    const renewable = values.renewable === undefined || values.renewable === null || values.renewable === '' ? (role?.renewable ?? true) : values.renewable === true || values.renewable === 'true';
    const pathBase = role ? `auth/token/create/${role.name}${role.path_suffix ? '/' + role.path_suffix : ''}` : mode === 'orphan' ? 'auth/token/create-orphan' : 'auth/token/create';
    const meta = { ...values.metadata, ...values.meta };

    const issued = await core.issueToken({
      ...(values.id !== '' ? { id: values.id } : {}),
      parentHash: orphan ? '' : core.tokens.hashOf(parent),
      policies,
      meta,
      displayName: displayName(values.display_name),
      numUses: values.num_uses || role?.token_num_uses || 0,
      ttl,
      explicitMaxTtl: explicitMax,
      period,
      renewable,
      type,
      path: pathBase,
      ...(role ? { role: role.name } : {}),
    });
    return { data: null, issuedToken: issued, warnings };
  };

  const renewToken = async (entry: TokenEntry, increment: number, connection: ConnectionInfo): Promise<{ entry: TokenEntry; warnings: string[] }> => {
    if (entry.type === 'batch') throw new LogicalError('batch tokens cannot be renewed');
    if (!entry.renewable) throw new LogicalError('lease is not renewable');
    if (entry.expireTime === 0) return { entry, warnings: [] };
    const now = core.now();
    // Login tokens: the issuing auth method re-checks its role/user and narrows the TTLs.
    const { defaultTtl: defaultLeaseTtl, maxTtl: maxLeaseTtl, roleTtl } = await core.checkAuthRenewal(entry, connection);
    const warnings: string[] = [];
    let ttl: number;
    if (entry.period > 0) {
      ttl = entry.period;
    } else {
      ttl = increment > 0 ? increment : roleTtl || entry.ttl || defaultLeaseTtl;
    }
    const maxAt = entry.period > 0 && entry.explicitMaxTtl === 0
      ? Infinity
      : entry.creationTime + minPositive(entry.explicitMaxTtl, entry.period > 0 ? 0 : maxLeaseTtl) * 1000;
    if (maxAt <= now) throw new LogicalError('past the max TTL, cannot renew');
    if (now + ttl * 1000 > maxAt) {
      ttl = Math.floor((maxAt - now) / 1000);
      warnings.push(`TTL of "${ttl}s" exceeded the effective max_ttl; TTL value is capped accordingly`);
    }
    const expireTime = now + ttl * 1000;
    return { entry: { ...entry, expireTime, lastRenewalTime: now }, warnings };
  };

  const doRenew = async (req: LogicalRequest, entry: TokenEntry, hash: string, increment: number, showToken: string): Promise<LogicalResponse> => {
    const { entry: next, warnings } = await renewToken(entry, increment, req.connection);
    await core.tokens.update(hash, { expireTime: next.expireTime, lastRenewalTime: next.lastRenewalTime ?? 0 });
    const leaseId = `${entry.path.replace(/\/+$/, '')}/${hash}`;
    const lease = await core.expiration.get(leaseId);
    if (lease) await core.expiration.update({ ...lease, expireTime: next.expireTime, lastRenewalTime: core.now() });
    return { data: null, issuedToken: { token: showToken, entry: { ...next, id: showToken } }, warnings };
  };

  const tokenArg = (req: LogicalRequest): string => {
    const { values } = parseFields({ token: field.string() }, req.data);
    if (values.token === '') throw new LogicalError('missing token');
    return values.token;
  };

  const accessorArg = (req: LogicalRequest): string => {
    const { values } = parseFields({ accessor: field.string() }, req.data);
    if (values.accessor === '') throw new LogicalError('missing accessor');
    return values.accessor;
  };

  const revokeByToken = async (token: string): Promise<void> => {
    if (token.startsWith(BATCH_PREFIX)) throw new LogicalError('batch tokens cannot be revoked');
    const entry = await core.tokens.lookup(token);
    if (!entry) return; // Vault: revoking an unknown token is a no-op
    await core.revokeTokenTree(tokenHash(token));
  };

  const paths: PathDef[] = [
    { pattern: 'create-orphan', operations: { update: create('orphan') } },
    { pattern: 'create/(?<role>[^/]+)(?:/.*)?', operations: { update: create('role') } },
    { pattern: 'create', operations: { update: create('normal') } },
    {
      pattern: 'lookup',
      operations: {
        update: async (req) => {
          const token = tokenArg(req);
          const entry = await core.tokens.lookup(token);
          if (!entry) throw new LogicalError('bad token');
          return { data: lookupData(core, entry, true) };
        },
        read: async (req) => {
          const entry = req.token;
          return entry ? { data: lookupData(core, entry, true) } : undefined;
        },
      },
    },
    {
      pattern: 'lookup-self',
      operations: {
        read: async (req) => ({ data: lookupData(core, req.token!, true) }),
        update: async (req) => ({ data: lookupData(core, req.token!, true) }),
      },
    },
    {
      pattern: 'lookup-accessor',
      operations: {
        update: async (req) => {
          const entry = await core.tokens.lookupByAccessor(accessorArg(req));
          if (!entry) throw new LogicalError('invalid accessor');
          return { data: lookupData(core, entry, false) };
        },
      },
    },
    {
      pattern: 'renew',
      operations: {
        update: async (req) => {
          const token = tokenArg(req);
          const { values } = parseFields({ increment: field.duration() }, req.data);
          if (token.startsWith(BATCH_PREFIX)) throw new LogicalError('batch tokens cannot be renewed');
          const entry = await core.tokens.lookup(token);
          if (!entry) throw new LogicalError('token not found');
          return doRenew(req, entry, tokenHash(token), values.increment, token);
        },
      },
    },
    {
      pattern: 'renew-self',
      operations: {
        update: async (req) => {
          const { values } = parseFields({ increment: field.duration() }, req.data);
          const entry = req.token!;
          if (entry.type === 'batch') throw new LogicalError('batch tokens cannot be renewed');
          return doRenew(req, entry, tokenHash(entry.id), values.increment, entry.id);
        },
      },
    },
    {
      pattern: 'renew-accessor',
      operations: {
        update: async (req) => {
          const { values } = parseFields({ increment: field.duration() }, req.data);
          const accessor = accessorArg(req);
          const hash = await core.tokens.hashByAccessor(accessor);
          const entry = await core.tokens.lookupByAccessor(accessor);
          if (!hash || !entry) throw new LogicalError('invalid accessor');
          return doRenew(req, entry, hash, values.increment, '');
        },
      },
    },
    {
      pattern: 'revoke',
      operations: {
        update: async (req) => {
          await revokeByToken(tokenArg(req));
          return undefined;
        },
      },
    },
    {
      pattern: 'revoke-self',
      operations: {
        update: async (req) => {
          await revokeByToken(req.token!.id);
          return undefined;
        },
      },
    },
    {
      pattern: 'revoke-accessor',
      operations: {
        update: async (req) => {
          const hash = await core.tokens.hashByAccessor(accessorArg(req));
          if (!hash) throw new LogicalError('invalid accessor');
          await core.revokeTokenTree(hash);
          return undefined;
        },
      },
    },
    {
      pattern: 'revoke-orphan',
      rootProtected: true,
      operations: {
        update: async (req) => {
          const token = tokenArg(req);
          const entry = await core.tokens.lookup(token);
          if (!entry) return undefined;
          const hash = tokenHash(token);
          for (const child of await core.tokens.children(hash)) await core.tokens.orphan(child);
          await core.revokeOneToken(hash);
          return undefined;
        },
      },
    },
    {
      pattern: 'accessors/?',
      rootProtected: true,
      operations: {
        list: async () => {
          const keys = await core.tokens.listAccessors();
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
    },
    {
      pattern: 'roles/?',
      operations: {
        list: async (req) => {
          const keys = await roleView(req).list('');
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
    },
    {
      pattern: 'roles/(?<name>[^/]+)',
      operations: {
        read: async (req) => {
          const role = await getRole(req, req.params['name'] ?? '');
          if (!role) return undefined;
          return {
            data: {
              name: role.name,
              allowed_policies: role.allowed_policies,
              disallowed_policies: role.disallowed_policies,
              allowed_policies_glob: role.allowed_policies_glob,
              disallowed_policies_glob: role.disallowed_policies_glob,
              orphan: role.orphan,
              renewable: role.renewable,
              path_suffix: role.path_suffix,
              token_period: role.token_period,
              period: role.token_period,
              token_explicit_max_ttl: role.token_explicit_max_ttl,
              explicit_max_ttl: role.token_explicit_max_ttl,
              token_type: role.token_type,
              token_no_default_policy: role.token_no_default_policy,
              token_num_uses: role.token_num_uses,
              token_bound_cidrs: role.token_bound_cidrs,
              allowed_entity_aliases: [],
            },
          };
        },
        update: async (req) => {
          const name = (req.params['name'] ?? '').toLowerCase();
          const { values, present, warnings } = parseFields(roleFields, req.data);
          const old = await getRole(req, name);
          if (values.path_suffix.includes('..')) throw new LogicalError('path_suffix cannot contain ".."');
          const tokenType = values.token_type || old?.token_type || 'default-service';
          if (!['default-service', 'default-batch', 'service', 'batch', 'default'].includes(tokenType)) {
            throw new LogicalError(`invalid 'token_type' value "${tokenType}"`);
          }
          const pick = <T>(k: string, v: T, fallback: T): T => (present.has(k) ? v : fallback);
          const role: TokenRole = {
            name,
            allowed_policies: pick('allowed_policies', values.allowed_policies.map((p) => p.toLowerCase()), old?.allowed_policies ?? []),
            disallowed_policies: pick('disallowed_policies', values.disallowed_policies.map((p) => p.toLowerCase()), old?.disallowed_policies ?? []),
            allowed_policies_glob: pick('allowed_policies_glob', values.allowed_policies_glob, old?.allowed_policies_glob ?? []),
            disallowed_policies_glob: pick('disallowed_policies_glob', values.disallowed_policies_glob, old?.disallowed_policies_glob ?? []),
            orphan: pick('orphan', values.orphan, old?.orphan ?? false),
            renewable: present.has('renewable') ? values.renewable === true || values.renewable === 'true' : (old?.renewable ?? true),
            path_suffix: pick('path_suffix', values.path_suffix, old?.path_suffix ?? ''),
            token_period: present.has('token_period') ? values.token_period : present.has('period') ? values.period : (old?.token_period ?? 0),
            token_explicit_max_ttl: present.has('token_explicit_max_ttl') ? values.token_explicit_max_ttl : present.has('explicit_max_ttl') ? values.explicit_max_ttl : (old?.token_explicit_max_ttl ?? 0),
            token_type: tokenType === 'default' ? 'default-service' : tokenType,
            token_no_default_policy: pick('token_no_default_policy', values.token_no_default_policy, old?.token_no_default_policy ?? false),
            token_num_uses: pick('token_num_uses', values.token_num_uses, old?.token_num_uses ?? 0),
            token_bound_cidrs: present.has('token_bound_cidrs') ? values.token_bound_cidrs : present.has('bound_cidrs') ? values.bound_cidrs : (old?.token_bound_cidrs ?? []),
          };
          await roleView(req).putJson(name, role);
          return warnings.length > 0 ? { warnings } : undefined;
        },
        delete: async (req) => {
          await roleView(req).delete((req.params['name'] ?? '').toLowerCase());
          return undefined;
        },
      },
    },
    {
      pattern: 'tidy',
      operations: {
        update: async () => ({ warnings: ['Tidy operation successfully started. Any information from the operation will be printed to Vault\'s server logs.'] }),
      },
    },
  ];

  return { type: 'token', paths };
}
