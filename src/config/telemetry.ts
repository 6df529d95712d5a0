/** `telemetry { … }` and `user_lockout "<method>" { … }` */
import type { HclBlock } from '../hcl/decode.js';
import { BodyReader } from './body-reader.js';
import { ConfigError } from './errors.js';
import { defaultTelemetry, USER_LOCKOUT_METHODS, type TelemetryConfig, type UserLockoutConfig } from './schema.js';
import { optional } from './values.js';

export function parseTelemetry(block: HclBlock, file: string): TelemetryConfig {
  const r = new BodyReader(block.body, { file, where: 'telemetry' });
  const d = defaultTelemetry();
  const gaugeNode = r.node('usage_gauge_period');
  const usageGaugePeriod = gaugeNode?.kind === 'string' && gaugeNode.value === 'none' ? 0 : r.duration('usage_gauge_period');
  const t: TelemetryConfig = {
    prometheus_retention_time: r.duration('prometheus_retention_time') ?? d.prometheus_retention_time,
    disable_hostname: r.bool('disable_hostname') ?? d.disable_hostname,
    metrics_prefix: r.string('metrics_prefix') ?? d.metrics_prefix,
    usage_gauge_period: usageGaugePeriod ?? d.usage_gauge_period,
    filter_default: r.bool('filter_default') ?? d.filter_default,
    prefix_filter: r.stringList('prefix_filter') ?? d.prefix_filter,
    ...optional('statsd_address', r.string('statsd_address')),
    ...optional('dogstatsd_addr', r.string('dogstatsd_addr')),
    dogstatsd_tags: r.stringList('dogstatsd_tags') ?? d.dogstatsd_tags,
    maximum_gauge_cardinality: r.int('maximum_gauge_cardinality') ?? d.maximum_gauge_cardinality,
    enable_hostname_label: r.bool('enable_hostname_label') ?? d.enable_hostname_label,
  };
  r.finish();
  for (const f of t.prefix_filter) {
    if (!f.startsWith('+') && !f.startsWith('-')) {
      throw r.error(`${r.name('prefix_filter')}: ${JSON.stringify(f)} must start with "+" (allow) or "-" (block)`, r.node('prefix_filter')!.pos);
    }
  }
  return t;
}

export function parseUserLockout(block: HclBlock, file: string): UserLockoutConfig {
  const method = block.labels[0]!;
  if (!(USER_LOCKOUT_METHODS as readonly string[]).includes(method)) {
    throw new ConfigError(`user_lockout "${method}": unsupported auth method (supported: ${USER_LOCKOUT_METHODS.map((m) => `"${m}"`).join(', ')})`, {
      file,
      line: block.pos.line,
    });
  }
  const r = new BodyReader(block.body, { file, where: `user_lockout "${method}"` });
  const lockout: UserLockoutConfig = {
    auth_method: method as UserLockoutConfig['auth_method'],
    ...optional('lockout_threshold', r.int('lockout_threshold', { min: 0 })),
    ...optional('lockout_duration', r.duration('lockout_duration')),
    ...optional('lockout_counter_reset', r.duration('lockout_counter_reset')),
    ...optional('disable_lockout', r.bool('disable_lockout')),
    source: r.source(block.pos),
  };
  r.finish();
  return lockout;
}
