/**
 * Userpass (builtin/credential/userpass): users with a password (hashed here with scrypt) or an
 * imported bcrypt `password_hash`, and `login/:username {password}`. Unknown users and wrong
 * passwords take the same path (one KDF run against the user's hash or a dummy one) and get the
 * same 400; failures of existing users count towards the lockout.
 */
import type { AuthRenewContext, AuthRenewResult, Backend, BackendContext, LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import type { StorageView } from '../../core/storage-view.js';
import { LoginLockout, type LockoutPolicy } from '../lockout.js';
import { remoteAddrAllowed } from '../cidr.js';
import {
  applyLegacyTokenFields,
  applyTokenFields,
  defaultTokenParams,
  equivalentPolicies,
  legacyData,
  legacyTokenFields,
  parsePolicies,
  renewalTtls,
  storedTokenParams,
  tokenAuth,
  tokenData,
  tokenFields,
  type LegacyTokenField,
  type LegacyTokenValues,
  type TokenParams,
} from '../tokenutil.js';
import { denied, listResponse, nameGroup, param, warningsOnly } from '../paths.js';
import { PasswordHasher, isBcryptHash } from './password-hash.js';

const USER = `users/${nameGroup('username')}`;
const LEGACY: LegacyTokenField[] = ['policies', 'ttl', 'max_ttl', 'bound_cidrs'];

interface UserEntry {
  /** `$scrypt$…` made here, or an imported bcrypt hash. */
  password_hash: string;
  token: TokenParams;
  legacy: LegacyTokenValues;
}

const userFields = {
  ...tokenFields,
  ...legacyTokenFields(LEGACY),
  password: field.string(),
  password_hash: field.string(),
};

export interface UserpassOptions {
  hasher?: PasswordHasher;
  lockout?: LockoutPolicy;
}

export function createUserpassBackend(ctx: BackendContext, opts: UserpassOptions = {}): Backend {
  const hasher = opts.hasher ?? new PasswordHasher();
  const lockout = new LoginLockout(() => ctx.now().getTime(), opts.lockout);

  const username = (req: LogicalRequest): string => param(req.params, 'username').toLowerCase();
  const getUser = async (storage: StorageView, name: string): Promise<UserEntry | undefined> => {
    const raw = await storage.getJson<UserEntry>(`user/${name}`);
    return raw ? { ...raw, token: storedTokenParams(raw.token), legacy: raw.legacy ?? {} } : undefined;
  };
  const putUser = (storage: StorageView, name: string, user: UserEntry): Promise<void> => storage.putJson(`user/${name}`, user);

  /** Sets the password from `password` or `password_hash`; false if neither was sent. */
  const applyPassword = async (user: UserEntry, values: { password: string; password_hash: string }, present: ReadonlySet<string>): Promise<boolean> => {
    const hasPassword = present.has('password') && values.password !== '';
    const hasHash = present.has('password_hash') && values.password_hash !== '';
    if (hasPassword && hasHash) throw new LogicalError('only one of password or password_hash can be set');
    if (hasHash) {
      if (!isBcryptHash(values.password_hash)) throw new LogicalError('invalid password_hash: expected a bcrypt hash');
      user.password_hash = values.password_hash;
      return true;
    }
    if (hasPassword) {
      user.password_hash = await hasher.hash(values.password);
      return true;
    }
    if (present.has('password') || present.has('password_hash')) throw new LogicalError('missing password');
    return false;
  };

  const writeUser = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const name = username(req);
    const { values, present, warnings } = parseFields(userFields, req.data);
    const existing = await getUser(req.storage, name);
    const user: UserEntry = existing ?? { password_hash: '', token: defaultTokenParams(), legacy: {} };
    applyTokenFields(user.token, values, present);
    const passwordSet = await applyPassword(user, values, present);
    if (!existing && !passwordSet) throw new LogicalError('missing password');
    applyLegacyTokenFields(user.token, user.legacy, values, present, LEGACY);
    await putUser(req.storage, name, user);
    return warningsOnly(warnings);
  };

  const readUser = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const user = await getUser(req.storage, username(req));
    return user ? { data: { ...tokenData(user.token), ...legacyData(user.legacy) } } : undefined;
  };

  const deleteUser = async (req: LogicalRequest): Promise<undefined> => {
    await req.storage.delete(`user/${username(req)}`);
    return undefined;
  };

  const updatePassword = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present, warnings } = parseFields({ password: field.string(), password_hash: field.string() }, req.data);
    const name = username(req);
    const user = await getUser(req.storage, name);
    if (!user) throw new LogicalError('username does not exist');
    if (!(await applyPassword(user, values, present))) throw new LogicalError('missing password');
    await putUser(req.storage, name, user);
    return warningsOnly(warnings);
  };

  const updatePolicies = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const fields = { token_policies: field.commaStringSlice(), policies: field.commaStringSlice() };
    const { values, present, warnings } = parseFields(fields, req.data);
    const name = username(req);
    const user = await getUser(req.storage, name);
    if (!user) throw new LogicalError('username does not exist');
    if (!present.has('token_policies') && !present.has('policies')) throw new LogicalError('missing token_policies');
    if (present.has('token_policies')) user.token.token_policies = parsePolicies(values.token_policies);
    applyLegacyTokenFields(user.token, user.legacy, values, present, ['policies']);
    await putUser(req.storage, name, user);
    return warningsOnly(warnings);
  };

  const login = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const { values } = parseFields({ password: field.string() }, req.data);
    const name = username(req);
    if (values.password === '') throw new LogicalError('missing password');
    if (lockout.isLocked(name)) throw denied();
    const user = await getUser(req.storage, name);
    // The same KDF run whether or not the user exists.
    const matches = await hasher.verify(values.password, user?.password_hash ?? (await hasher.dummyHash()));
    if (!matches || !user) {
      if (user) lockout.recordFailure(name);
      throw new LogicalError('invalid username or password');
    }
    if (!remoteAddrAllowed(req.connection.remoteAddress, user.token.token_bound_cidrs)) throw denied();
    lockout.recordSuccess(name);
    return {
      auth: {
        ...tokenAuth(user.token),
        metadata: { username: name },
        displayName: name,
        alias: { name },
      },
    };
  };

  /**
   * pathLoginRenew: the user must still exist with the same policies; its current token TTLs
   * apply. Vault answers a deleted user with an empty response (no renewal, HTTP 204); the hook
   * can only refuse, so this refuses with 400. Changed policies are Vault's plain error (500).
   */
  const renewAuth = async (rc: AuthRenewContext): Promise<AuthRenewResult> => {
    const name = rc.metadata['username'] ?? '';
    const user = name === '' ? undefined : await getUser(rc.storage, name);
    if (!user) throw new LogicalError(`user ${JSON.stringify(name)} no longer exists, not renewing`);
    if (!equivalentPolicies(user.token.token_policies, rc.policies)) throw new LogicalError('policies have changed, not renewing', 500);
    return renewalTtls(user.token);
  };

  const paths: PathDef[] = [
    { pattern: `login/${nameGroup('username')}`, unauthenticated: true, operations: { update: login } },
    { pattern: 'users/?', operations: { list: async (req) => listResponse(await req.storage.list('user/')) } },
    {
      pattern: USER,
      operations: { create: writeUser, update: writeUser, read: readUser, delete: deleteUser },
      existenceCheck: async (req) => (await getUser(req.storage, username(req))) !== undefined,
    },
    { pattern: `${USER}/password`, operations: { update: updatePassword } },
    { pattern: `${USER}/policies`, operations: { update: updatePolicies } },
  ];
  return { type: 'userpass', paths, renewAuth };
}
