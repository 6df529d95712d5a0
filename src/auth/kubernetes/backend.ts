/**
 * Kubernetes auth (vault-plugin-auth-kubernetes): `config` pointing at the API server, roles
 * binding service-account names and namespaces, and `login {role, jwt}`: the JWT is parsed (and
 * its signature checked when `pem_keys` are configured), the bindings are enforced locally, and
 * the API server's TokenReview must vouch for the token. Reasons for refusals that the client
 * only sees as `permission denied` go to `onRejected` (Vault logs them at debug level).
 */
import { readFile } from 'node:fs/promises';
import type { AuthRenewContext, AuthRenewResult, Backend, BackendContext, LogicalRequest, LogicalResponse, PathDef } from '../../core/logical.js';
import { LogicalError } from '../../core/logical.js';
import { field, parseFields } from '../../core/fields.js';
import type { StorageView } from '../../core/storage-view.js';
import { remoteAddrAllowed } from '../cidr.js';
import { anyGlobMatches } from '../glob.js';
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
import { decodeJws, headerAlg, publicKeyFromPem, verifyJwsSignature, type DecodedJws, type JwsAlg } from '../jwt/jws.js';
import { ClaimError, validateClaims } from '../jwt/claims.js';
import { namespaceLabels, reviewToken, type TokenReviewTarget } from './token-review.js';
import { serviceAccountFromClaims } from './service-account.js';
import { parseLabelSelector, selectorMatches } from './label-selector.js';

/** Signing algorithms the Kubernetes API server's OIDC issuer may use. */
const K8S_ALGS: JwsAlg[] = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];
const LEGACY: LegacyTokenField[] = ['policies', 'bound_cidrs', 'num_uses', 'ttl', 'max_ttl', 'period'];
const ALIAS_SOURCES = ['serviceaccount_uid', 'serviceaccount_name'] as const;
type AliasSource = (typeof ALIAS_SOURCES)[number];

interface KubeConfig {
  kubernetes_host: string;
  kubernetes_ca_cert: string;
  token_reviewer_jwt: string;
  pem_keys: string[];
  issuer: string;
  disable_iss_validation: boolean;
  disable_local_ca_jwt: boolean;
}

interface KubeRole {
  bound_service_account_names: string[];
  bound_service_account_namespaces: string[];
  bound_service_account_namespace_selector: string;
  audience: string;
  alias_name_source: AliasSource;
  token: TokenParams;
  legacy: LegacyTokenValues;
}

const configFields = {
  kubernetes_host: field.string(),
  kubernetes_ca_cert: field.string(),
  token_reviewer_jwt: field.string(),
  pem_keys: field.commaStringSlice(),
  issuer: field.string(),
  disable_iss_validation: field.bool(),
  disable_local_ca_jwt: field.bool(),
};

const roleFields = {
  ...tokenFields,
  ...legacyTokenFields(LEGACY),
  bound_service_account_names: field.commaStringSlice(),
  bound_service_account_namespaces: field.commaStringSlice(),
  bound_service_account_namespace_selector: field.string(),
  audience: field.string(),
  alias_name_source: field.string(),
};

export interface KubernetesOptions {
  /** Where a pod finds its own CA and token (used unless disable_local_ca_jwt). */
  localCaPath?: string;
  localTokenPath?: string;
  /** Receives the reason behind each refused login (the client only sees the status and message). */
  onRejected?: (reason: string) => void;
}

async function readLocal(path: string | undefined): Promise<string> {
  if (!path) return '';
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return '';
  }
}

