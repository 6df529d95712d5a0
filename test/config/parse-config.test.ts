import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfigText } from '../../src/config/finalize.js';
import type { ListenerConfig, ServerConfig } from '../../src/config/schema.js';

const BASE = 'storage "inmem" {}\nlistener "tcp" {\n  tls_disable = true\n}\n';

const cfg = (text: string, file = 'config.hcl'): ServerConfig => parseConfigText(text, file);

function configError(text: string, file = 'config.hcl'): ConfigError {
  try {
    parseConfigText(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const listener = (body: string): ListenerConfig => cfg(`storage "inmem" {}\nlistener "tcp" {\n${body}\n}\n`).listeners[0]!;

describe('defaults', () => {
  it('fills every default for a minimal config', () => {
    expect(cfg(BASE)).toEqual({
      listeners: [
        {
          type: 'tcp',
          address: '127.0.0.1:8200',
          tls_disable: true,
          tls_require_and_verify_client_cert: false,
          tls_disable_client_certs: false,
          tls_min_version: 'tls12',
          tls_max_version: 'tls13',
          tls_cipher_suites: [],
          max_request_size: 33554432,
          x_forwarded_for_authorized_addrs: [],
          x_forwarded_for_hop_skips: 0,
          x_forwarded_for_reject_not_authorized: true,
          x_forwarded_for_reject_not_present: true,
          x_forwarded_for_client_cert_header_decoders: [],
          redact_addresses: false,
          redact_cluster_name: false,
          redact_version: false,
          telemetry: { unauthenticated_metrics_access: false },
          custom_response_headers: {},
          source: 'config.hcl:2',
        },
      ],
      storage: { type: 'inmem', source: 'config.hcl:1' },
      seals: [],
      ui: false,
      default_lease_ttl: 768 * 3600,
      max_lease_ttl: 768 * 3600,
      default_max_request_duration: 90,
      disable_mlock: false,
      log_level: 'info',
      log_format: 'standard',
      raw_storage_endpoint: false,
      telemetry: {
        prometheus_retention_time: 86400,
        disable_hostname: false,
        metrics_prefix: 'vault',
        usage_gauge_period: 600,
        filter_default: true,
        prefix_filter: [],
        dogstatsd_tags: [],
        maximum_gauge_cardinality: 500,
        enable_hostname_label: false,
      },
      enable_response_header_hostname: false,
      enable_response_header_raft_node_id: false,
      disable_cache: false,
      disable_clustering: false,
      disable_performance_standby: false,
      allow_audit_log_prefixing: false,
      user_lockouts: [],
      sources: ['config.hcl'],
    } satisfies ServerConfig);
  });
});

describe('top-level settings', () => {
  it('reads every top-level setting', () => {
    const c = cfg(`${BASE}
api_addr = "https://vault.example.com:8200"
cluster_addr = "https://10.0.0.1:8201"
cluster_name = "prod"
ui = true
default_lease_ttl = "1h"
max_lease_ttl = "2160h0m0s"
default_max_request_duration = 30
disable_mlock = "true"
log_level = "DEBUG"
log_format = "json"
environment = "production"
pid_file = "/run/coffer.pid"
raw_storage_endpoint = true
plugin_directory = "/plugins"
enable_response_header_hostname = true
enable_response_header_raft_node_id = 1
disable_cache = true
disable_clustering = true
disable_performance_standby = true
cache_size = 131072
allow_audit_log_prefixing = true
`);
    expect(c).toMatchObject({
      api_addr: 'https://vault.example.com:8200',
      cluster_addr: 'https://10.0.0.1:8201',
      cluster_name: 'prod',
      ui: true,
      default_lease_ttl: 3600,
      max_lease_ttl: 2160 * 3600,
      default_max_request_duration: 30,
      disable_mlock: true,
      log_level: 'debug',
      log_format: 'json',
      environment: 'production',
      pid_file: '/run/coffer.pid',
      raw_storage_endpoint: true,
      plugin_directory: '/plugins',
      enable_response_header_hostname: true,
      enable_response_header_raft_node_id: true,
      disable_cache: true,
      disable_clustering: true,
      disable_performance_standby: true,
      cache_size: 131072,
      allow_audit_log_prefixing: true,
    });
  });

  it('accepts TTLs as seconds, day counts and Go durations', () => {
    expect(cfg(`${BASE}default_lease_ttl = 86400\nmax_lease_ttl = "30d"`)).toMatchObject({ default_lease_ttl: 86400, max_lease_ttl: 30 * 86400 });
  });

  it('lowers the default lease TTL to a max_lease_ttl set below it', () => {
    expect(cfg(`${BASE}max_lease_ttl = "24h"`)).toMatchObject({ default_lease_ttl: 86400, max_lease_ttl: 86400 });
  });

  it('maps log level aliases', () => {
    expect(cfg(`${BASE}log_level = "warning"`).log_level).toBe('warn');
    expect(cfg(`${BASE}log_level = "err"`).log_level).toBe('error');
  });

  it('lets the later of two settings win, as HCL1 does', () => {
    expect(cfg(`${BASE}ui = false\nui = true`).ui).toBe(true);
  });
});

describe('listener "tcp"', () => {
  it('reads every listener setting', () => {
    const l = listener(`
  address = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_cert_file = "/tls/cert.pem"
  tls_key_file = "/tls/key.pem"
  tls_client_ca_file = "/tls/ca.pem"
  tls_require_and_verify_client_cert = true
  tls_min_version = "tls13"
  tls_max_version = "tls13"
  tls_cipher_suites = "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384"
  max_request_size = 1048576
  max_request_duration = "2m"
  http_read_timeout = "30s"
  x_forwarded_for_authorized_addrs = "10.0.0.0/8, 192.168.1.1"
  x_forwarded_for_hop_skips = "1"
  x_forwarded_for_reject_not_authorized = false
  x_forwarded_for_reject_not_present = "false"
  x_forwarded_for_client_cert_header = "X-SSL-Client-Cert"
  x_forwarded_for_client_cert_header_decoders = ["URL", "BASE64"]
  redact_addresses = true
  redact_cluster_name = true
  redact_version = true
  tls_prefer_server_cipher_suites = true`);
    expect(l).toMatchObject({
      address: '0.0.0.0:8200',
      cluster_address: '0.0.0.0:8201',
      tls_disable: false,
      tls_cert_file: '/tls/cert.pem',
      tls_key_file: '/tls/key.pem',
      tls_client_ca_file: '/tls/ca.pem',
      tls_require_and_verify_client_cert: true,
      tls_disable_client_certs: false,
      tls_min_version: 'tls13',
      tls_max_version: 'tls13',
      tls_cipher_suites: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'],
      max_request_size: 1048576,
      max_request_duration: 120,
      http_read_timeout: 30,
      x_forwarded_for_authorized_addrs: ['10.0.0.0/8', '192.168.1.1'],
      x_forwarded_for_hop_skips: 1,
      x_forwarded_for_reject_not_authorized: false,
      x_forwarded_for_reject_not_present: false,
      x_forwarded_for_client_cert_header: 'X-SSL-Client-Cert',
      x_forwarded_for_client_cert_header_decoders: ['URL', 'BASE64'],
      redact_addresses: true,
      redact_cluster_name: true,
      redact_version: true,
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['"1"', true],
    ['"true"', true],
    ['false', false],
    ['0', false],
    ['"false"', false],
  ])('tls_disable = %s', (text, value) => {
    const l = listener(`tls_disable = ${text}\ntls_cert_file = "c"\ntls_key_file = "k"`);
    expect(l.tls_disable).toBe(value);
  });

  it('accumulates repeated listeners in order, each with its source line', () => {
    const c = cfg('storage "inmem" {}\nlistener "tcp" { address = "127.0.0.1:1", tls_disable = 1 }\n\nlistener "tcp" { address = "[::1]:2", tls_disable = 1 }');
    expect(c.listeners.map((l) => [l.address, l.source])).toEqual([
      ['127.0.0.1:1', 'config.hcl:2'],
      ['[::1]:2', 'config.hcl:4'],
    ]);
  });

  it('reads the telemetry block and custom response headers', () => {
    const l = listener(`tls_disable = true
  telemetry { unauthenticated_metrics_access = true }
  custom_response_headers {
    "default" = { "Strict-Transport-Security" = ["max-age=31536000", "includeSubDomains"] }
    "307" = { "X-Custom" = "one" }
    "4xx" = {}
  }`);
    expect(l.telemetry).toEqual({ unauthenticated_metrics_access: true });
    expect(l.custom_response_headers).toEqual({
      default: { 'Strict-Transport-Security': ['max-age=31536000', 'includeSubDomains'] },
      '307': { 'X-Custom': ['one'] },
      '4xx': {},
    });
  });

  it('treats max_request_size = 0 as the default and keeps a negative value (no limit)', () => {
    expect(listener('tls_disable = true\nmax_request_size = 0').max_request_size).toBe(33554432);
    expect(listener('tls_disable = true\nmax_request_size = -1').max_request_size).toBe(-1);
  });

  it.each<[string, string]>([
    ['tls_disable = true\nadress = "x"', 'config.hcl:4: unknown key "adress" in listener "tcp" (did you mean "address"?)'],
    ['tls_disable = "maybe"', 'config.hcl:3: "tls_disable" in listener "tcp" must be a boolean (true or false), got "maybe"'],
    ['tls_disable = [true]', 'config.hcl:3: "tls_disable" in listener "tcp" must be a boolean (true or false), got a list'],
    ['tls_disable = true\nmax_request_size = "big"', 'config.hcl:4: "max_request_size" in listener "tcp" must be an integer, got "big"'],
    ['tls_disable = true\nmax_request_duration = "soon"', 'config.hcl:4: "max_request_duration" in listener "tcp" must be a duration such as "90s" or "768h", got "soon"'],
    ['tls_disable = true\ntls_min_version = "tls14"', 'config.hcl:4: "tls_min_version" in listener "tcp" must be one of tls10, tls11, tls12, tls13, got "tls14"'],
    ['tls_disable = true\naddress = "localhost"', 'config.hcl:4: "address" in listener "tcp" must be host:port (e.g. "0.0.0.0:8200"), got "localhost"'],
    ['tls_cert_file = "c"', 'config.hcl:2: listener "tcp": "tls_key_file" is required unless tls_disable = true'],
    ['address = "127.0.0.1:8200"', 'config.hcl:2: listener "tcp": "tls_cert_file" is required unless tls_disable = true'],
    [
      'tls_disable = true\ntls_disable_client_certs = true\ntls_require_and_verify_client_cert = true',
      'config.hcl:2: listener "tcp": "tls_disable_client_certs" and "tls_require_and_verify_client_cert" cannot both be true',
    ],
    ['tls_disable = true\ntls_min_version = "tls13"\ntls_max_version = "tls12"', 'config.hcl:2: listener "tcp": tls_min_version (tls13) is above tls_max_version (tls12)'],
    ['tls_disable = true\nx_forwarded_for_authorized_addrs = "10.0.0.0/33"', 'config.hcl:4: "x_forwarded_for_authorized_addrs" in listener "tcp": "10.0.0.0/33" is not an IP address or CIDR block'],
    ['tls_disable = true\nx_forwarded_for_hop_skips = -1', 'config.hcl:4: "x_forwarded_for_hop_skips" in listener "tcp" must be at least 0, got -1'],
    ['tls_disable = true\ntelemetry { metrics = true }', 'config.hcl:4: unknown key "metrics" in the telemetry block of listener "tcp"'],
    ['tls_disable = true\ncustom_response_headers { "999" = {} }', 'config.hcl:4: custom_response_headers in listener "tcp": "999" is not "default", a status code or a class like "4xx"'],
    ['tls_disable = true\naddress "x" {}', 'config.hcl:4: "address" in listener "tcp" is a setting, not a labelled block: write address = …'],
  ])('rejects %j', (body, message) => {
    expect(configError(`storage "inmem" {}\nlistener "tcp" {\n${body}\n}\n`).message).toBe(message);
  });

  it('rejects unsupported listener types', () => {
    expect(configError('storage "inmem" {}\nlistener "unix" { address = "/run/x.sock" }').message).toBe(
      'config.hcl:2: unsupported listener type "unix" (supported: "tcp")',
    );
  });
});

describe('storage', () => {
  it('reads storage "file" and "inmem"', () => {
    expect(cfg('storage "file" { path = "/var/lib/coffer" }\nlistener "tcp" { tls_disable = 1 }').storage).toEqual({
      type: 'file',
      path: '/var/lib/coffer',
      source: 'config.hcl:1',
    });
    expect(cfg(BASE).storage).toEqual({ type: 'inmem', source: 'config.hcl:1' });
  });

  it('reads storage "raft" with every setting and repeated retry_join blocks', () => {
    const c = cfg(`storage "raft" {
  path = "/raft"
  node_id = "node-1"
  performance_multiplier = 5
  trailing_logs = "10000"
  snapshot_threshold = 8192
  snapshot_interval = "120s"
  max_entry_size = 1048576
  autopilot_reconcile_interval = "10s"
  autopilot_update_interval = "2s"
  autopilot_redundancy_zone = "zone-a"
  autopilot_upgrade_version = "1.2.3"
  retry_join {
    leader_api_addr = "https://10.0.0.1:8200"
    leader_ca_cert_file = "/tls/ca.pem"
    leader_client_cert_file = "/tls/client.pem"
    leader_client_key_file = "/tls/client-key.pem"
    leader_tls_servername = "vault-1"
  }
  retry_join {
    leader_api_addr = "https://10.0.0.2:8200"
    leader_ca_cert = <<EOF
-----BEGIN CERTIFICATE-----
EOF
  }
}
listener "tcp" { tls_disable = true }`);
    expect(c.storage).toEqual({
      type: 'raft',
      path: '/raft',
      node_id: 'node-1',
      performance_multiplier: 5,
      trailing_logs: 10000,
      snapshot_threshold: 8192,
      snapshot_interval: 120,
      max_entry_size: 1048576,
      autopilot_reconcile_interval: 10,
      autopilot_update_interval: 2,
      autopilot_redundancy_zone: 'zone-a',
      autopilot_upgrade_version: '1.2.3',
      retry_join: [
        {
          leader_api_addr: 'https://10.0.0.1:8200',
          leader_ca_cert_file: '/tls/ca.pem',
          leader_client_cert_file: '/tls/client.pem',
          leader_client_key_file: '/tls/client-key.pem',
          leader_tls_servername: 'vault-1',
          source: 'config.hcl:13',
        },
        { leader_api_addr: 'https://10.0.0.2:8200', leader_ca_cert: '-----BEGIN CERTIFICATE-----\n', source: 'config.hcl:20' },
      ],
      source: 'config.hcl:1',
    });
  });

  it('accepts "backend" as the old name of "storage" and reads ha_storage / ha_backend', () => {
    const c = cfg('backend "file" { path = "/d" }\nha_backend "raft" { path = "/ha" }\nlistener "tcp" { tls_disable = 1 }');
    expect(c.storage).toMatchObject({ type: 'file', path: '/d' });
    expect(c.ha_storage).toMatchObject({ type: 'raft', path: '/ha', retry_join: [] });
    expect(cfg(`${BASE}ha_storage "inmem" {}`).ha_storage).toEqual({ type: 'inmem', source: 'config.hcl:5' });
  });

  it.each<[string, string]>([
    ['storage "consul" { address = "x" }', 'config.hcl:1: unsupported storage type "consul" (supported: "file", "inmem", "raft")'],
    ['storage "file" {}', 'config.hcl:1: storage "file": "path" is required'],
    ['storage "raft" { path = "/r"\n node = "x" }', 'config.hcl:2: unknown key "node" in storage "raft"'],
    ['storage "inmem" { path = "/x" }', 'config.hcl:1: unknown key "path" in storage "inmem"'],
    ['storage "raft" { path = "/r"\n performance_multiplier = "fast" }', 'config.hcl:2: "performance_multiplier" in storage "raft" must be an integer, got "fast"'],
    ['storage "raft" {\n path = "/r"\n retry_join { leader_ca_cert_file = "x" }\n}', 'config.hcl:3: retry_join of storage "raft": "leader_api_addr" is required'],
    ['storage "raft" {\n path = "/r"\n retry_join {\n leader_api_addr = "10.0.0.1:8200"\n }\n}', 'config.hcl:4: "leader_api_addr" in retry_join of storage "raft" must be an http(s) URL, got "10.0.0.1:8200"'],
    ['storage "raft" {\n path = "/r"\n retry_join {\n leader_api_addr = "https://a"\n auto_join = "x"\n }\n}', 'config.hcl:5: unknown key "auto_join" in retry_join of storage "raft"'],
    ['storage "inmem" {}\nstorage "file" { path = "/x" }', 'config.hcl:2: only one "storage" stanza is allowed'],
    ['storage "inmem" {}\nbackend "inmem" {}', 'config.hcl:2: "backend" is the old name of "storage"; use only one of them'],
    ['storage { path = "/x" }', 'config.hcl:1: "storage" must be a block like storage "…" { … }, found a string'],
  ])('rejects %j', (storage, message) => {
    expect(configError(`${storage}\nlistener "tcp" { tls_disable = 1 }`).message).toBe(message);
  });

  it('requires a storage stanza', () => {
    expect(configError('listener "tcp" { tls_disable = 1 }').message).toBe(
      'config.hcl: missing required "storage" stanza (e.g. storage "raft" { path = "/var/lib/coffer" })',
    );
  });

  it('requires a listener stanza', () => {
    expect(configError('storage "inmem" {}').message).toMatch(/^config\.hcl: missing required "listener" stanza/);
  });
});

describe('seal', () => {
  it('defaults to no seal stanza (Shamir)', () => {
    expect(cfg(BASE).seals).toEqual([]);
  });

  it('reads seal "shamir" {}', () => {
    expect(cfg(`${BASE}seal "shamir" {}`).seals).toEqual([{ type: 'shamir', disabled: false, source: 'config.hcl:5' }]);
  });

  it('reads seal "pkcs11" with every setting', () => {
    const [seal] = cfg(`${BASE}seal "pkcs11" {
  lib = "/usr/lib/softhsm/libsofthsm2.so"
  slot = "0x10"
  token_label = "coffer"
  pin = "1234"
  key_label = "root-key"
  hmac_key_label = "hmac-key"
  mechanism = "0x1085"
  hmac_mechanism = "CKM_SHA256_HMAC"
  generate_key = "true"
  key_id = "0xA1B2"
  hmac_key_id = "c3d4"
  max_parallel = 4
  disabled = false
}`).seals;
    expect(seal).toEqual({
      type: 'pkcs11',
      disabled: false,
      lib: '/usr/lib/softhsm/libsofthsm2.so',
      slot: '16',
      token_label: 'coffer',
      pin: '1234',
      key_label: 'root-key',
      hmac_key_label: 'hmac-key',
      mechanism: 0x1085,
      hmac_mechanism: 0x0251,
      generate_key: true,
      key_id: 'a1b2',
      hmac_key_id: 'c3d4',
      max_parallel: 4,
      source: 'config.hcl:5',
    });
  });

  it('keeps 64-bit slot ids exact', () => {
    const [seal] = cfg(`${BASE}seal "pkcs11" { slot = "2305843009213693953" }`).seals;
    expect(seal).toMatchObject({ slot: '2305843009213693953', generate_key: false, max_parallel: 1 });
  });

  it('allows two seals for migration when exactly one is disabled', () => {
    const c = cfg(`${BASE}seal "pkcs11" {\n lib = "/l.so"\n disabled = "true"\n}\nseal "shamir" {}`);
    expect(c.seals.map((s) => [s.type, s.disabled])).toEqual([
      ['pkcs11', true],
      ['shamir', false],
    ]);
  });

  it.each<[string, string]>([
    ['seal "awskms" { region = "x" }', 'config.hcl:5: unsupported seal type "awskms" (supported: "shamir", "pkcs11")'],
    ['seal "pkcs11" {\n  pinn = "1"\n}', 'config.hcl:6: unknown key "pinn" in seal "pkcs11" (did you mean "pin"?)'],
    ['seal "pkcs11" {\n  slot = "first"\n}', 'config.hcl:6: "slot" in seal "pkcs11" must be a slot number such as "0" or "0x1", got "first"'],
    ['seal "pkcs11" {\n  mechanism = "AES"\n}', 'config.hcl:6: "mechanism" in seal "pkcs11" must be a mechanism number such as "0x1085" or a CKM_* name'],
    ['seal "pkcs11" {\n  key_id = "xyz"\n}', 'config.hcl:6: "key_id" in seal "pkcs11" must be hex bytes, got "xyz"'],
    ['seal "pkcs11" {\n  max_parallel = 0\n}', 'config.hcl:6: "max_parallel" in seal "pkcs11" must be at least 1, got 0'],
    ['seal "shamir" {}\nseal "pkcs11" {}', 'config.hcl:6: two seal stanzas need exactly one with disabled = true (seal migration): mark the seal being migrated away from with disabled = true'],
    [
      'seal "shamir" { disabled = true }\nseal "pkcs11" { disabled = true }',
      'config.hcl:6: two seal stanzas need exactly one with disabled = true (seal migration): both are disabled',
    ],
    ['seal "shamir" {}\nseal "shamir" { disabled = true }', 'config.hcl:6: migrating from shamir to shamir is not a seal migration'],
    [
      'seal "shamir" {}\nseal "pkcs11" { disabled = true }\nseal "pkcs11" { disabled = true }',
      'config.hcl:7: at most two seal stanzas are allowed (one of them disabled, for migration), found 3',
    ],
  ])('rejects %j', (seal, message) => {
    expect(configError(`${BASE}${seal}`).message).toBe(message);
  });
});

describe('telemetry', () => {
  it('reads every telemetry setting', () => {
    const c = cfg(`${BASE}telemetry {
  prometheus_retention_time = "30s"
  disable_hostname = true
  metrics_prefix = "coffer"
  usage_gauge_period = "5m"
  filter_default = false
  prefix_filter = ["+vault.token", "-vault.expire"]
  statsd_address = "127.0.0.1:8125"
  dogstatsd_addr = "127.0.0.1:8126"
  dogstatsd_tags = ["env:prod"]
  maximum_gauge_cardinality = 100
  enable_hostname_label = true
}`);
    expect(c.telemetry).toEqual({
      prometheus_retention_time: 30,
      disable_hostname: true,
      metrics_prefix: 'coffer',
      usage_gauge_period: 300,
      filter_default: false,
      prefix_filter: ['+vault.token', '-vault.expire'],
      statsd_address: '127.0.0.1:8125',
      dogstatsd_addr: '127.0.0.1:8126',
      dogstatsd_tags: ['env:prod'],
      maximum_gauge_cardinality: 100,
      enable_hostname_label: true,
    });
  });

  it('reads usage_gauge_period = "none" as 0 (off)', () => {
    expect(cfg(`${BASE}telemetry { usage_gauge_period = "none" }`).telemetry.usage_gauge_period).toBe(0);
  });

  it.each<[string, string]>([
    ['telemetry { prefix_filter = ["vault.token"] }', 'config.hcl:5: "prefix_filter" in telemetry: "vault.token" must start with "+" (allow) or "-" (block)'],
    ['telemetry {}\ntelemetry {}', 'config.hcl:6: only one "telemetry" block is allowed'],
    ['telemetry { statsd = "x" }', 'config.hcl:5: unknown key "statsd" in telemetry'],
    ['telemetry { disable_hostname = "sometimes" }', 'config.hcl:5: "disable_hostname" in telemetry must be a boolean (true or false), got "sometimes"'],
  ])('rejects %j', (block, message) => {
    expect(configError(`${BASE}${block}`).message).toBe(message);
  });
});

describe('user_lockout', () => {
  it('reads user_lockout blocks; a later block for the same method replaces the earlier', () => {
    const c = cfg(`${BASE}user_lockout "all" {\n lockout_threshold = "5"\n lockout_duration = "15m"\n lockout_counter_reset = "15m"\n}
user_lockout "userpass" { disable_lockout = true }
user_lockout "all" { lockout_threshold = 10 }`);
    expect(c.user_lockouts).toEqual([
      { auth_method: 'userpass', disable_lockout: true, source: 'config.hcl:10' },
      { auth_method: 'all', lockout_threshold: 10, source: 'config.hcl:11' },
    ]);
  });

  it('rejects an unknown auth method', () => {
    expect(configError(`${BASE}user_lockout "github" {}`).message).toBe(
      'config.hcl:5: user_lockout "github": unsupported auth method (supported: "all", "userpass", "approle", "ldap")',
    );
  });
});

describe('errors name the file, line and key', () => {
  it('reports an unknown stanza with its line', () => {
    const text = 'listener "tcp" {\n  tls_disable = true\n}\n\n# storage goes here\n\nstrage "file" {\n  path = "/x"\n}\n';
    const e = configError(text);
    expect(e.message).toBe('config.hcl:7: unknown stanza "strage" (did you mean "storage"?)');
    expect(e).toMatchObject({ file: 'config.hcl', line: 7 });
  });

  it('reports an unknown top-level key and a far-off name without a suggestion', () => {
    expect(configError(`${BASE}uii = true`).message).toBe('config.hcl:5: unknown key "uii" (did you mean "ui"?)');
    expect(configError(`${BASE}service_registration "kubernetes" {}`).message).toBe('config.hcl:5: unknown stanza "service_registration"');
  });

  it.each<[string, string]>([
    ['ui = "yes"', 'config.hcl:5: "ui" must be a boolean (true or false), got "yes"'],
    ['default_lease_ttl = "forever"', 'config.hcl:5: "default_lease_ttl" must be a duration such as "90s" or "768h", got "forever"'],
    ['max_lease_ttl = "-1h"', 'config.hcl:5: "max_lease_ttl" must not be negative, got "-1h"'],
    ['log_level = "verbose"', 'config.hcl:5: "log_level" must be one of trace, debug, info, warn, error, got "verbose"'],
    ['log_format = "xml"', 'config.hcl:5: "log_format" must be "standard" or "json", got "xml"'],
    ['api_addr = "vault:8200"', 'config.hcl:5: "api_addr" must be a URL such as "https://10.0.0.1:8200", got "vault:8200"'],
    ['cluster_name = ["a"]', 'config.hcl:5: "cluster_name" must be a string, got a list'],
    ['cache_size = 1.5', 'config.hcl:5: "cache_size" must be an integer, got a number'],
    ['default_lease_ttl = "48h"\nmax_lease_ttl = "24h"', 'config.hcl:5: default_lease_ttl (48h0m0s) cannot be greater than max_lease_ttl (24h0m0s)'],
  ])('rejects %j', (line, message) => {
    expect(configError(`${BASE}${line}`).message).toBe(message);
  });

  it('reports HCL syntax errors with file, line and column', () => {
    const e = configError('storage "inmem" {}\nlistener "tcp" {\n  tls_disable = \n}\n');
    expect(e.message).toBe("config.hcl:4:1: expected a value (string, number, bool, heredoc, list or object) after '=' at 3:15, found '}'");
    expect(e).toMatchObject({ line: 4, column: 1 });
  });
});

describe('JSON config files', () => {
  const hcl = `storage "raft" {
  path = "/r"
  retry_join { leader_api_addr = "https://a:8200" }
  retry_join { leader_api_addr = "https://b:8200" }
}
listener "tcp" { address = "0.0.0.0:8200", tls_disable = true }
listener "tcp" { address = "0.0.0.0:8300", tls_disable = true }
seal "shamir" {}
telemetry { disable_hostname = true }
ui = true
max_lease_ttl = "48h"
`;
  const json = JSON.stringify(
    {
      storage: { raft: { path: '/r', retry_join: [{ leader_api_addr: 'https://a:8200' }, { leader_api_addr: 'https://b:8200' }] } },
      listener: [{ tcp: { address: '0.0.0.0:8200', tls_disable: true } }, { tcp: { address: '0.0.0.0:8300', tls_disable: true } }],
      seal: { shamir: {} },
      telemetry: { disable_hostname: true },
      ui: true,
      max_lease_ttl: '48h',
    },
    null,
    2,
  );

  it('gives the same configuration as the HCL spelling', () => {
    const stripSources = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'source' || k === 'sources' ? undefined : x)));
    expect(stripSources(cfg(json, 'config.json'))).toEqual(stripSources(cfg(hcl)));
  });

  it('names the file and line in errors', () => {
    expect(configError('{\n  "storage": {"inmem": {}},\n  "listener": {"tcp": {"tls_disable": true}},\n  "strage": {}\n}', 'config.json').message).toBe(
      'config.json:4: unknown stanza "strage" (did you mean "storage"?)',
    );
    expect(configError('{\n  "storage": {"inmem": {}},\n  "ui": "maybe"\n}', 'config.json').message).toBe(
      'config.json:3: "ui" must be a boolean (true or false), got "maybe"',
    );
  });
});

describe('the real-world server configs of the HCL corpus', () => {
  const corpus = (name: string): string => readFileSync(join(import.meta.dirname, '..', 'hcl', 'corpus', name), 'utf8');

  it.each([
    'server-raft.hcl',
    'server-file.hcl',
    'server-multi-listener.hcl',
    'server-pkcs11.hcl',
    'server-seal-migration.hcl',
    'server-telemetry.hcl',
    'server-custom-headers.hcl',
    'server-inline-commas.hcl',
    'server-user-lockout.hcl',
    'server-xff.hcl',
    'server-heredoc.hcl',
    'server-config.json',
  ])('loads %s', (name) => {
    const c = cfg(corpus(name), name);
    expect(c.listeners.length).toBeGreaterThan(0);
    expect(c.sources).toEqual([name]);
  });

  it.each([
    ['server-consul.hcl', 'server-consul.hcl:1: unsupported storage type "consul" (supported: "file", "inmem", "raft")'],
    ['server-legacy-backend.hcl', 'server-legacy-backend.hcl:5: unsupported ha_backend type "consul" (supported: "file", "inmem", "raft")'],
    ['server-dev-like.hcl', 'server-dev-like.hcl:9: unknown key "proxy_protocol_behavior" in listener "tcp"'],
  ])('explains why %s is not supported', (name, message) => {
    expect(configError(corpus(name), name).message).toBe(message);
  });
});
