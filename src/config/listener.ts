/** `listener "tcp" { … }` */
import { isIP } from 'node:net';
import type { HclBlock } from '../hcl/decode.js';
import { BodyReader } from './body-reader.js';
import { ConfigError } from './errors.js';
import { DEFAULT_MAX_REQUEST_SIZE, TLS_VERSIONS, type ListenerConfig, type TlsVersion } from './schema.js';
import { isHostPort, optional } from './values.js';

export function parseListener(block: HclBlock, file: string): ListenerConfig {
  const type = block.labels[0]!;
  if (type !== 'tcp') {
    throw new ConfigError(`unsupported listener type "${type}" (supported: "tcp")`, { file, line: block.pos.line });
  }
  const r = new BodyReader(block.body, { file, where: `listener "${type}"` });
  const source = r.source(block.pos);

  const address = r.string('address') ?? '127.0.0.1:8200';
  if (!isHostPort(address)) throw r.error(`${r.name('address')} must be host:port (e.g. "0.0.0.0:8200"), got ${JSON.stringify(address)}`, r.node('address')!.pos);
  const clusterAddress = r.string('cluster_address');
  if (clusterAddress !== undefined && !isHostPort(clusterAddress)) {
    throw r.error(`${r.name('cluster_address')} must be host:port, got ${JSON.stringify(clusterAddress)}`, r.node('cluster_address')!.pos);
  }

  const tlsVersion = (key: string, fallback: TlsVersion): TlsVersion => {
    const v = r.string(key);
    if (v === undefined) return fallback;
    if (!(TLS_VERSIONS as readonly string[]).includes(v)) {
      throw r.error(`${r.name(key)} must be one of ${TLS_VERSIONS.join(', ')}, got ${JSON.stringify(v)}`, r.node(key)!.pos);
    }
    return v as TlsVersion;
  };

  const xffAddrs = r.stringList('x_forwarded_for_authorized_addrs') ?? [];
  for (const cidr of xffAddrs) {
    if (!isCidrOrIp(cidr)) throw r.error(`${r.name('x_forwarded_for_authorized_addrs')}: ${JSON.stringify(cidr)} is not an IP address or CIDR block`, r.node('x_forwarded_for_authorized_addrs')!.pos);
  }

  const listener: ListenerConfig = {
    type: 'tcp',
    address,
    ...(clusterAddress !== undefined ? { cluster_address: clusterAddress } : {}),
    tls_disable: r.bool('tls_disable') ?? false,
    ...optional('tls_cert_file', r.string('tls_cert_file')),
    ...optional('tls_key_file', r.string('tls_key_file')),
    ...optional('tls_client_ca_file', r.string('tls_client_ca_file')),
    tls_require_and_verify_client_cert: r.bool('tls_require_and_verify_client_cert') ?? false,
    tls_disable_client_certs: r.bool('tls_disable_client_certs') ?? false,
    tls_min_version: tlsVersion('tls_min_version', 'tls12'),
    tls_max_version: tlsVersion('tls_max_version', 'tls13'),
    tls_cipher_suites: r.stringList('tls_cipher_suites') ?? [],
    max_request_size: nonZero(r.int('max_request_size')) ?? DEFAULT_MAX_REQUEST_SIZE,
    ...optional('max_request_duration', r.duration('max_request_duration')),
    ...optional('http_idle_timeout', r.duration('http_idle_timeout')),
    ...optional('http_read_header_timeout', r.duration('http_read_header_timeout')),
    ...optional('http_read_timeout', r.duration('http_read_timeout')),
    ...optional('http_write_timeout', r.duration('http_write_timeout')),
    x_forwarded_for_authorized_addrs: xffAddrs,
    x_forwarded_for_hop_skips: r.int('x_forwarded_for_hop_skips', { min: 0 }) ?? 0,
    x_forwarded_for_reject_not_authorized: r.bool('x_forwarded_for_reject_not_authorized') ?? true,
    x_forwarded_for_reject_not_present: r.bool('x_forwarded_for_reject_not_present') ?? true,
    ...optional('x_forwarded_for_client_cert_header', r.string('x_forwarded_for_client_cert_header')),
    x_forwarded_for_client_cert_header_decoders: r.stringList('x_forwarded_for_client_cert_header_decoders') ?? [],
    redact_addresses: r.bool('redact_addresses') ?? false,
    redact_cluster_name: r.bool('redact_cluster_name') ?? false,
    redact_version: r.bool('redact_version') ?? false,
    telemetry: parseListenerTelemetry(r, file),
    custom_response_headers: parseCustomResponseHeaders(r, file),
    source,
  };
  r.bool('tls_prefer_server_cipher_suites'); // deprecated in Vault; accepted and ignored
  r.finish();

  if (!listener.tls_disable && (listener.tls_cert_file === undefined || listener.tls_key_file === undefined)) {
    const missing = listener.tls_cert_file === undefined ? 'tls_cert_file' : 'tls_key_file';
    throw r.error(`listener "tcp": "${missing}" is required unless tls_disable = true`, block.pos);
  }
  if (listener.tls_disable_client_certs && listener.tls_require_and_verify_client_cert) {
    throw r.error(`listener "tcp": "tls_disable_client_certs" and "tls_require_and_verify_client_cert" cannot both be true`, block.pos);
  }
  if (TLS_VERSIONS.indexOf(listener.tls_min_version) > TLS_VERSIONS.indexOf(listener.tls_max_version)) {
    throw r.error(`listener "tcp": tls_min_version (${listener.tls_min_version}) is above tls_max_version (${listener.tls_max_version})`, block.pos);
  }
  return listener;
}

