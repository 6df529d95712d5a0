/**
 * The system backend (`sys/`): mounts, auth methods, policies, capabilities, leases, keyring and
 * metrics. Lifecycle endpoints that must work while sealed live in src/api/sys-lifecycle.ts.
 */
import type { Backend, LogicalRequest, LogicalResponse, PathDef } from './logical.js';
import { LogicalError } from './logical.js';
import type { Core } from './core.js';
import { field, parseFields } from './fields.js';
import { newMountEntry, normaliseMountPath, routePrefix, type MountEntry } from './mount-table.js';
import { parseDuration, formatDuration } from '../config/duration.js';
import type { Metrics } from './metrics.js';
import type { RaftCluster } from './raft-cluster.js';
import { createGzip, createGunzip } from 'node:zlib';

function mountView(core: Core, e: MountEntry): Record<string, unknown> {
  return {
    type: e.type,
    description: e.description,
    accessor: e.accessor,
    uuid: e.uuid,
    local: e.local,
    seal_wrap: e.seal_wrap,
    external_entropy_access: e.external_entropy_access,
    options: e.options,
    plugin_version: e.plugin_version,
    running_plugin_version: '',
    running_sha256: '',
    config: {
      default_lease_ttl: e.config.default_lease_ttl,
      max_lease_ttl: e.config.max_lease_ttl,
      force_no_cache: e.config.force_no_cache,
      ...(e.config.passthrough_request_headers ? { passthrough_request_headers: e.config.passthrough_request_headers } : {}),
      ...(e.config.audit_non_hmac_request_keys ? { audit_non_hmac_request_keys: e.config.audit_non_hmac_request_keys } : {}),
      ...(e.config.audit_non_hmac_response_keys ? { audit_non_hmac_response_keys: e.config.audit_non_hmac_response_keys } : {}),
      ...(e.config.listing_visibility ? { listing_visibility: e.config.listing_visibility } : {}),
      ...(e.table === 'auth' ? { token_type: e.config.token_type ?? 'default-service' } : {}),
    },
  };
}

const mountFields = {
  type: field.string(),
  description: field.string(),
  config: field.map(),
  options: field.stringMap(),
  local: field.bool(),
  seal_wrap: field.bool(),
  external_entropy_access: field.bool(),
  plugin_name: field.string(),
  plugin_version: field.string(),
};

/** Mount config TTLs must be JSON strings (Vault: "unable to convert given mount config information"). */
function configTtl(config: Record<string, unknown>, key: string): number {
  const v = config[key];
  if (v === undefined || v === '' || v === 'system') return 0;
  if (typeof v !== 'string') throw new LogicalError('unable to convert given mount config information');
  try {
    return Math.floor(parseDuration(v));
  } catch (e) {
    throw new LogicalError(`unable to parse ${key}: ${(e as Error).message}`);
  }
}

function normaliseType(type: string, options: Record<string, string>): { type: string; options: Record<string, string> | null } {
  if (type === 'kv-v2') return { type: 'kv', options: { ...options, version: '2' } };
  if (type === 'kv-v1') return { type: 'kv', options: { ...options, version: '1' } };
  if (type === 'generic') return { type: 'kv', options };
  if (type !== 'kv' && options['version'] !== undefined) throw new LogicalError('the "version" option is only supported by kv mounts');
  return { type, options: Object.keys(options).length === 0 ? null : options };
}

const tuneFields = {
  default_lease_ttl: field.string(),
  max_lease_ttl: field.string(),
  description: field.raw(),
  options: field.stringMap(),
  audit_non_hmac_request_keys: field.commaStringSlice(),
  audit_non_hmac_response_keys: field.commaStringSlice(),
  listing_visibility: field.string(),
  passthrough_request_headers: field.commaStringSlice(),
  allowed_response_headers: field.commaStringSlice(),
  token_type: field.string(),
  plugin_version: field.string(),
};

function parseTuneTtl(v: string, current: number): number {
  if (v === '') return current;
  if (v === 'system') return 0;
  try {
    return Math.floor(parseDuration(v));
  } catch (e) {
    throw new LogicalError(`unable to parse TTL: ${(e as Error).message}`);
  }
}

