/**
 * JWT auth (vault-plugin-auth-jwt, JWT half): `config` with static PEM keys or a JWKS URL,
 * roles of role_type `jwt` binding audiences/subject/claims, and `login {role, jwt}`. Signatures
 * are verified with node:crypto (RSA, RSA-PSS, ECDSA and EdDSA algorithms only); time claims
 * follow hashicorp/cap.
 * OIDC discovery and the browser OIDC flow are not implemented.
 */
import type { KeyObject } from 'node:crypto';
import type { AuthRenewContext, AuthRenewResult, Backend, BackendContext, LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import type { StorageView } from '../../core/storage-view.js';
import { remoteAddrAllowed } from '../cidr.js';
import {
  applyLegacyTokenFields,
  applyTokenFields,
  defaultTokenParams,
  legacyData,
  legacyTokenFields,
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
import { ALL_ASYMMETRIC_ALGS, decodeJws, headerAlg, isSupportedAlg, publicKeyFromPem, verifyJwsSignature, type DecodedJws, type JwsAlg } from './jws.js';
import { ClaimError, audiencesOf, extractMetadata, getClaim, validateBoundClaims, validateClaims } from './claims.js';
import { JwksCache, parseJwks } from './jwks.js';
import { sendRequest } from '../https-client.js';

interface JwtConfig {
  jwt_validation_pubkeys: string[];
  jwks_url: string;
  jwks_ca_pem: string;
  bound_issuer: string;
  jwt_supported_algs: string[];
  default_role: string;
}

interface JwtRole {
  role_type: 'jwt' | 'oidc';
  bound_audiences: string[];
  user_claim: string;
  user_claim_json_pointer: boolean;
  bound_subject: string;
  bound_claims: Record<string, unknown>;
  bound_claims_type: 'string' | 'glob';
  groups_claim: string;
  claim_mappings: Record<string, string>;
  clock_skew_leeway: number;
  expiration_leeway: number;
  not_before_leeway: number;
  allowed_redirect_uris: string[];
  token: TokenParams;
  legacy: LegacyTokenValues;
}

const LEGACY: LegacyTokenField[] = ['policies', 'ttl', 'max_ttl', 'period', 'bound_cidrs', 'num_uses'];

const configFields = {
  jwt_validation_pubkeys: field.commaStringSlice(),
  jwks_url: field.string(),
  jwks_ca_pem: field.string(),
  bound_issuer: field.string(),
  jwt_supported_algs: field.commaStringSlice(),
  default_role: field.string(),
  oidc_discovery_url: field.string(),
  oidc_discovery_ca_pem: field.string(),
  oidc_client_id: field.string(),
  oidc_client_secret: field.string(),
};

const roleFields = {
  ...tokenFields,
  ...legacyTokenFields(LEGACY),
  role_type: field.string(),
  bound_audiences: field.commaStringSlice(),
  user_claim: field.string(),
  user_claim_json_pointer: field.bool(),
  bound_subject: field.string(),
  bound_claims: field.map(),
  bound_claims_type: field.string(),
  groups_claim: field.string(),
  claim_mappings: field.stringMap(),
  clock_skew_leeway: field.duration(),
  expiration_leeway: field.duration(),
  not_before_leeway: field.duration(),
  allowed_redirect_uris: field.commaStringSlice(),
};

export interface JwtOptions {
  /** JWKS cache lifetime and refetch floor (ms). */
  jwksMaxAgeMs?: number;
  jwksMinRefreshMs?: number;
}

export function createJwtBackend(ctx: BackendContext, opts: JwtOptions = {}): Backend {
  const nowMs = (): number => ctx.now().getTime();
  let jwks: { key: string; cache: JwksCache } | undefined;

  const getConfig = (s: StorageView): Promise<JwtConfig | undefined> => s.getJson<JwtConfig>('config');
  const getRole = async (s: StorageView, name: string): Promise<JwtRole | undefined> => {
    const raw = await s.getJson<JwtRole>(`role/${name.toLowerCase()}`);
    return raw ? { ...raw, token: storedTokenParams(raw.token), legacy: raw.legacy ?? {} } : undefined;
  };

  const jwksFor = (config: JwtConfig): JwksCache => {
    const key = `${config.jwks_url}\n${config.jwks_ca_pem}`;
    if (!jwks || jwks.key !== key) {
      const source = { url: config.jwks_url, ...(config.jwks_ca_pem ? { caPem: config.jwks_ca_pem } : {}) };
      jwks = { key, cache: new JwksCache(source, nowMs, opts.jwksMaxAgeMs, opts.jwksMinRefreshMs) };
    }
    return jwks.cache;
  };

  // ------------------------------------------------------------------ config

  const writeConfig = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, warnings } = parseFields(configFields, req.data);
    if (values.oidc_discovery_url !== '') throw new LogicalError('oidc_discovery_url is not supported by this server; use jwks_url or jwt_validation_pubkeys');
    const methods = (values.jwks_url !== '' ? 1 : 0) + (values.jwt_validation_pubkeys.length > 0 ? 1 : 0);
    if (methods !== 1) throw new LogicalError("exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set");
    for (const alg of values.jwt_supported_algs) {
      if (!isSupportedAlg(alg)) throw new LogicalError(`invalid jwt_supported_algs: unsupported signing algorithm "${alg}"`);
    }
    for (const pem of values.jwt_validation_pubkeys) {
      try {
        publicKeyFromPem(pem);
      } catch (e) {
        throw new LogicalError(`error parsing public key: ${(e as Error).message}`);
      }
    }
    if (values.jwks_url !== '') {
      // Vault checks the JWKS URL answers with keys before accepting the config.
      try {
        const res = await sendRequest({ url: values.jwks_url, ...(values.jwks_ca_pem ? { caPem: values.jwks_ca_pem } : {}) });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        parseJwks(JSON.parse(res.body.toString('utf8')));
      } catch (e) {
        throw new LogicalError(`error checking jwks URL: ${(e as Error).message}`);
      }
    }
    const config: JwtConfig = {
      jwt_validation_pubkeys: values.jwt_validation_pubkeys,
      jwks_url: values.jwks_url,
      jwks_ca_pem: values.jwks_ca_pem,
      bound_issuer: values.bound_issuer,
      jwt_supported_algs: values.jwt_supported_algs,
      default_role: values.default_role.toLowerCase(),
    };
    await req.storage.putJson('config', config);
    jwks = undefined;
    return warningsOnly(warnings);
  };

  const readConfig = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const c = await getConfig(req.storage);
    if (!c) return undefined;
    return {
      data: {
        oidc_discovery_url: '',
        oidc_discovery_ca_pem: '',
        oidc_client_id: '',
        default_role: c.default_role,
        jwt_validation_pubkeys: c.jwt_validation_pubkeys,
        jwt_supported_algs: c.jwt_supported_algs,
        jwks_url: c.jwks_url,
        jwks_ca_pem: c.jwks_ca_pem,
        bound_issuer: c.bound_issuer,
        provider_config: {},
        namespace_in_state: true,
      },
    };
  };

  // ------------------------------------------------------------------ roles

  const writeRole = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const name = param(req.params, 'name').toLowerCase();
    const { values, present, warnings } = parseFields(roleFields, req.data);
    const existing = await getRole(req.storage, name);
    const role: JwtRole = existing ?? {
      role_type: 'oidc',
      bound_audiences: [],
      user_claim: '',
      user_claim_json_pointer: false,
      bound_subject: '',
      bound_claims: {},
      bound_claims_type: 'string',
      groups_claim: '',
      claim_mappings: {},
      clock_skew_leeway: 60,
      expiration_leeway: 150,
      not_before_leeway: 150,
      allowed_redirect_uris: [],
      token: defaultTokenParams(),
      legacy: {},
    };
    if (present.has('role_type')) {
      if (values.role_type !== 'jwt' && values.role_type !== 'oidc') throw new LogicalError(`invalid 'role_type': ${values.role_type}`);
      if (existing && existing.role_type !== values.role_type) throw new LogicalError('role_type cannot be changed');
      role.role_type = values.role_type;
    }
    applyTokenFields(role.token, values, present);
    applyLegacyTokenFields(role.token, role.legacy, values, present, LEGACY);
    if (present.has('bound_audiences')) role.bound_audiences = values.bound_audiences;
    if (present.has('user_claim')) role.user_claim = values.user_claim;
    if (role.user_claim === '') throw new LogicalError('a user claim must be defined on the role');
    if (present.has('user_claim_json_pointer')) role.user_claim_json_pointer = values.user_claim_json_pointer;
    if (present.has('bound_subject')) role.bound_subject = values.bound_subject;
    if (present.has('bound_claims_type')) {
      if (values.bound_claims_type !== 'string' && values.bound_claims_type !== 'glob') {
        throw new LogicalError(`invalid 'bound_claims_type': ${values.bound_claims_type}`);
      }
      role.bound_claims_type = values.bound_claims_type;
    }
    if (present.has('bound_claims')) {
      for (const [k, v] of Object.entries(values.bound_claims)) {
        const ok = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x !== 'object'));
        if (!ok) throw new LogicalError(`bound claim is not a string or list: ${k}`);
        if (role.bound_claims_type === 'glob' && !(typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) {
          throw new LogicalError(`claim is not a string or list: ${JSON.stringify(v)}`);
        }
      }
      role.bound_claims = values.bound_claims;
    }
    if (present.has('groups_claim')) role.groups_claim = values.groups_claim;
    if (present.has('claim_mappings')) {
      const targets = new Set<string>();
      for (const t of Object.values(values.claim_mappings)) {
        if (targets.has(t)) throw new LogicalError(`multiple keys are mapped to metadata key "${t}"`);
        targets.add(t);
      }
      role.claim_mappings = values.claim_mappings;
    }
    if (present.has('clock_skew_leeway')) role.clock_skew_leeway = values.clock_skew_leeway;
    if (present.has('expiration_leeway')) role.expiration_leeway = values.expiration_leeway;
    if (present.has('not_before_leeway')) role.not_before_leeway = values.not_before_leeway;
    if (present.has('allowed_redirect_uris')) role.allowed_redirect_uris = values.allowed_redirect_uris;
    if (role.role_type === 'oidc' && role.allowed_redirect_uris.length === 0) {
      throw new LogicalError("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.");
    }
    if (
      role.role_type !== 'oidc' &&
      role.bound_audiences.length === 0 &&
      role.token.token_bound_cidrs.length === 0 &&
      role.bound_subject === '' &&
      Object.keys(role.bound_claims).length === 0
    ) {
      throw new LogicalError('must have at least one bound constraint when creating/updating a role');
    }
    await req.storage.putJson(`role/${name}`, role);
    return warningsOnly(warnings);
  };

  const readRole = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const r = await getRole(req.storage, param(req.params, 'name'));
    if (!r) return undefined;
    return {
      data: {
        role_type: r.role_type,
        bound_audiences: r.bound_audiences,
        user_claim: r.user_claim,
        user_claim_json_pointer: r.user_claim_json_pointer,
        bound_subject: r.bound_subject,
        bound_claims: Object.keys(r.bound_claims).length > 0 ? r.bound_claims : null,
        bound_claims_type: r.bound_claims_type,
        groups_claim: r.groups_claim,
        claim_mappings: Object.keys(r.claim_mappings).length > 0 ? r.claim_mappings : null,
        clock_skew_leeway: r.clock_skew_leeway,
        expiration_leeway: r.expiration_leeway,
        not_before_leeway: r.not_before_leeway,
        allowed_redirect_uris: r.allowed_redirect_uris,
        ...tokenData(r.token),
        ...legacyData(r.legacy),
      },
    };
  };

  // ------------------------------------------------------------------ login

  /** Verifies the signature with the configured keys; throws "error verifying token signature". */
  const verifySignature = async (config: JwtConfig, jws: DecodedJws, alg: JwsAlg): Promise<void> => {
    const tryKeys = (keys: Array<{ kid?: string; key: KeyObject }>): boolean => {
      const kid = typeof jws.header.kid === 'string' ? jws.header.kid : undefined;
      const candidates = kid === undefined ? keys : keys.filter((k) => k.kid === undefined || k.kid === kid);
      return candidates.some((k) => verifyJwsSignature(jws, alg, k.key));
    };
    if (config.jwt_validation_pubkeys.length > 0) {
      if (tryKeys(config.jwt_validation_pubkeys.map((pem) => ({ key: publicKeyFromPem(pem) })))) return;
    } else {
      const cache = jwksFor(config);
      let keys;
      try {
        keys = await cache.current();
      } catch (e) {
        throw new ClaimError(`error verifying token signature: fetching keys: ${(e as Error).message}`);
      }
      if (tryKeys(keys)) return;
      // An unknown or rotated key: look again (rate-limited by the cache).
      const refreshed = await cache.refresh().catch(() => keys);
      if (refreshed !== keys && tryKeys(refreshed)) return;
    }
    throw new ClaimError('error verifying token signature: failed to verify id token signature');
  };

  const login = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const { values } = parseFields({ role: field.string(), jwt: field.string() }, req.data);
    const config = await getConfig(req.storage);
    if (!config) throw new LogicalError('could not load configuration');
    const roleName = (values.role.toLowerCase() || config.default_role).toLowerCase();
    if (roleName === '') throw new LogicalError('missing role');
    const role = await getRole(req.storage, roleName);
    if (!role) throw new LogicalError(`role "${roleName}" could not be found`);
    if (role.role_type === 'oidc') throw new LogicalError('role with oidc role_type is not allowed');
    if (values.jwt === '') throw new LogicalError('missing token');
    if (!remoteAddrAllowed(req.connection.remoteAddress, role.token.token_bound_cidrs)) throw denied();

    let claims: Record<string, unknown>;
    try {
      let jws: DecodedJws;
      let alg: JwsAlg;
      try {
        jws = decodeJws(values.jwt);
        alg = headerAlg(jws, ALL_ASYMMETRIC_ALGS);
      } catch (e) {
        throw new ClaimError(`error verifying token signature: ${(e as Error).message}`);
      }
      await verifySignature(config, jws, alg);
      const allowed = config.jwt_supported_algs.length > 0 ? config.jwt_supported_algs : ALL_ASYMMETRIC_ALGS;
      if (!allowed.includes(alg)) throw new ClaimError('invalid algorithm (alg) header parameter: token signed with unexpected algorithm');
      claims = jws.claims;
      validateClaims(
        claims,
        {
          issuer: config.bound_issuer,
          subject: role.bound_subject,
          audiences: role.bound_audiences,
          clockSkewLeeway: role.clock_skew_leeway,
          expirationLeeway: role.expiration_leeway,
          notBeforeLeeway: role.not_before_leeway,
        },
        Math.floor(nowMs() / 1000),
      );
    } catch (e) {
      if (e instanceof ClaimError) throw new LogicalError(`error validating token: ${e.message}`);
      throw e;
    }

    if (audiencesOf(claims).length > 0 && role.bound_audiences.length === 0) {
      throw new LogicalError('audience claim found in JWT but no audiences bound to the role');
    }
    const userRaw = role.user_claim_json_pointer ? getClaim(claims, role.user_claim) : claims[role.user_claim];
    if (userRaw === undefined || userRaw === null) throw new LogicalError(`claim "${role.user_claim}" not found in token`);
    if (typeof userRaw !== 'string') throw new LogicalError(`claim "${role.user_claim}" could not be converted to string`);
    let metadata: Record<string, string>;
    try {
      metadata = extractMetadata(claims, role.claim_mappings);
      validateBoundClaims(role.bound_claims_type, role.bound_claims, claims);
    } catch (e) {
      if (!(e instanceof ClaimError)) throw e;
      throw new LogicalError(e.message.startsWith('error converting') ? e.message : `error validating claims: ${e.message}`);
    }
    metadata['role'] = roleName;
    return {
      auth: {
        ...tokenAuth(role.token),
        displayName: userRaw,
        alias: { name: userRaw, metadata: { ...metadata } },
        metadata,
        internalData: { role: roleName },
      },
    };
  };

  /**
   * pathLoginRenew: the role named in internalData must still exist; its current token TTLs
   * apply. Vault answers a missing role with a plain error, hence 500.
   */
  const renewAuth = async (rc: AuthRenewContext): Promise<AuthRenewResult> => {
    const name = rc.internalData['role'];
    if (typeof name !== 'string' || name === '') throw new LogicalError('failed to fetch role_name during renewal', 500);
    const role = await getRole(rc.storage, name);
    if (!role) throw new LogicalError(`role ${name} does not exist during renewal`, 500);
    return renewalTtls(role.token);
  };

  const paths: PathDef[] = [
    { pattern: 'login', unauthenticated: true, operations: { update: login } },
    { pattern: 'config', operations: { read: readConfig, update: writeConfig } },
    { pattern: 'role/?', operations: { list: async (req) => listResponse(await req.storage.list('role/')) } },
    {
      pattern: `role/${nameGroup('name')}`,
      operations: {
        create: writeRole,
        update: writeRole,
        read: readRole,
        delete: async (req) => {
          await req.storage.delete(`role/${param(req.params, 'name').toLowerCase()}`);
          return undefined;
        },
      },
      existenceCheck: async (req) => (await getRole(req.storage, param(req.params, 'name'))) !== undefined,
    },
  ];
  return { type: 'jwt', paths, renewAuth };
}
