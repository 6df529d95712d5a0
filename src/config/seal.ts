/** `seal "shamir" {}` and `seal "pkcs11" { … }`, plus the VAULT_HSM_* environment overrides. */
import type { HclBlock } from '../hcl/decode.js';
import { BodyReader } from './body-reader.js';
import { ConfigError } from './errors.js';
import type { Pkcs11SealConfig, SealConfig, ServerConfig } from './schema.js';
import { canonicalHexId, canonicalSlot, optional, parseBoolString, parseMechanism } from './values.js';

export function parseSeal(block: HclBlock, file: string): SealConfig {
  const type = block.labels[0]!;
  const r = new BodyReader(block.body, { file, where: `seal "${type}"` });
  const source = r.source(block.pos);
  let seal: SealConfig;
  switch (type) {
    case 'shamir':
      seal = { type, disabled: r.bool('disabled') ?? false, source };
      break;
    case 'pkcs11': {
      const node = (key: string) => r.node(key)!;
      const slotRaw = r.node('slot');
      let slot: string | undefined;
      if (slotRaw !== undefined) {
        slot = slotRaw.kind === 'string' || slotRaw.kind === 'number' ? canonicalSlot(slotRaw.value) : undefined;
        if (slot === undefined) throw r.error(`${r.name('slot')} must be a slot number such as "0" or "0x1", got ${JSON.stringify(slotRaw.kind === 'string' || slotRaw.kind === 'number' ? slotRaw.value : slotRaw.kind)}`, slotRaw.pos);
      }
      const mechanism = (key: string): number | undefined => {
        const n = r.node(key);
        if (n === undefined) return undefined;
        const v = n.kind === 'string' || n.kind === 'number' ? parseMechanism(n.value) : undefined;
        if (v === undefined) throw r.error(`${r.name(key)} must be a mechanism number such as "0x1085" or a CKM_* name`, n.pos);
        return v;
      };
      const hexId = (key: string): string | undefined => {
        const s = r.string(key);
        if (s === undefined) return undefined;
        const v = canonicalHexId(s);
        if (v === undefined) throw r.error(`${r.name(key)} must be hex bytes, got ${JSON.stringify(s)}`, node(key).pos);
        return v;
      };
      seal = {
        type,
        disabled: r.bool('disabled') ?? false,
        ...optional('lib', r.string('lib')),
        ...optional('slot', slot),
        ...optional('token_label', r.string('token_label')),
        ...optional('pin', r.string('pin')),
        ...optional('key_label', r.string('key_label')),
        ...optional('hmac_key_label', r.string('hmac_key_label')),
        ...optional('mechanism', mechanism('mechanism')),
        ...optional('hmac_mechanism', mechanism('hmac_mechanism')),
        generate_key: r.bool('generate_key') ?? false,
        ...optional('key_id', hexId('key_id')),
        ...optional('hmac_key_id', hexId('hmac_key_id')),
        max_parallel: r.int('max_parallel', { min: 1 }) ?? 1,
        source,
      };
      break;
    }
    default:
      throw new ConfigError(`unsupported seal type "${type}" (supported: "shamir", "pkcs11")`, { file, line: block.pos.line });
  }
  r.finish();
  return seal;
}

/** The seal that protects the root key now: the enabled one, or Shamir when none is configured. */
export function activeSeal(config: Pick<ServerConfig, 'seals'>): SealConfig {
  return config.seals.find((s) => !s.disabled) ?? { type: 'shamir', disabled: false, source: 'default' };
}