export function createSystemBackend(core: Core, metrics: Metrics, cluster?: RaftCluster): Backend {
  const mountsRead = (table: 'mounts' | 'auth'): LogicalResponse => {
    const data: Record<string, unknown> = {};
    for (const e of core.mounts.all(table).sort((a, b) => a.path.localeCompare(b.path))) data[e.path] = mountView(core, e);
    return { data, injectData: true };
  };

  const mountWrite = (table: 'mounts' | 'auth') => async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, warnings } = parseFields(mountFields, req.data);
    const path = normaliseMountPath(req.params['path'] ?? '');
    const typeName = values.type || values.plugin_name;
    if (typeName === '') throw new LogicalError('backend type must be specified as a string');
    if (table === 'auth' && typeName === 'token') throw new LogicalError('token credential backend cannot be instantiated');
    const { type, options } = normaliseType(typeName, values.options);
    const def = configTtl(values.config, 'default_lease_ttl');
    const max = configTtl(values.config, 'max_lease_ttl');
    if (def > 0 && max > 0 && def > max) throw new LogicalError('given default lease TTL greater than given max lease TTL');
    const entry = newMountEntry(table, path, type, {
      description: values.description,
      local: values.local,
      seal_wrap: values.seal_wrap,
      external_entropy_access: values.external_entropy_access,
      options,
      config: { default_lease_ttl: def, max_lease_ttl: max, force_no_cache: values.config['force_no_cache'] === true },
    });
    if (table === 'mounts' && type === 'kv' && options?.['version'] === undefined) entry.options = { version: '1' };
    await core.mount(entry);
    return warnings.length > 0 ? { warnings } : undefined;
  };

  const mountPrefix = (table: 'mounts' | 'auth', p: string): string => {
    const path = normaliseMountPath(p);
    return table === 'auth' ? `auth/${path}` : path;
  };

  const tuneRead = (table: 'mounts' | 'auth') => async (req: LogicalRequest): Promise<LogicalResponse> => {
    const prefix = mountPrefix(table, req.params['path'] ?? '');
    const e = core.mounts.get(prefix);
    if (!e) throw new LogicalError(`cannot fetch sysview for path "${prefix}"`);
    const { defaultLeaseTtl, maxLeaseTtl } = core.effectiveTtls(e);
    return {
      data: {
        description: e.description,
        default_lease_ttl: defaultLeaseTtl,
        max_lease_ttl: maxLeaseTtl,
        force_no_cache: e.config.force_no_cache,
        ...(e.options ? { options: e.options } : {}),
        ...(table === 'auth' ? { token_type: e.config.token_type ?? 'default-service' } : {}),
      },
      injectData: true,
    };
  };

  const tuneWrite = (table: 'mounts' | 'auth') => async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const prefix = mountPrefix(table, req.params['path'] ?? '');
    const { values, present, warnings } = parseFields(tuneFields, req.data);
    const e = core.mounts.get(prefix);
    if (!e) throw new LogicalError(`cannot tune "${prefix}": no mount`);
    const out = [...warnings];
    await core.tuneMount(prefix, (cur) => {
      const next: MountEntry = structuredClone(cur);
      if (present.has('default_lease_ttl')) next.config.default_lease_ttl = parseTuneTtl(values.default_lease_ttl, cur.config.default_lease_ttl);
      if (present.has('max_lease_ttl')) next.config.max_lease_ttl = parseTuneTtl(values.max_lease_ttl, cur.config.max_lease_ttl);
      const d = next.config.default_lease_ttl || core.defaultLeaseTtl;
      const m = next.config.max_lease_ttl || core.maxLeaseTtl;
      if (d > m) throw new LogicalError('backend max lease TTL cannot be less than backend default lease TTL');
      if (present.has('description') && typeof values.description === 'string') next.description = values.description;
      if (present.has('audit_non_hmac_request_keys')) next.config.audit_non_hmac_request_keys = values.audit_non_hmac_request_keys;
      if (present.has('audit_non_hmac_response_keys')) next.config.audit_non_hmac_response_keys = values.audit_non_hmac_response_keys;
      if (present.has('listing_visibility')) {
        if (!['', 'unauth', 'hidden'].includes(values.listing_visibility)) throw new LogicalError(`invalid listing_visibility ${values.listing_visibility}`);
        next.config.listing_visibility = values.listing_visibility;
      }
      if (present.has('passthrough_request_headers')) next.config.passthrough_request_headers = values.passthrough_request_headers;
      if (present.has('allowed_response_headers')) next.config.allowed_response_headers = values.allowed_response_headers;
      if (present.has('token_type')) {
        if (table !== 'auth' || cur.type === 'token') throw new LogicalError('token_type cannot be set for this mount');
        if (!['default-service', 'default-batch', 'service', 'batch'].includes(values.token_type)) throw new LogicalError(`invalid value for "token_type": ${values.token_type}`);
        next.config.token_type = values.token_type;
      }
      if (present.has('options') && cur.type === 'kv') {
        const from = cur.options?.['version'] ?? '1';
        const to = values.options['version'] ?? from;
        if (from === '2' && to === '1') throw new LogicalError('cannot downgrade mount from version 2');
        if (from !== '2' && to === '2') out.push('Upgrading mount from version 1 to version 2. This mount will be unavailable for a brief period and will resume service shortly.');
        next.options = { ...(cur.options ?? {}), ...values.options };
      } else if (present.has('options')) {
        if (values.options['version'] !== undefined) throw new LogicalError('the "version" option is only supported by kv mounts');
        next.options = { ...(cur.options ?? {}), ...values.options };
      }
      return next;
    });
    return out.length > 0 ? { warnings: out } : undefined;
  };

  const policyName = (req: LogicalRequest): { name: string; warnings: string[] } => {
    const raw = req.params['name'] ?? '';
    const name = raw.trim().toLowerCase();
    return { name, warnings: name !== raw ? [`policy name was converted to ${name}`] : [] };
  };

  const policyText = (req: LogicalRequest, legacy: boolean): string => {
    const { values } = parseFields({ policy: field.string(), rules: field.string() }, req.data);
    let text = values.policy || (legacy ? values.rules : '');
    if (text === '') throw new LogicalError("'policy' parameter not supplied or empty");
    // The API accepts base64-encoded policies too.
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(text.trim()) && text.trim().length % 4 === 0) {
      const decoded = Buffer.from(text.trim(), 'base64').toString('utf8');
      if (/^[\s\S]*(path|name)[\s\S]*$/.test(decoded) && !decoded.includes('\uFFFD')) text = decoded;
    }
    return text;
  };

  const capabilitiesOf = async (tokenPolicies: string[], paths: string[]): Promise<LogicalResponse> => {
    const acl = core.policies.acl(tokenPolicies);
    const data: Record<string, unknown> = {};
    for (const p of paths) data[p] = acl.capabilities(p.replace(/^\/+/, ''));
    if (paths.length === 1) data['capabilities'] = data[paths[0]!];
    return { data, injectData: true };
  };

  const capPaths = (req: LogicalRequest): string[] => {
    const { values } = parseFields({ paths: field.commaStringSlice(), path: field.commaStringSlice() }, req.data);
    const paths = values.paths.length > 0 ? values.paths : values.path;
    if (paths.length === 0) throw new LogicalError('missing paths');
    return paths;
  };

  const leaseIdFrom = (req: LogicalRequest): string => {
    const { values } = parseFields({ lease_id: field.string(), increment: field.duration(), sync: field.raw() }, req.data);
    const id = values.lease_id || req.params['id'] || '';
    if (id === '') throw new LogicalError('lease_id must be specified');
    return id;
  };

  const renew = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const id = leaseIdFrom(req);
    const { values } = parseFields({ increment: field.duration() }, req.data);
    const { lease, warnings } = await core.renewLease(id, values.increment);
    return {
      warnings,
      renewedLease: { leaseId: lease.leaseId, renewable: lease.renewable, leaseDuration: Math.round((lease.expireTime - core.now()) / 1000) },
    };
  };

  const revoke = async (req: LogicalRequest): Promise<undefined> => {
    await core.expiration.revoke(leaseIdFrom(req));
    return undefined;
  };

  const paths: PathDef[] = [
    { pattern: 'mounts', operations: { read: async () => mountsRead('mounts') } },
    {
      pattern: 'mounts/(?<path>.+)/tune',
      operations: { read: tuneRead('mounts'), update: tuneWrite('mounts') },
    },
    {
      pattern: 'mounts/(?<path>.+)',
      operations: {
        read: async (req) => {
          const e = core.mounts.get(mountPrefix('mounts', req.params['path'] ?? ''));
          return e ? { data: mountView(core, e) } : undefined;
        },
        update: mountWrite('mounts'),
        delete: async (req) => {
          await core.unmount(mountPrefix('mounts', req.params['path'] ?? ''));
          return undefined;
        },
      },
    },
    { pattern: 'auth', operations: { read: async () => mountsRead('auth') } },
    { pattern: 'auth/(?<path>.+)/tune', rootProtected: true, operations: { read: tuneRead('auth'), update: tuneWrite('auth') } },
    {
      pattern: 'auth/(?<path>.+)',
      rootProtected: true,
      operations: {
        read: async (req) => {
          const e = core.mounts.get(mountPrefix('auth', req.params['path'] ?? ''));
          return e ? { data: mountView(core, e) } : undefined;
        },
        update: mountWrite('auth'),
        delete: async (req) => {
          await core.unmount(mountPrefix('auth', req.params['path'] ?? ''));
          return undefined;
        },
      },
    },
    {
      pattern: 'remount',
      rootProtected: true,
      operations: {
        update: async (req) => {
          const { values } = parseFields({ from: field.string(), to: field.string() }, req.data);
          if (values.from === '' || values.to === '') throw new LogicalError('both "from" and "to" path must be specified as strings');
          await core.remount(normaliseMountPath(values.from), normaliseMountPath(values.to));
          return { data: { migration_id: crypto.randomUUID() }, injectData: true };
        },
      },
    },
    {
      pattern: 'internal/ui/mounts',
      unauthenticated: true,
      operations: {
        read: async (req) => {
          const secret: Record<string, unknown> = {};
          const auth: Record<string, unknown> = {};
          for (const e of core.mounts.all()) {
            const visible = e.config.listing_visibility === 'unauth' || (req.token && core.policies.acl(req.token.policies).hasMountAccess(routePrefix(e)));
            if (!visible) continue;
            (e.table === 'auth' ? auth : secret)[e.path] = { type: e.type, description: e.description, options: e.options };
          }
          return { data: { secret, auth } };
        },
      },
    },
    {
      pattern: 'internal/ui/mounts/(?<path>.+)',
      unauthenticated: true,
      operations: {
        read: async (req) => {
          const p = req.params['path'] ?? '';
          const e = core.mounts.match(p.endsWith('/') ? p : p + '/');
          const denied = new LogicalError(`preflight capability check returned 403, please ensure client's policies grant access to path "${p.replace(/\/?$/, '/')}"`, 403);
          if (!req.token) throw new LogicalError('permission denied', 403);
          if (!e) throw denied;
          const prefix = routePrefix(e);
          if (!core.policies.acl(req.token.policies).hasMountAccess(prefix)) throw denied;
          return { data: { ...mountView(core, e), path: prefix } };
        },
      },
    },
    { pattern: 'policies/acl/?', operations: { list: async () => ({ data: { keys: core.policies.list() } }) } },
    {
      pattern: 'policies/acl/(?<name>.+)',
      operations: {
        read: async (req) => {
          const { name } = policyName(req);
          const text = await core.policies.getText(name);
          return text === undefined ? undefined : { data: { name, policy: text } };
        },
        update: async (req) => {
          const { name, warnings } = policyName(req);
          await core.policies.set(name, policyText(req, false));
          return warnings.length > 0 ? { warnings } : undefined;
        },
        delete: async (req) => {
          await core.policies.delete(policyName(req).name);
          return undefined;
        },
      },
    },
    {
      pattern: 'policy/?',
      operations: {
        read: async () => ({ data: { keys: core.policies.list(), policies: core.policies.list() }, injectData: true }),
        list: async () => ({ data: { keys: core.policies.list(), policies: core.policies.list() }, injectData: true }),
      },
    },
    {
      pattern: 'policy/(?<name>.+)',
      operations: {
        read: async (req) => {
          const { name } = policyName(req);
          const text = await core.policies.getText(name);
          return text === undefined ? undefined : { data: { name, rules: text }, injectData: true };
        },
        update: async (req) => {
          const { name, warnings } = policyName(req);
          await core.policies.set(name, policyText(req, true));
          return warnings.length > 0 ? { warnings } : undefined;
        },
        delete: async (req) => {
          await core.policies.delete(policyName(req).name);
          return undefined;
        },
      },
    },
    {
      pattern: 'capabilities',
      operations: {
        update: async (req) => {
          const { values } = parseFields({ token: field.string() }, req.data);
          if (values.token === '') throw new LogicalError('missing token');
          const t = await core.lookupToken(values.token);
          if (!t) throw new LogicalError('invalid token');
          return capabilitiesOf(t.policies, capPaths(req));
        },
      },
    },
    {
      pattern: 'capabilities-self',
      operations: { update: async (req) => capabilitiesOf(req.token?.policies ?? [], capPaths(req)) },
    },
    {
      pattern: 'capabilities-accessor',
      operations: {
        update: async (req) => {
          const { values } = parseFields({ accessor: field.string() }, req.data);
          if (values.accessor === '') throw new LogicalError('missing accessor');
          const t = await core.tokens.lookupByAccessor(values.accessor);
          if (!t) throw new LogicalError('invalid accessor');
          return capabilitiesOf(t.policies, capPaths(req));
        },
      },
    },
    {
      pattern: 'leases/lookup',
      operations: {
        update: async (req) => {
          const id = leaseIdFrom(req);
          const lease = await core.expiration.get(id);
          if (!lease) throw new LogicalError('invalid lease');
          const ttl = lease.expireTime === 0 ? 0 : Math.max(0, Math.round((lease.expireTime - core.now()) / 1000));
          return {
            data: {
              id: lease.leaseId,
              issue_time: new Date(lease.issueTime).toISOString(),
              expire_time: lease.expireTime === 0 ? null : new Date(lease.expireTime).toISOString(),
              last_renewal: lease.lastRenewalTime === 0 ? null : new Date(lease.lastRenewalTime).toISOString(),
              renewable: lease.renewable,
              ttl,
            },
          };
        },
      },
    },
    {
      pattern: 'leases/lookup/(?<prefix>.*)',
      rootProtected: true,
      operations: {
        list: async (req) => {
          const keys = await core.expiration.list(req.params['prefix'] ?? '');
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
    },
    { pattern: '(?:leases/)?renew(?:/(?<id>.+))?', operations: { update: renew } },
    { pattern: '(?:leases/)?revoke(?:/(?<id>.+))?', operations: { update: revoke } },
    {
      pattern: '(?:leases/)?revoke-prefix/(?<prefix>.+)',
      rootProtected: true,
      operations: {
        update: async (req) => {
          await core.expiration.revokePrefix(req.params['prefix'] ?? '');
          return undefined;
        },
      },
    },
    {
      pattern: '(?:leases/)?revoke-force/(?<prefix>.+)',
      rootProtected: true,
      operations: {
        update: async (req) => {
          await core.expiration.revokePrefix(req.params['prefix'] ?? '', true);
          return undefined;
        },
      },
    },
    {
      pattern: 'leases/tidy',
      operations: {
        update: async () => {
          await core.expiration.tidy(async (h) => (await core.tokens.byHash(h)) !== undefined);
          return { warnings: ['Tidy operation successfully started. Any information from the operation will be printed to Vault\'s server logs.'] };
        },
      },
    },
    {
      pattern: 'key-status',
      operations: {
        read: async () => {
          const s = core.barrier.keyStatus();
          return { data: { term: s.term, install_time: s.installTime.toISOString(), encryptions: s.encryptions }, injectData: true };
        },
      },
    },
    {
      pattern: 'rotate(?:/keyring)?',
      rootProtected: true,
      operations: {
        update: async () => {
          await core.barrier.rotate();
          return undefined;
        },
      },
    },
    {
      pattern: 'seal',
      rootProtected: true,
      operations: {
        update: async () => {
          // Answer first, then seal: the response must not wait on in-flight work draining.
          setImmediate(() => void core.sealVault());
          return undefined;
        },
      },
    },
    {
      pattern: 'step-down',
      rootProtected: true,
      operations: {
        update: async () => {
          // Single node: nothing to hand over. Raft: transfer leadership; this node becomes a standby.
          if (cluster) setImmediate(() => void cluster.raft.transferLeadership().catch(() => undefined));
          return undefined;
        },
      },
    },
    {
      pattern: 'wrapping/wrap',
      operations: {
        update: async (req) => {
          if (req.wrapTtl === undefined || req.wrapTtl <= 0) throw new LogicalError('endpoint requires response wrapping to be used');
          return { data: req.data };
        },
      },
    },
    {
      pattern: 'wrapping/unwrap',
      operations: {
        update: async (req) => {
          const { values } = parseFields({ token: field.string() }, req.data);
          // Either the wrapping token is the client token, or another token names it in the body.
          const wrapping = values.token !== '' ? values.token : req.clientToken;
          const stored = await core.wrapping.unwrap(wrapping);
          return {
            bareJson: {
              request_id: req.id,
              lease_id: stored.lease_id,
              renewable: stored.renewable,
              lease_duration: stored.lease_duration,
              data: stored.data,
              wrap_info: null,
              warnings: stored.warnings,
              auth: stored.auth,
              mount_type: stored.mount_type,
            },
          };
        },
      },
    },
    {
      pattern: 'wrapping/lookup',
      unauthenticated: true,
      operations: {
        update: async (req) => {
          const { values } = parseFields({ token: field.string() }, req.data);
          if (values.token === '') throw new LogicalError('missing "token" value in input');
          return { data: await core.wrapping.lookup(values.token) };
        },
      },
    },
    {
      pattern: 'wrapping/rewrap',
      operations: {
        update: async (req) => {
          const { values } = parseFields({ token: field.string() }, req.data);
          const wrapInfo = await core.wrapping.rewrap(values.token !== '' ? values.token : req.clientToken);
          return {
            bareJson: { request_id: '', lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: wrapInfo, warnings: null, auth: null, mount_type: '' },
          };
        },
      },
    },
    {
      pattern: 'quotas/lease-count/?',
      operations: {
        list: async () => {
          const keys = await core.listLeaseCountQuotas();
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
    },
    {
      pattern: 'quotas/lease-count/(?<name>[^/]+)',
      operations: {
        read: async (req) => {
          const q = await core.getLeaseCountQuota(req.params['name'] ?? '');
          if (!q) return undefined;
          return { data: { name: q.name, path: q.path, type: 'lease-count', max_leases: q.maxLeases, counter: core.expiration.quotaUsage(q.name), inheritable: true, role: '' } };
        },
        update: async (req) => {
          const name = req.params['name'] ?? '';
          const { values, present, warnings } = parseFields({ path: field.string(), max_leases: field.int(), role: field.string(), inheritable: field.bool() }, req.data);
          const old = await core.getLeaseCountQuota(name);
          const maxLeases = present.has('max_leases') ? values.max_leases : (old?.maxLeases ?? 0);
          if (maxLeases <= 0) throw new LogicalError('max_leases must be greater than zero');
          let path = present.has('path') ? values.path.replace(/^\/+/, '') : (old?.path ?? '');
          if (path !== '' && !core.mounts.match(path)) throw new LogicalError(`invalid mount path "${path}": no mount matches it`);
          if (path.endsWith('*')) path = path.slice(0, -1);
          await core.setLeaseCountQuota({ name, path, maxLeases });
          return warnings.length > 0 ? { warnings } : undefined;
        },
        delete: async (req) => {
          await core.deleteLeaseCountQuota(req.params['name'] ?? '');
          return undefined;
        },
      },
    },
    ...raftPaths(core, cluster),
    {
      pattern: 'metrics',
      operations: {
        read: async (req) => {
          metrics.unsealed.set(core.sealed ? 0 : 1);
          metrics.leases.set(core.expiration.size);
          const format = typeof req.data['format'] === 'string' ? req.data['format'] : '';
          const accept = req.headers['accept'] ?? '';
          if (format === 'prometheus' || accept.includes('prometheus/telemetry') || accept.includes('application/openmetrics-text')) {
            return { raw: { status: 200, contentType: metrics.registry.contentType, body: await metrics.registry.metrics() } };
          }
          if (format !== '') throw new LogicalError(`unsupported metrics format: ${format}`);
          return { bareJson: await metrics.registry.getMetricsAsJSON() };
        },
      },
    },
  ];

  return { type: 'system', paths };
}

const AUTOPILOT_DEFAULTS = {
  cleanup_dead_servers: false,
  last_contact_threshold: '10s',
  dead_server_last_contact_threshold: '24h0m0s',
  max_trailing_logs: 1000,
  min_quorum: 0,
  server_stabilization_time: '10s',
};

/** sys/storage/raft/*: configuration, membership and snapshots (only with integrated storage). */
function raftPaths(core: Core, cluster: RaftCluster | undefined): PathDef[] {
  const need = (): RaftCluster => {
    if (!cluster) throw new LogicalError('raft storage is not in use');
    return cluster;
  };
  return [
    {
      pattern: 'storage/raft/configuration',
      operations: {
        read: async () => {
          const c = need().raft.configuration();
          return {
            data: {
              config: {
                index: c.index,
                servers: c.servers.map((s) => ({ node_id: s.node_id, address: s.address, leader: s.leader, voter: s.voter, protocol_version: '\u0003' })),
              },
            },
          };
        },
      },
    },
    {
      pattern: 'storage/raft/remove-peer',
      operations: {
        update: async (req) => {
          const { values } = parseFields({ server_id: field.string(), dr_operation_token: field.string() }, req.data);
          if (values.server_id === '') throw new LogicalError('no server id provided');
          await need().raft.removePeer(values.server_id);
          return undefined;
        },
      },
    },
    {
      pattern: 'storage/raft/snapshot',
      rootProtected: false,
      operations: {
        read: async () => ({ raw: { status: 200, contentType: 'application/gzip', body: need().raft.snapshotSave().pipe(createGzip()) } }),
        update: async (req) => {
          if (!req.bodyStream) throw new LogicalError('snapshot restore needs the snapshot as the request body');
          await need().raft.snapshotRestore(req.bodyStream.pipe(createGunzip()));
          setImmediate(() => void core.afterSnapshotRestore());
          return undefined;
        },
      },
    },
    {
      pattern: 'storage/raft/snapshot-force',
      operations: {
        update: async (req) => {
          if (!req.bodyStream) throw new LogicalError('snapshot restore needs the snapshot as the request body');
          await need().raft.snapshotRestore(req.bodyStream.pipe(createGunzip()));
          setImmediate(() => void core.afterSnapshotRestore());
          return undefined;
        },
      },
    },
    {
      pattern: 'storage/raft/autopilot/configuration',
      operations: {
        read: async () => {
          const c = (await core.store.get('core/raft/autopilot')) ? JSON.parse((await core.store.get('core/raft/autopilot'))!.toString('utf8')) : {};
          return { data: { ...AUTOPILOT_DEFAULTS, ...c } };
        },
        update: async (req) => {
          const { values, present } = parseFields(
            {
              cleanup_dead_servers: field.bool(),
              last_contact_threshold: field.duration(),
              dead_server_last_contact_threshold: field.duration(),
              max_trailing_logs: field.int(),
              min_quorum: field.int(),
              server_stabilization_time: field.duration(),
            },
            req.data,
          );
          const raw = await core.store.get('core/raft/autopilot');
          const cur: Record<string, unknown> = { ...AUTOPILOT_DEFAULTS, ...(raw ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {}) };
          for (const k of ['last_contact_threshold', 'dead_server_last_contact_threshold', 'server_stabilization_time'] as const) {
            if (present.has(k)) cur[k] = formatDuration(values[k]);
          }
          if (present.has('dead_server_last_contact_threshold') && values.dead_server_last_contact_threshold < 60) {
            throw new LogicalError('dead_server_last_contact_threshold should not be less than 1m');
          }
          if (present.has('cleanup_dead_servers')) cur['cleanup_dead_servers'] = values.cleanup_dead_servers;
          if (present.has('max_trailing_logs')) cur['max_trailing_logs'] = values.max_trailing_logs;
          if (present.has('min_quorum')) cur['min_quorum'] = values.min_quorum;
          if (cur['cleanup_dead_servers'] === true && Number(cur['min_quorum'] ?? 0) < 3) throw new LogicalError('min_quorum must be set when cleanup_dead_servers is set and it should at least be 3');
          await core.store.put('core/raft/autopilot', Buffer.from(JSON.stringify(cur)));
          return undefined;
        },
      },
    },
    {
      pattern: 'storage/raft/autopilot/state',
      operations: {
        read: async () => {
          const c = need().raft.configuration();
          const leader = c.servers.find((s) => s.leader);
          const voters = c.servers.filter((s) => s.voter);
          const servers: Record<string, unknown> = {};
          for (const s of c.servers) {
            servers[s.node_id] = {
              id: s.node_id,
              name: s.node_id,
              address: s.address,
              node_status: 'alive',
              last_contact: '0s',
              healthy: true,
              status: s.leader ? 'leader' : s.voter ? 'voter' : 'non-voter',
              node_type: s.voter ? 'voter' : 'non-voter',
              version: '1.21.0',
            };
          }
          return {
            data: {
              healthy: true,
              failure_tolerance: Math.max(0, Math.floor((voters.length - 1) / 2)),
              leader: leader?.node_id ?? '',
              voters: voters.map((s) => s.node_id),
              servers,
            },
          };
        },
      },
    },
  ];
}
