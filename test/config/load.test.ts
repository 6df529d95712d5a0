import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { devConfig, loadConfig } from '../../src/config/load.js';
import { ServerConfigSchema } from '../../src/config/schema.js';

const root = mkdtempSync(join(tmpdir(), 'coffer-config-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function dir(files: Record<string, string>): string {
  const d = join(root, `d${counter++}`);
  mkdirSync(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const FIRST = `storage "file" { path = "/first" }
listener "tcp" { address = "127.0.0.1:8200", tls_disable = true }
seal "pkcs11" { lib = "/l.so", slot = "0", pin = "p", key_label = "k", disabled = true }
ui = true
log_level = "debug"
cluster_name = "one"
telemetry { disable_hostname = true }
`;
const SECOND = `storage "raft" { path = "/second" }
listener "tcp" { address = "127.0.0.1:8300", tls_disable = true }
seal "shamir" {}
log_level = "warn"
telemetry { metrics_prefix = "coffer" }
`;

describe('loadConfig', () => {
  it('merges files in order: later scalars and blocks win, listeners and seals accumulate', () => {
    const d = dir({ 'first.hcl': FIRST, 'second.hcl': SECOND });
    const c = loadConfig([join(d, 'first.hcl'), join(d, 'second.hcl')], {});
    expect(c.storage).toEqual({ type: 'raft', path: '/second', retry_join: [], source: `${join(d, 'second.hcl')}:1` });
    expect(c.listeners.map((l) => l.address)).toEqual(['127.0.0.1:8200', '127.0.0.1:8300']);
    expect(c.seals.map((s) => [s.type, s.disabled])).toEqual([
      ['pkcs11', true],
      ['shamir', false],
    ]);
    expect(c).toMatchObject({ ui: true, log_level: 'warn', cluster_name: 'one' });
    // Vault replaces the telemetry block as a whole.
    expect(c.telemetry).toMatchObject({ metrics_prefix: 'coffer', disable_hostname: false });
    expect(c.sources).toEqual([join(d, 'first.hcl'), join(d, 'second.hcl')]);
  });

  it('reads a directory: *.hcl and *.json sorted, *_override files last, other files skipped', () => {
    const d = dir({
      'b.json': JSON.stringify({ cluster_name: 'from-json', listener: { tcp: { address: '127.0.0.1:8301', tls_disable: true } } }),
      'a.hcl': FIRST,
      'a_override.hcl': 'cluster_name = "override"\n',
      'c.hcl': 'cluster_name = "from-c"\n',
      'README.md': 'not config',
      'c.hcl~': 'garbage {',
      '#c.hcl#': 'garbage {',
    });
    const c = loadConfig([d], {});
    expect(c.sources.map((s) => s.slice(d.length + 1))).toEqual(['a.hcl', 'b.json', 'c.hcl', 'a_override.hcl']);
    expect(c.cluster_name).toBe('override');
    expect(c.listeners.map((l) => l.address)).toEqual(['127.0.0.1:8200', '127.0.0.1:8301']);
  });

  it('applies the environment overrides and checks the pkcs11 seal', () => {
    const f = join(dir({ 'hsm.hcl': `${SECOND}seal "pkcs11" {\n  lib = "/l.so"\n  slot = "0"\n  key_label = "k"\n  disabled = true\n}\n` }), 'hsm.hcl');
    expect(() => loadConfig([f], {})).toThrow(`${f}:6: seal "pkcs11": "pin" is required (in the config file or VAULT_HSM_PIN)`);
    const c = loadConfig([f], { VAULT_HSM_PIN: '1234', COFFER_ENVIRONMENT: 'production', VAULT_API_ADDR: 'https://a:8200' });
    expect(c.seals[1]).toMatchObject({ type: 'pkcs11', pin: '1234' });
    expect(c).toMatchObject({ environment: 'production', api_addr: 'https://a:8200' });
  });

  it('mixes files and directories', () => {
    const d = dir({ 'extra.hcl': 'listener "tcp" {\n  address = "127.0.0.1:9000"\n  tls_disable = true\n}\n' });
    const f = join(dir({ 'main.hcl': FIRST }), 'main.hcl');
    expect(loadConfig([f, d], {}).listeners).toHaveLength(2);
  });

  it('checks the merged result, naming every file when storage is missing', () => {
    const d = dir({ 'a.hcl': 'ui = true\n', 'b.hcl': 'listener "tcp" { tls_disable = true }\n' });
    expect(() => loadConfig([join(d, 'a.hcl'), join(d, 'b.hcl')], {})).toThrow(`${join(d, 'a.hcl')}, ${join(d, 'b.hcl')}: missing required "storage" stanza`);
  });

  it('names the file and line of an error inside one of several files', () => {
    const d = dir({ 'ok.hcl': FIRST, 'bad.hcl': '\n\nstrage "file" {}\n' });
    const run = () => loadConfig([join(d, 'ok.hcl'), join(d, 'bad.hcl')], {});
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`${join(d, 'bad.hcl')}:3: unknown stanza "strage" (did you mean "storage"?)`);
  });

  it.each([
    ['a missing path', (): string[] => [join(root, 'does-not-exist.hcl')], /does-not-exist\.hcl: cannot read configuration: ENOENT/],
    ['an empty directory', (): string[] => [dir({ 'notes.txt': 'x' })], /directory has no \.hcl or \.json configuration files/],
    ['no paths', (): string[] => [], /no configuration files given/],
  ])('rejects %s', (_name, paths, message) => {
    expect(() => loadConfig(paths(), {})).toThrow(message);
  });
});

describe('devConfig', () => {
  it('is a valid in-memory, plain-HTTP configuration on the given address', () => {
    const c = devConfig('127.0.0.1:8201');
    expect(ServerConfigSchema.parse(c)).toEqual(c);
    expect(c.storage.type).toBe('inmem');
    expect(c.listeners).toHaveLength(1);
    expect(c.listeners[0]).toMatchObject({ address: '127.0.0.1:8201', tls_disable: true });
    expect(c).toMatchObject({ ui: true, raw_storage_endpoint: true, seals: [] });
  });
});