/** The seal being migrated away from (the one marked `disabled`), if any. */
export function migrationSourceSeal(config: Pick<ServerConfig, 'seals'>): SealConfig | undefined {
  return config.seals.find((s) => s.disabled);
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Applies VAULT_SEAL_TYPE and the VAULT_HSM_* variables, which take precedence over the file
 * (as in Vault), then checks that every pkcs11 seal has what it needs. Pure: returns a new config.
 */
export function applySealEnv<C extends Pick<ServerConfig, 'seals'>>(config: C, env: Env): C {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  let seals = config.seals;
  const sealType = get('VAULT_SEAL_TYPE');
  if (sealType !== undefined && seals.length === 0) {
    if (sealType === 'pkcs11') seals = [{ type: 'pkcs11', disabled: false, generate_key: false, max_parallel: 1, source: 'VAULT_SEAL_TYPE' }];
    else if (sealType !== 'shamir') throw new ConfigError(`VAULT_SEAL_TYPE: unsupported seal type "${sealType}" (supported: "shamir", "pkcs11")`);
  }
  seals = seals.map((seal) => (seal.type === 'pkcs11' ? checkPkcs11(overridePkcs11(seal, get)) : seal));
  return { ...config, seals };
}

function overridePkcs11(seal: Pkcs11SealConfig, get: (name: string) => string | undefined): Pkcs11SealConfig {
  const out: Pkcs11SealConfig = { ...seal };
  const parsed = <T>(name: string, parse: (s: string) => T | undefined, want: string): T | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    const v = parse(raw);
    if (v === undefined) throw new ConfigError(`${name} must be ${want}, got ${JSON.stringify(raw)}`);
    return v;
  };
  const strings = [
    ['VAULT_HSM_LIB', 'lib'],
    ['VAULT_HSM_TOKEN_LABEL', 'token_label'],
    ['VAULT_HSM_PIN', 'pin'],
    ['VAULT_HSM_KEY_LABEL', 'key_label'],
    ['VAULT_HSM_HMAC_KEY_LABEL', 'hmac_key_label'],
  ] as const;
  for (const [name, key] of strings) {
    const v = get(name);
    if (v !== undefined) out[key] = v;
  }
  const slot = parsed('VAULT_HSM_SLOT', canonicalSlot, 'a slot number');
  if (slot !== undefined) out.slot = slot;
  const mechanism = parsed('VAULT_HSM_MECHANISM', parseMechanism, 'a mechanism number such as 0x1085');
  if (mechanism !== undefined) out.mechanism = mechanism;
  const hmacMechanism = parsed('VAULT_HSM_HMAC_MECHANISM', parseMechanism, 'a mechanism number such as 0x0251');
  if (hmacMechanism !== undefined) out.hmac_mechanism = hmacMechanism;
  const generate = parsed('VAULT_HSM_GENERATE_KEY', parseBoolString, 'true or false');
  if (generate !== undefined) out.generate_key = generate;
  const keyId = parsed('VAULT_HSM_KEY_ID', canonicalHexId, 'hex bytes');
  if (keyId !== undefined) out.key_id = keyId;
  const hmacKeyId = parsed('VAULT_HSM_HMAC_KEY_ID', canonicalHexId, 'hex bytes');
  if (hmacKeyId !== undefined) out.hmac_key_id = hmacKeyId;
  const maxParallel = parsed('VAULT_HSM_MAX_PARALLEL', (s) => (/^\d+$/.test(s) && Number(s) >= 1 ? Number(s) : undefined), 'a positive integer');
  if (maxParallel !== undefined) out.max_parallel = maxParallel;
  return out;
}

function checkPkcs11(seal: Pkcs11SealConfig): Pkcs11SealConfig {
  const where = sourceOf(seal.source);
  const need = (key: 'lib' | 'pin' | 'key_label', env: string) => {
    if (seal[key] === undefined || seal[key] === '') throw new ConfigError(`seal "pkcs11": "${key}" is required (in the config file or ${env})`, where);
  };
  need('lib', 'VAULT_HSM_LIB');
  need('pin', 'VAULT_HSM_PIN');
  need('key_label', 'VAULT_HSM_KEY_LABEL');
  if (seal.slot === undefined && (seal.token_label === undefined || seal.token_label === '')) {
    throw new ConfigError(`seal "pkcs11": "slot" or "token_label" is required (in the config file or VAULT_HSM_SLOT / VAULT_HSM_TOKEN_LABEL)`, where);
  }
  return seal;
}

/** "file:line" → ConfigError location. */
export function sourceOf(source: string): { file?: string; line?: number } {
  const m = /^(.*):(\d+)$/.exec(source);
  return m ? { file: m[1]!, line: Number(m[2]) } : { file: source };
}
