import { describe, expect, it } from 'vitest';
import { applyEnv, applySealEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfigText } from '../../src/config/finalize.js';
import { activeSeal, migrationSourceSeal } from '../../src/config/seal.js';

const BASE = 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }\n';
const cfg = (extra = '') => parseConfigText(BASE + extra, 'config.hcl');

const FULL_HSM_ENV = {
  VAULT_HSM_LIB: '/env/lib.so',
  VAULT_HSM_SLOT: '42',
  VAULT_HSM_TOKEN_LABEL: 'env-token',
  VAULT_HSM_PIN: 'env-pin',
  VAULT_HSM_KEY_LABEL: 'env-key',
  VAULT_HSM_HMAC_KEY_LABEL: 'env-hmac',
  VAULT_HSM_MECHANISM: '0x1087',
  VAULT_HSM_HMAC_MECHANISM: '0x0251',
  VAULT_HSM_GENERATE_KEY: 'true',
};

describe('applySealEnv', () => {
  it('lets every VAULT_HSM_* variable override the file', () => {
    const config = cfg('seal "pkcs11" {\n lib = "/file/lib.so"\n slot = "1"\n pin = "file-pin"\n key_label = "file-key"\n mechanism = "0x1085"\n}');
    const [seal] = applySealEnv(config, FULL_HSM_ENV).seals;
    expect(seal).toEqual({
      type: 'pkcs11',
      disabled: false,
      lib: '/env/lib.so',
      slot: '42',
      token_label: 'env-token',
      pin: 'env-pin',
      key_label: 'env-key',
      hmac_key_label: 'env-hmac',
      mechanism: 0x1087,
      hmac_mechanism: 0x0251,
      generate_key: true,
      max_parallel: 1,
      source: 'config.hcl:3',
    });
  });

  it('completes a pkcs11 seal whose secrets come only from the environment', () => {
    const config = cfg('seal "pkcs11" {\n lib = "/usr/lib/softhsm/libsofthsm2.so"\n token_label = "coffer"\n key_label = "k"\n}');
    expect(() => applySealEnv(config, {})).toThrow('config.hcl:3: seal "pkcs11": "pin" is required (in the config file or VAULT_HSM_PIN)');
    expect(applySealEnv(config, { VAULT_HSM_PIN: '1234' }).seals[0]).toMatchObject({ pin: '1234', token_label: 'coffer' });
  });

  it('ignores unset and empty variables and does not modify its input', () => {
    const config = cfg('seal "pkcs11" {\n lib = "/l.so"\n slot = "0"\n pin = "p"\n key_label = "k"\n}');
    const before = structuredClone(config);
    const after = applySealEnv(config, { VAULT_HSM_PIN: '', VAULT_HSM_LIB: undefined, VAULT_HSM_KEY_LABEL: 'new' });
    expect(after.seals[0]).toMatchObject({ lib: '/l.so', pin: 'p', key_label: 'new' });
    expect(config).toEqual(before);
  });

  it('creates a pkcs11 seal from VAULT_SEAL_TYPE when the file has no seal', () => {
    const after = applySealEnv(cfg(), { VAULT_SEAL_TYPE: 'pkcs11', ...FULL_HSM_ENV });
    expect(after.seals).toHaveLength(1);
    expect(after.seals[0]).toMatchObject({ type: 'pkcs11', lib: '/env/lib.so', slot: '42', source: 'VAULT_SEAL_TYPE' });
    expect(applySealEnv(cfg(), { VAULT_SEAL_TYPE: 'shamir' }).seals).toEqual([]);
  });

  it.each<[Record<string, string>, string]>([
    [{ VAULT_SEAL_TYPE: 'awskms' }, 'VAULT_SEAL_TYPE: unsupported seal type "awskms" (supported: "shamir", "pkcs11")'],
    [{ VAULT_SEAL_TYPE: 'pkcs11', VAULT_HSM_PIN: '1', VAULT_HSM_KEY_LABEL: 'k', VAULT_HSM_SLOT: '0' }, 'VAULT_SEAL_TYPE: seal "pkcs11": "lib" is required (in the config file or VAULT_HSM_LIB)'],
    [{ VAULT_SEAL_TYPE: 'pkcs11', VAULT_HSM_LIB: '/l', VAULT_HSM_PIN: '1', VAULT_HSM_KEY_LABEL: 'k' }, 'seal "pkcs11": "slot" or "token_label" is required'],
    [{ VAULT_SEAL_TYPE: 'pkcs11', ...FULL_HSM_ENV, VAULT_HSM_SLOT: 'one' }, 'VAULT_HSM_SLOT must be a slot number, got "one"'],
    [{ VAULT_SEAL_TYPE: 'pkcs11', ...FULL_HSM_ENV, VAULT_HSM_MECHANISM: 'fast' }, 'VAULT_HSM_MECHANISM must be a mechanism number such as 0x1085, got "fast"'],
    [{ VAULT_SEAL_TYPE: 'pkcs11', ...FULL_HSM_ENV, VAULT_HSM_GENERATE_KEY: 'yes' }, 'VAULT_HSM_GENERATE_KEY must be true or false, got "yes"'],
  ])('rejects %j', (env, message) => {
    const run = () => applySealEnv(cfg(), env);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('leaves a shamir-only config alone', () => {
    const config = cfg('seal "shamir" {}');
    expect(applySealEnv(config, FULL_HSM_ENV).seals).toEqual(config.seals);
  });
});

describe('applyEnv', () => {
  it('applies VAULT_API_ADDR, VAULT_CLUSTER_ADDR, VAULT_LOG_LEVEL, VAULT_LOG_FORMAT and COFFER_ENVIRONMENT', () => {
    const after = applyEnv(cfg('api_addr = "http://file:8200"\nenvironment = "staging"'), {
      VAULT_API_ADDR: 'https://env:8200',
      VAULT_CLUSTER_ADDR: 'https://env:8201',
      VAULT_LOG_LEVEL: 'TRACE',
      VAULT_LOG_FORMAT: 'json',
      COFFER_ENVIRONMENT: 'production',
    });
    expect(after).toMatchObject({
      api_addr: 'https://env:8200',
      cluster_addr: 'https://env:8201',
      log_level: 'trace',
      log_format: 'json',
      environment: 'production',
    });
  });

  it('keeps the file values when the variables are absent, and applies the seal variables too', () => {
    const config = cfg('environment = "staging"\nseal "pkcs11" {\n lib = "/l.so"\n slot = "0"\n key_label = "k"\n}');
    const after = applyEnv(config, { VAULT_HSM_PIN: '9' });
    expect(after.environment).toBe('staging');
    expect(after.seals[0]).toMatchObject({ pin: '9' });
  });

  it.each<[Record<string, string>, string]>([
    [{ VAULT_API_ADDR: 'not a url' }, 'VAULT_API_ADDR must be a URL such as "https://10.0.0.1:8200", got "not a url"'],
    [{ VAULT_LOG_LEVEL: 'loud' }, 'VAULT_LOG_LEVEL must be one of trace, debug, info, warn, error, got "loud"'],
    [{ VAULT_LOG_FORMAT: 'xml' }, 'VAULT_LOG_FORMAT must be "standard" or "json", got "xml"'],
  ])('rejects %j', (env, message) => {
    expect(() => applyEnv(cfg(), env)).toThrow(message);
  });
});

describe('activeSeal / migrationSourceSeal', () => {
  it('is Shamir by default and the enabled seal otherwise', () => {
    expect(activeSeal(cfg())).toMatchObject({ type: 'shamir', disabled: false });
    expect(migrationSourceSeal(cfg())).toBeUndefined();
    const migrating = cfg('seal "pkcs11" {\n disabled = true\n}\nseal "shamir" {}');
    expect(activeSeal(migrating)).toMatchObject({ type: 'shamir' });
    expect(migrationSourceSeal(migrating)).toMatchObject({ type: 'pkcs11', disabled: true });
  });
});
