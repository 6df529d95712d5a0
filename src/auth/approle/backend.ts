/**
 * AppRole (builtin/credential/approle): roles with a role ID, secret IDs issued against them,
 * and `login {role_id, secret_id}`. Secret IDs are stored only as salted HMACs and are used up
 * atomically; failed logins count towards the user lockout keyed by role ID.
 */
import { randomUUID } from 'node:crypto';
import type { AuthRenewContext, AuthRenewResult, Backend, BackendContext, LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import { formatDuration } from '../../config/duration.js';
import { MountSalt } from '../mount-salt.js';
import { LoginLockout, type LockoutPolicy } from '../lockout.js';
import { blocksAreSubset, parseCidrList, remoteAddrAllowed } from '../cidr.js';
import {
  applyLegacyTokenFields,
  applyTokenFields,
  defaultTokenParams,
  legacyData,
  legacyTokenFields,
  parseBoundCidrs,
  parsePolicies,
  renewalTtls,
  tokenAuth,
  tokenData,
  tokenFields,
} from '../tokenutil.js';
import { denied, goTime, listResponse, nameGroup, param, warningsOnly } from '../paths.js';
import { AppRoleStore, type AppRoleEntry } from './role-store.js';
import { SecretIdStore, type SecretIdEntry } from './secret-id-store.js';
import { parseSecretIdMetadata } from './metadata.js';

const MAX_HMAC_INPUT = 4096;
const ROLE = `role/${nameGroup('role_name')}`;

const roleFields = {
  ...tokenFields,
  ...legacyTokenFields(['policies', 'period']),
  bind_secret_id: field.bool(),
  bound_cidr_list: field.commaStringSlice(),
  secret_id_bound_cidrs: field.commaStringSlice(),
  secret_id_num_uses: field.int(),
  secret_id_ttl: field.duration(),
  local_secret_ids: field.bool(),
  role_id: field.string(),
};

const secretIdFields = {
  metadata: field.string(),
  cidr_list: field.commaStringSlice(),
  token_bound_cidrs: field.commaStringSlice(),
  num_uses: field.int(),
  ttl: field.duration(),
  secret_id: field.string(),
};

const loginFields = { role_id: field.string(), secret_id: field.string() };

export interface AppRoleOptions {
  lockout?: LockoutPolicy;
}

function validateCidrs(list: string[], message: string): void {
  try {
    parseCidrList(list);
  } catch {
    throw new LogicalError(message);
  }
}

function secretIdData(e: SecretIdEntry): Record<string, unknown> {
  return {
    secret_id_accessor: e.secret_id_accessor,
    secret_id_num_uses: e.secret_id_num_uses,
    secret_id_ttl: e.secret_id_ttl,
    creation_time: goTime(e.creation_time),
    expiration_time: goTime(e.expiration_time),
    last_updated_time: goTime(e.last_updated_time),
    metadata: e.metadata,
    cidr_list: e.cidr_list,
    token_bound_cidrs: e.token_bound_cidrs,
  };
}

function roleData(role: AppRoleEntry): Record<string, unknown> {
  return {
    bind_secret_id: role.bind_secret_id,
    secret_id_bound_cidrs: role.secret_id_bound_cidrs,
    secret_id_num_uses: role.secret_id_num_uses,
    secret_id_ttl: role.secret_id_ttl,
    local_secret_ids: role.local_secret_ids,
    ...tokenData(role.token),
    ...legacyData(role.legacy),
  };
}

export function createAppRoleBackend(ctx: BackendContext, opts: AppRoleOptions = {}): Backend {
  const salt = new MountSalt();
  const roles = new AppRoleStore(salt);
  const secretIds = new SecretIdStore(salt);
  const nowMs = (): number => ctx.now().getTime();
  const lockout = new LoginLockout(nowMs, opts.lockout);
  const maxLeaseTtl = (): number => ctx.effectiveTtls().maxLeaseTtl;

  const roleName = (req: LogicalRequest): string => {
    const name = param(req.params, 'role_name');
    if (name.length > MAX_HMAC_INPUT) throw new LogicalError(`role_name is longer than maximum of ${MAX_HMAC_INPUT} bytes`);
    return name;
  };

  const requireRole = async (req: LogicalRequest): Promise<AppRoleEntry> => {
    const name = roleName(req);
    const role = await roles.get(req.storage, name);
    if (!role) throw new LogicalError(`role "${name}" does not exist`);
    return role;
  };

  // ------------------------------------------------------------------ role/:name

  const writeRole = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const name = roleName(req);
    const { values, present, warnings } = parseFields(roleFields, req.data);
    const existing = await roles.get(req.storage, name);
    const creating = existing === undefined;
    if (creating && req.operation === 'update') throw new LogicalError(`role name "${name}" doesn't exist`);
    const role: AppRoleEntry = existing ?? {
      name: name.toLowerCase(),
      role_id: '',
      bind_secret_id: true,
      secret_id_bound_cidrs: [],
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
      local_secret_ids: false,
      token: defaultTokenParams(),
      legacy: {},
    };
    applyTokenFields(role.token, values, present, { acceptDefaultPrefixedTypes: true, warnings });
    if (present.has('local_secret_ids')) {
      if (!creating) throw new LogicalError('local_secret_ids can only be modified during role creation');
      role.local_secret_ids = values.local_secret_ids;
    }
    const previousRoleId = role.role_id;
    if (present.has('role_id')) role.role_id = values.role_id;
    else if (creating) role.role_id = randomUUID();
    if (role.role_id === '') throw new LogicalError('invalid role_id supplied, or failed to generate a role_id');
    if (role.role_id.length > MAX_HMAC_INPUT) throw new LogicalError(`role_id is longer than maximum of ${MAX_HMAC_INPUT} bytes`);
    if (present.has('bind_secret_id')) role.bind_secret_id = values.bind_secret_id;
    if (present.has('secret_id_bound_cidrs')) role.secret_id_bound_cidrs = values.secret_id_bound_cidrs;
    else if (present.has('bound_cidr_list')) role.secret_id_bound_cidrs = values.bound_cidr_list;
    validateCidrs(role.secret_id_bound_cidrs, 'invalid CIDR blocks');
    if (present.has('secret_id_num_uses')) role.secret_id_num_uses = values.secret_id_num_uses;
    if (role.secret_id_num_uses < 0) throw new LogicalError('secret_id_num_uses cannot be negative');
    if (present.has('secret_id_ttl')) role.secret_id_ttl = values.secret_id_ttl;
    applyLegacyTokenFields(role.token, role.legacy, values, present, ['policies', 'period']);
    if (role.token.token_period > maxLeaseTtl()) {
      throw new LogicalError(
        `period of "${formatDuration(role.token.token_period)}" is greater than the backend's maximum lease TTL of "${formatDuration(maxLeaseTtl())}"`,
      );
    }
    if (role.token.token_max_ttl > maxLeaseTtl()) {
      warnings.push("token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated");
    }
    await roles.put(req.storage, role, creating ? '' : previousRoleId);
    return warningsOnly(warnings);
  };

  const readRole = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const role = await roles.get(req.storage, roleName(req));
    return role ? { data: roleData(role) } : undefined;
  };

  const deleteRole = async (req: LogicalRequest): Promise<undefined> => {
    const role = await roles.get(req.storage, roleName(req));
    if (!role) return undefined;
    await secretIds.flushRole(req.storage, role.name);
    await roles.delete(req.storage, role);
    return undefined;
  };

  // -------------------------------------------------- role/:name/<single field>

  /** One role property exposed at its own path (read, update, reset to default). */
  interface RoleProperty {
    path: string;
    fields: Record<string, ReturnType<(typeof field)[keyof typeof field]>>;
    read: (role: AppRoleEntry) => Record<string, unknown>;
    update?: (role: AppRoleEntry, values: Record<string, unknown>, present: ReadonlySet<string>) => void;
    reset?: (role: AppRoleEntry) => void;
  }

  const need = (present: ReadonlySet<string>, name: string, ...alternatives: string[]): void => {
    if (!present.has(name) && !alternatives.some((a) => present.has(a))) throw new LogicalError(`missing ${name}`);
  };

  const properties: RoleProperty[] = [
    {
      path: 'policies',
      fields: { token_policies: field.commaStringSlice(), policies: field.commaStringSlice() },
      read: (r) => ({ token_policies: r.token.token_policies, ...(r.legacy.policies ? { policies: r.legacy.policies } : {}) }),
      update: (r, v, p) => {
        need(p, 'token_policies', 'policies');
        applyLegacyTokenFields(r.token, r.legacy, v, p, ['policies']);
        if (p.has('token_policies')) r.token.token_policies = parsePolicies(v['token_policies'] as string[]);
      },
      reset: (r) => {
        r.token.token_policies = [];
        delete r.legacy.policies;
      },
    },
    {
      path: 'secret-id-num-uses',
      fields: { secret_id_num_uses: field.int() },
      read: (r) => ({ secret_id_num_uses: r.secret_id_num_uses }),
      update: (r, v, p) => {
        need(p, 'secret_id_num_uses');
        const n = v['secret_id_num_uses'] as number;
        if (n < 0) throw new LogicalError('secret_id_num_uses cannot be negative');
        r.secret_id_num_uses = n;
      },
      reset: (r) => (r.secret_id_num_uses = 0),
    },
    {
      path: 'secret-id-ttl',
      fields: { secret_id_ttl: field.duration() },
      read: (r) => ({ secret_id_ttl: r.secret_id_ttl }),
      update: (r, v, p) => {
        need(p, 'secret_id_ttl');
        r.secret_id_ttl = v['secret_id_ttl'] as number;
      },
      reset: (r) => (r.secret_id_ttl = 0),
    },
    {
      path: 'bind-secret-id',
      fields: { bind_secret_id: field.bool() },
      read: (r) => ({ bind_secret_id: r.bind_secret_id }),
      update: (r, v, p) => {
        need(p, 'bind_secret_id');
        r.bind_secret_id = v['bind_secret_id'] as boolean;
      },
      reset: (r) => (r.bind_secret_id = true),
    },
    {
      path: 'secret-id-bound-cidrs',
      fields: { secret_id_bound_cidrs: field.commaStringSlice() },
      read: (r) => ({ secret_id_bound_cidrs: r.secret_id_bound_cidrs }),
      update: (r, v) => {
        const cidrs = v['secret_id_bound_cidrs'] as string[];
        if (cidrs.length === 0) throw new LogicalError('missing bound_cidr_list');
        validateCidrs(cidrs, 'failed to validate CIDR blocks');
        r.secret_id_bound_cidrs = cidrs;
      },
      reset: (r) => (r.secret_id_bound_cidrs = []),
    },
    {
      path: 'bound-cidr-list',
      fields: { bound_cidr_list: field.commaStringSlice() },
      read: (r) => ({ bound_cidr_list: r.secret_id_bound_cidrs }),
      update: (r, v) => {
        const cidrs = v['bound_cidr_list'] as string[];
        if (cidrs.length === 0) throw new LogicalError('missing bound_cidr_list');
        validateCidrs(cidrs, 'failed to validate CIDR blocks');
        r.secret_id_bound_cidrs = cidrs;
      },
      reset: (r) => (r.secret_id_bound_cidrs = []),
    },
    {
      path: 'token-bound-cidrs',
      fields: { token_bound_cidrs: field.commaStringSlice() },
      read: (r) => ({ token_bound_cidrs: r.token.token_bound_cidrs }),
      update: (r, v) => {
        r.token.token_bound_cidrs = parseBoundCidrs(v['token_bound_cidrs'] as string[], 'token_bound_cidrs');
      },
      reset: (r) => (r.token.token_bound_cidrs = []),
    },
    {
      path: 'token-num-uses',
      fields: { token_num_uses: field.int() },
      read: (r) => ({ token_num_uses: r.token.token_num_uses }),
      update: (r, v, p) => {
        need(p, 'token_num_uses');
        const n = v['token_num_uses'] as number;
        if (n < 0) throw new LogicalError('token_num_uses cannot be negative');
        r.token.token_num_uses = n;
      },
      reset: (r) => (r.token.token_num_uses = 0),
    },
    {
      path: 'token-ttl',
      fields: { token_ttl: field.duration() },
      read: (r) => ({ token_ttl: r.token.token_ttl }),
      update: (r, v, p) => {
        need(p, 'token_ttl');
        r.token.token_ttl = v['token_ttl'] as number;
      },
      reset: (r) => (r.token.token_ttl = 0),
    },
    {
      path: 'token-max-ttl',
      fields: { token_max_ttl: field.duration() },
      read: (r) => ({ token_max_ttl: r.token.token_max_ttl }),
      update: (r, v, p) => {
        need(p, 'token_max_ttl');
        r.token.token_max_ttl = v['token_max_ttl'] as number;
      },
      reset: (r) => (r.token.token_max_ttl = 0),
    },
    {
      path: 'period',
      fields: { token_period: field.duration(), period: field.duration() },
      read: (r) => ({ token_period: r.token.token_period, ...(r.legacy.period ? { period: r.legacy.period } : {}) }),
      update: (r, v, p) => {
        if (!p.has('token_period') && !p.has('period')) throw new LogicalError('missing period');
        applyLegacyTokenFields(r.token, r.legacy, v, p, ['period']);
        if (p.has('token_period')) r.token.token_period = v['token_period'] as number;
        if (r.token.token_period > maxLeaseTtl()) {
          throw new LogicalError(
            `period of "${formatDuration(r.token.token_period)}" is greater than the backend's maximum lease TTL of "${formatDuration(maxLeaseTtl())}"`,
          );
        }
      },
      reset: (r) => {
        r.token.token_period = 0;
        delete r.legacy.period;
      },
    },
    { path: 'local-secret-ids', fields: {}, read: (r) => ({ local_secret_ids: r.local_secret_ids }) },
  ];

  const propertyPath = (prop: RoleProperty): PathDef => {
    const operations: PathDef['operations'] = {
      read: async (req) => {
        const role = await roles.get(req.storage, roleName(req));
        return role ? { data: prop.read(role) } : undefined;
      },
    };
    const { update, reset } = prop;
    if (update) {
      operations.update = async (req) => {
        const { values, present, warnings } = parseFields(prop.fields, req.data);
        const role = await roles.get(req.storage, roleName(req));
        if (!role) throw new LogicalError('unsupported path', 404);
        update(role, values, present);
        await roles.put(req.storage, role, '');
        return warningsOnly(warnings);
      };
    }
    if (reset) {
      operations.delete = async (req) => {
        const role = await roles.get(req.storage, roleName(req));
        if (!role) return undefined;
        reset(role);
        await roles.put(req.storage, role, '');
        return undefined;
      };
    }
    return { pattern: `${ROLE}/${prop.path}`, operations };
  };

  // ------------------------------------------------------------ role-id

  const readRoleId = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const role = await roles.get(req.storage, roleName(req));
    return role ? { data: { role_id: role.role_id } } : undefined;
  };

  const writeRoleId = async (req: LogicalRequest): Promise<undefined> => {
    const { values } = parseFields({ role_id: field.string() }, req.data);
    const role = await roles.get(req.storage, roleName(req));
    if (!role) throw new LogicalError('unsupported path', 404);
    const previous = role.role_id;
    if (values.role_id === '') throw new LogicalError('missing role_id');
    role.role_id = values.role_id;
    await roles.put(req.storage, role, previous);
    return undefined;
  };

  // ------------------------------------------------------------ secret IDs

  const issueSecretId = (custom: boolean) => async (req: LogicalRequest): Promise<LogicalResponse> => {
    const { values, present, warnings } = parseFields(secretIdFields, req.data);
    const secretId = custom ? values.secret_id : randomUUID();
    if (secretId === '') throw new LogicalError('missing secret_id');
    if (secretId.length > MAX_HMAC_INPUT) throw new LogicalError(`secret_id is longer than maximum of ${MAX_HMAC_INPUT} bytes`);
    const role = await requireRole(req);
    if (!role.bind_secret_id) throw new LogicalError('bind_secret_id is not set on the role');

    validateCidrs(values.cidr_list, 'failed to validate CIDR blocks');
    if (values.cidr_list.length > 0 && role.secret_id_bound_cidrs.length > 0 && !blocksAreSubset(role.secret_id_bound_cidrs, values.cidr_list)) {
      throw new LogicalError(
        `failed to verify subset relationship between CIDR blocks on the role ${JSON.stringify(role.secret_id_bound_cidrs)} and CIDR blocks on the secret ID ${JSON.stringify(values.cidr_list)}`,
      );
    }
    validateCidrs(values.token_bound_cidrs, 'failed to validate token CIDR blocks');
    if (values.token_bound_cidrs.length > 0 && role.token.token_bound_cidrs.length > 0 && !blocksAreSubset(role.token.token_bound_cidrs, values.token_bound_cidrs)) {
      throw new LogicalError(
        `failed to verify subset relationship between CIDR blocks on the role ${JSON.stringify(role.token.token_bound_cidrs)} and CIDR blocks on the secret ID ${JSON.stringify(values.token_bound_cidrs)}`,
      );
    }

    let numUses = role.secret_id_num_uses;
    if (present.has('num_uses')) {
      numUses = values.num_uses;
      if (numUses < 0) throw new LogicalError('num_uses cannot be negative');
      if ((numUses === 0 && role.secret_id_num_uses > 0) || (role.secret_id_num_uses > 0 && numUses > role.secret_id_num_uses)) {
        throw new LogicalError("num_uses cannot be higher than the role's secret_id_num_uses");
      }
    }
    let ttl = role.secret_id_ttl;
    if (present.has('ttl')) {
      ttl = values.ttl;
      if ((ttl === 0 && role.secret_id_ttl > 0) || (role.secret_id_ttl > 0 && ttl > role.secret_id_ttl)) {
        throw new LogicalError("ttl cannot be longer than the role's secret_id_ttl");
      }
    }
    // deriveSecretIDTTL: negative or beyond the mount's max falls back to the mount's max.
    const effectiveTtl = ttl < 0 || ttl > maxLeaseTtl() ? maxLeaseTtl() : ttl;
    let metadata: Record<string, string>;
    try {
      metadata = parseSecretIdMetadata(values.metadata);
    } catch (e) {
      throw new LogicalError(`failed to parse metadata: ${(e as Error).message}`);
    }
    const now = nowMs();
    let entry: SecretIdEntry;
    try {
      entry = await secretIds.create(
        req.storage,
        role.name,
        secretId,
        {
          secret_id_num_uses: numUses,
          secret_id_ttl: ttl,
          expiration_time: effectiveTtl > 0 ? now + effectiveTtl * 1000 : 0,
          metadata,
          cidr_list: values.cidr_list,
          token_bound_cidrs: values.token_bound_cidrs,
        },
        now,
      );
    } catch (e) {
      if ((e as Error).message === 'SecretID is already registered') throw new LogicalError('failed to store secret_id: SecretID is already registered');
      throw e;
    }
    return {
      data: { secret_id: secretId, secret_id_accessor: entry.secret_id_accessor, secret_id_ttl: effectiveTtl, secret_id_num_uses: entry.secret_id_num_uses },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  };

  const listSecretIds = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const role = await requireRole(req);
    return listResponse(await secretIds.listAccessors(req.storage, role.name));
  };

  const lookupSecretId = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values } = parseFields({ secret_id: field.string() }, req.data);
    if (values.secret_id === '') throw new LogicalError('missing secret_id');
    const role = await requireRole(req);
    const entry = await secretIds.lookup(req.storage, role.name, values.secret_id);
    return entry ? { data: secretIdData(entry) } : undefined;
  };

  const destroySecretId = async (req: LogicalRequest): Promise<undefined> => {
    const { values } = parseFields({ secret_id: field.string() }, req.data);
    if (values.secret_id === '') throw new LogicalError('missing secret_id');
    const role = await requireRole(req);
    await secretIds.destroy(req.storage, role.name, values.secret_id);
    return undefined;
  };

  const lookupAccessor = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values } = parseFields({ secret_id_accessor: field.string() }, req.data);
    if (values.secret_id_accessor === '') throw new LogicalError('missing secret_id_accessor');
    const role = await requireRole(req);
    const entry = await secretIds.lookupByAccessor(req.storage, role.name, values.secret_id_accessor);
    if (!entry) throw new LogicalError(`failed to find accessor entry for secret_id_accessor: "${values.secret_id_accessor}"`, 404);
    return { data: secretIdData(entry) };
  };

  const destroyAccessor = async (req: LogicalRequest): Promise<undefined> => {
    const { values } = parseFields({ secret_id_accessor: field.string() }, req.data);
    if (values.secret_id_accessor === '') throw new LogicalError('missing secret_id_accessor');
    const role = await requireRole(req);
    const gone = await secretIds.destroyByAccessor(req.storage, role.name, values.secret_id_accessor);
    if (!gone) throw new LogicalError(`failed to find accessor entry for secret_id_accessor: "${values.secret_id_accessor}"`);
    return undefined;
  };

  // ------------------------------------------------------------------ login

  const login = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const { values } = parseFields(loginFields, req.data);
    const roleId = values.role_id.trim();
    if (roleId === '') throw new LogicalError('missing role_id');
    if (lockout.isLocked(roleId)) throw denied();
    const invalid = (): LogicalError => new LogicalError('invalid role or secret ID');
    const name = roleId.length <= MAX_HMAC_INPUT ? await roles.nameForRoleId(req.storage, roleId) : undefined;
    const role = name === undefined ? undefined : await roles.get(req.storage, name);
    if (!role) throw invalid();
    const remote = req.connection.remoteAddress;

    let metadata: Record<string, string> = {};
    let secretEntry: SecretIdEntry | undefined;
    if (role.bind_secret_id) {
      const secretId = values.secret_id.trim();
      if (secretId === '') throw new LogicalError('missing secret_id');
      if (secretId.length > MAX_HMAC_INPUT) throw invalid();
      const result = await secretIds.consume(req.storage, role.name, secretId, nowMs(), (entry) => {
        if (entry.cidr_list.length > 0) {
          if (role.secret_id_bound_cidrs.length > 0 && !blocksAreSubset(role.secret_id_bound_cidrs, entry.cidr_list)) {
            throw new LogicalError(
              `failed to verify subset relationship between CIDR blocks on the role ${JSON.stringify(role.secret_id_bound_cidrs)} and CIDR blocks on the secret ID ${JSON.stringify(entry.cidr_list)}`,
            );
          }
          if (remote === '') throw new LogicalError('failed to get connection information', 500);
          if (!remoteAddrAllowed(remote, entry.cidr_list)) {
            throw new LogicalError(`source address "${remote}" unauthorized through CIDR restrictions on the secret ID`);
          }
        }
        if (role.secret_id_bound_cidrs.length > 0 && !remoteAddrAllowed(remote, role.secret_id_bound_cidrs)) {
          throw new LogicalError(`source address "${remote}" unauthorized by CIDR restrictions on the role`);
        }
      });
      if (!result.ok) {
        lockout.recordFailure(roleId);
        throw invalid();
      }
      secretEntry = result.entry;
      metadata = { ...result.entry.metadata };
    } else if (role.secret_id_bound_cidrs.length > 0 && !remoteAddrAllowed(remote, role.secret_id_bound_cidrs)) {
      throw new LogicalError(`source address "${remote}" unauthorized by CIDR restrictions on the role`);
    }

    lockout.recordSuccess(roleId);
    metadata['role_name'] = role.name;
    const auth = tokenAuth(role.token);
    const boundCidrs =
      secretEntry && secretEntry.token_bound_cidrs.length > 0 ? parseBoundCidrs(secretEntry.token_bound_cidrs, 'token_bound_cidrs') : role.token.token_bound_cidrs;
    delete auth.boundCidrs;
    return {
      auth: {
        ...auth,
        ...(boundCidrs.length > 0 ? { boundCidrs: [...boundCidrs] } : {}),
        metadata,
        alias: { name: role.role_id, metadata: { ...metadata } },
        internalData: { role_name: role.name },
      },
    };
  };

  /**
   * pathLoginRenew: the role the token was issued for (by name, as kept in internalData) must
   * still exist; its current token TTLs apply. Vault does not re-check policies here, and it
   * answers a missing role with a plain error, hence 500.
   */
  const renewAuth = async (rc: AuthRenewContext): Promise<AuthRenewResult> => {
    const name = rc.internalData['role_name'];
    if (typeof name !== 'string' || name === '') throw new LogicalError('failed to fetch role_name during renewal', 500);
    const role = await roles.get(rc.storage, name);
    if (!role) throw new LogicalError(`role ${JSON.stringify(name)} does not exist during renewal`, 500);
    return renewalTtls(role.token);
  };

  const tidy = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const removed = await secretIds.tidy(req.storage, nowMs());
    return { data: { removed }, warnings: ['Tidy operation successfully started. Any information from the operation will be printed to Vault\'s server logs.'] };
  };

  const paths: PathDef[] = [
    { pattern: 'login', unauthenticated: true, operations: { update: login } },
    { pattern: 'role/?', operations: { list: async (req) => listResponse(await roles.list(req.storage)) } },
    {
      pattern: ROLE,
      operations: { create: writeRole, update: writeRole, read: readRole, delete: deleteRole },
      existenceCheck: async (req) => (await roles.get(req.storage, roleName(req))) !== undefined,
    },
    ...properties.map(propertyPath),
    { pattern: `${ROLE}/role-id`, operations: { read: readRoleId, update: writeRoleId } },
    { pattern: `${ROLE}/secret-id/?`, operations: { update: issueSecretId(false), list: listSecretIds } },
    { pattern: `${ROLE}/custom-secret-id`, operations: { update: issueSecretId(true) } },
    { pattern: `${ROLE}/secret-id/lookup/?`, operations: { update: lookupSecretId } },
    { pattern: `${ROLE}/secret-id/destroy/?`, operations: { update: destroySecretId, delete: destroySecretId } },
    { pattern: `${ROLE}/secret-id-accessor/lookup/?`, operations: { update: lookupAccessor } },
    { pattern: `${ROLE}/secret-id-accessor/destroy/?`, operations: { update: destroyAccessor, delete: destroyAccessor } },
    { pattern: 'tidy/secret-id', operations: { update: tidy } },
  ];
  return { type: 'approle', paths, renewAuth };
}