export function createKubernetesBackend(ctx: BackendContext, opts: KubernetesOptions = {}): Backend {
  const localCaPath = opts.localCaPath ?? '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';
  const localTokenPath = opts.localTokenPath ?? '/var/run/secrets/kubernetes.io/serviceaccount/token';
  const rejected = (reason: string): void => opts.onRejected?.(reason);

  const getConfig = (s: StorageView): Promise<KubeConfig | undefined> => s.getJson<KubeConfig>('config');
  const getRole = async (s: StorageView, name: string): Promise<KubeRole | undefined> => {
    const raw = await s.getJson<KubeRole>(`role/${name.toLowerCase()}`);
    return raw ? { ...raw, token: storedTokenParams(raw.token), legacy: raw.legacy ?? {} } : undefined;
  };

  // ------------------------------------------------------------------ config

  const writeConfig = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const { values, present, warnings } = parseFields(configFields, req.data);
    if (values.kubernetes_host === '') throw new LogicalError('no host provided');
    if (values.token_reviewer_jwt !== '') {
      try {
        decodeJws(values.token_reviewer_jwt);
      } catch (e) {
        throw new LogicalError(`token_reviewer_jwt is not a valid JWT: ${(e as Error).message}`);
      }
    }
    for (const pem of values.pem_keys) {
      try {
        const key = publicKeyFromPem(pem);
        if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') throw new Error('unsupported key type');
      } catch {
        throw new LogicalError('data does not contain any valid RSA or ECDSA public keys');
      }
    }
    // Deprecated and on by default: Kubernetes issuers vary, the TokenReview is what counts.
    const disableIss = present.has('disable_iss_validation') ? values.disable_iss_validation : true;
    const config: KubeConfig = {
      kubernetes_host: values.kubernetes_host,
      kubernetes_ca_cert: values.kubernetes_ca_cert,
      token_reviewer_jwt: values.token_reviewer_jwt,
      pem_keys: values.pem_keys,
      issuer: values.issuer,
      disable_iss_validation: disableIss,
      disable_local_ca_jwt: values.disable_local_ca_jwt,
    };
    await req.storage.putJson('config', config);
    return warningsOnly(warnings);
  };

  const readConfig = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const c = await getConfig(req.storage);
    if (!c) return undefined;
    return {
      data: {
        kubernetes_host: c.kubernetes_host,
        kubernetes_ca_cert: c.kubernetes_ca_cert,
        pem_keys: c.pem_keys,
        issuer: c.issuer,
        disable_iss_validation: c.disable_iss_validation,
        disable_local_ca_jwt: c.disable_local_ca_jwt,
        token_reviewer_jwt_set: c.token_reviewer_jwt !== '',
      },
    };
  };

  // ------------------------------------------------------------------ roles

  const writeRole = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const name = param(req.params, 'name').toLowerCase();
    const { values, present, warnings } = parseFields(roleFields, req.data);
    const existing = await getRole(req.storage, name);
    const role: KubeRole = existing ?? {
      bound_service_account_names: [],
      bound_service_account_namespaces: [],
      bound_service_account_namespace_selector: '',
      audience: '',
      alias_name_source: 'serviceaccount_uid',
      token: defaultTokenParams(),
      legacy: {},
    };
    applyTokenFields(role.token, values, present);
    applyLegacyTokenFields(role.token, role.legacy, values, present, LEGACY);
    const maxLease = ctx.effectiveTtls().maxLeaseTtl;
    if (role.token.token_period > maxLease) {
      throw new LogicalError(`token period of '${role.token.token_period}s' is greater than the backend's maximum lease TTL of '${maxLease}s'`);
    }
    if (role.token.token_max_ttl > 0 && role.token.token_ttl > role.token.token_max_ttl) throw new LogicalError('token ttl should not be greater than token max ttl');
    if (role.token.token_max_ttl > maxLease) {
      warnings.push("max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated");
    }
    if (present.has('bound_service_account_names')) role.bound_service_account_names = values.bound_service_account_names;
    if (role.bound_service_account_names.length === 0) throw new LogicalError('"bound_service_account_names" can not be empty');
    if (role.bound_service_account_names.length > 1 && role.bound_service_account_names.includes('*')) throw new LogicalError('can not mix "*" with values');
    if (present.has('bound_service_account_namespaces')) role.bound_service_account_namespaces = values.bound_service_account_namespaces;
    if (present.has('bound_service_account_namespace_selector')) role.bound_service_account_namespace_selector = values.bound_service_account_namespace_selector;
    if (role.bound_service_account_namespaces.length === 0 && role.bound_service_account_namespace_selector === '') {
      throw new LogicalError('"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set');
    }
    if (role.bound_service_account_namespace_selector !== '') {
      try {
        parseLabelSelector(role.bound_service_account_namespace_selector);
      } catch {
        throw new LogicalError('invalid "bound_service_account_namespace_selector" configured');
      }
    }
    if (role.bound_service_account_namespaces.length > 1 && role.bound_service_account_namespaces.includes('*')) throw new LogicalError('can not mix "*" with values');
    if (present.has('audience')) role.audience = values.audience;
    if (present.has('alias_name_source') && values.alias_name_source !== '') {
      if (!(ALIAS_SOURCES as readonly string[]).includes(values.alias_name_source)) {
        throw new LogicalError(`invalid alias_name_source "${values.alias_name_source}", must be one of: ${ALIAS_SOURCES.join(', ')}`);
      }
      role.alias_name_source = values.alias_name_source as AliasSource;
    }
    await req.storage.putJson(`role/${name}`, role);
    return warningsOnly(warnings);
  };

  const readRole = async (req: LogicalRequest): Promise<LogicalResponse | undefined> => {
    const r = await getRole(req.storage, param(req.params, 'name'));
    if (!r) return undefined;
    return {
      data: {
        bound_service_account_names: r.bound_service_account_names,
        bound_service_account_namespaces: r.bound_service_account_namespaces,
        bound_service_account_namespace_selector: r.bound_service_account_namespace_selector,
        ...(r.audience !== '' ? { audience: r.audience } : {}),
        alias_name_source: r.alias_name_source,
        ...tokenData(r.token),
        ...legacyData(r.legacy),
      },
    };
  };

  // ------------------------------------------------------------------ login

  const reviewTarget = async (config: KubeConfig, loginJwt: string): Promise<TokenReviewTarget> => {
    let caPem = config.kubernetes_ca_cert;
    let reviewer = config.token_reviewer_jwt;
    if (!config.disable_local_ca_jwt) {
      if (caPem === '') caPem = await readLocal(localCaPath);
      if (reviewer === '') reviewer = await readLocal(localTokenPath);
    }
    return { host: config.kubernetes_host, bearer: reviewer !== '' ? reviewer : loginJwt, ...(caPem !== '' ? { caPem } : {}) };
  };

  /** 403 with the given message; the reason also goes to onRejected. */
  const forbidden = (message: string, reason = message): LogicalError => {
    rejected(reason);
    return new LogicalError(message, 403);
  };

  const login = async (req: LogicalRequest): Promise<LogicalResponse> => {
    const { values } = parseFields({ role: field.string(), jwt: field.string() }, req.data);
    if (values.role === '') throw new LogicalError('missing role');
    if (values.jwt === '') throw new LogicalError('missing jwt');
    const role = await getRole(req.storage, values.role);
    if (!role) throw new LogicalError(`invalid role name "${values.role}"`);
    if (!remoteAddrAllowed(req.connection.remoteAddress, role.token.token_bound_cidrs)) {
      rejected(`source address ${req.connection.remoteAddress} not in token_bound_cidrs`);
      throw denied();
    }
    const config = await getConfig(req.storage);
    if (!config) throw new LogicalError('could not load backend configuration', 500);

    let jws: DecodedJws;
    let alg: JwsAlg;
    try {
      jws = decodeJws(values.jwt);
      alg = headerAlg(jws, K8S_ALGS);
    } catch (e) {
      throw forbidden(`error verifying token signature: ${(e as Error).message}`);
    }
    if (config.pem_keys.length > 0 && !config.pem_keys.some((pem) => verifyJwsSignature(jws, alg, publicKeyFromPem(pem)))) {
      rejected('JWT signature does not verify with any of pem_keys');
      throw denied();
    }
    try {
      validateClaims(
        jws.claims,
        {
          ...(!config.disable_iss_validation && config.issuer !== '' ? { issuer: config.issuer } : {}),
          ...(role.audience.trim() !== '' ? { audiences: [role.audience] } : {}),
          allowMissingTimes: true,
        },
        Math.floor(ctx.now().getTime() / 1000),
      );
    } catch (e) {
      if (e instanceof ClaimError) throw forbidden(e.message);
      throw e;
    }
    const sa = serviceAccountFromClaims(jws.claims);
    const names = role.bound_service_account_names;
    if (!(names.length === 1 && names[0] === '*') && !anyGlobMatches(names, sa.name)) throw forbidden('service account name not authorized');

    const target = await reviewTarget(config, values.jwt);
    const namespaces = role.bound_service_account_namespaces;
    let allowed = namespaces.length > 0 && (namespaces[0] === '*' || anyGlobMatches(namespaces, sa.namespace));
    let selectorError = '';
    if (!allowed && role.bound_service_account_namespace_selector !== '') {
      try {
        const labels = await namespaceLabels(target, sa.namespace);
        allowed = selectorMatches(parseLabelSelector(role.bound_service_account_namespace_selector), labels);
      } catch (e) {
        selectorError = (e as Error).message;
      }
    }
    if (!allowed) throw forbidden(selectorError === '' ? 'namespace not authorized' : `namespace not authorized err=${selectorError}`);

    let aliasName: string;
    if (role.alias_name_source === 'serviceaccount_name') {
      if (sa.namespace === '' || sa.name === '') throw new LogicalError('service account namespace and name must be set', 500);
      aliasName = `${sa.namespace}/${sa.name}`;
    } else {
      if (sa.uid === '') throw new LogicalError('could not parse UID from claims', 500);
      aliasName = sa.uid;
    }

    const wantAudiences = role.audience !== '' ? [role.audience] : sa.audiences;
    try {
      const review = await reviewToken(target, values.jwt, wantAudiences);
      if (review.name !== sa.name) throw new Error('JWT names did not match');
      if (review.uid !== sa.uid) throw new Error('JWT UIDs did not match');
      if (review.namespace !== sa.namespace) throw new Error('JWT namepaces did not match');
    } catch (e) {
      rejected((e as Error).message);
      throw denied();
    }
    if (sa.uid === '') throw new LogicalError('could not parse UID from claims', 500);

    const saMetadata = {
      service_account_uid: sa.uid,
      service_account_name: sa.name,
      service_account_namespace: sa.namespace,
      service_account_secret_name: sa.secretName,
    };
    return {
      auth: {
        ...tokenAuth(role.token),
        alias: { name: aliasName, metadata: { ...saMetadata } },
        internalData: { role: values.role },
        metadata: { ...saMetadata, role: values.role },
        displayName: `${sa.namespace}-${sa.name}`,
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
    { pattern: 'config', operations: { read: readConfig, update: writeConfig, create: writeConfig } },
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
  return { type: 'kubernetes', paths, renewAuth };
}