/** Vault treats max_request_size = 0 as "use the default". */
function nonZero(n: number | undefined): number | undefined {
  return n === 0 ? undefined : n;
}

function isCidrOrIp(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/');
  if (rest.length > 0 || ip === undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function parseListenerTelemetry(r: BodyReader, file: string): ListenerConfig['telemetry'] {
  const block = r.optionalBlock('telemetry');
  if (!block) return { unauthenticated_metrics_access: false };
  const t = new BodyReader(block.body, { file, where: 'the telemetry block of listener "tcp"' });
  const result = { unauthenticated_metrics_access: t.bool('unauthenticated_metrics_access') ?? false };
  t.finish();
  return result;
}

/** `custom_response_headers { "default" = { "Header" = ["v1", "v2"] } "307" = { … } }` */
function parseCustomResponseHeaders(r: BodyReader, file: string): ListenerConfig['custom_response_headers'] {
  const block = r.optionalBlock('custom_response_headers');
  const out: ListenerConfig['custom_response_headers'] = {};
  if (!block) return out;
  for (const item of block.body.items) {
    const status = item.keys.join(' ');
    const line = { file, line: item.pos.line };
    if (item.keys.length !== 1 || !/^(default|[1-5]xx|[1-5]\d\d)$/.test(status)) {
      throw new ConfigError(`custom_response_headers in listener "tcp": ${JSON.stringify(status)} is not "default", a status code or a class like "4xx"`, line);
    }
    if (item.value.kind !== 'object') throw new ConfigError(`custom_response_headers "${status}" in listener "tcp" must map header names to lists of values`, line);
    const headers: Record<string, string[]> = {};
    for (const h of item.value.items) {
      const name = h.keys.join(' ');
      const v = h.value;
      let values: string[] | undefined;
      if (v.kind === 'string') values = [v.value];
      else if (v.kind === 'list' && v.items.every((x) => x.kind === 'string')) values = v.items.map((x) => (x as { value: string }).value);
      if (h.keys.length !== 1 || values === undefined) {
        throw new ConfigError(`custom_response_headers "${status}" in listener "tcp": header ${JSON.stringify(name)} must be a list of strings`, { file, line: h.pos.line });
      }
      Object.defineProperty(headers, name, { value: values, enumerable: true, writable: true, configurable: true });
    }
    Object.defineProperty(out, status, { value: headers, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
