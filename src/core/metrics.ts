/** Prometheus metrics under Vault's names where Vault has them (telemetry docs). */
import { Registry, Gauge, Histogram, Counter, collectDefaultMetrics } from 'prom-client';

/** Milliseconds. A histogram rather than Vault's summary: an observation is one bucket increment. */
const LATENCY_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

export class Metrics {
  readonly registry = new Registry();
  readonly unsealed = new Gauge({ name: 'vault_core_unsealed', help: 'Whether the core is unsealed (1) or sealed (0)', registers: [this.registry] });
  readonly handleRequest = new Histogram({
    name: 'vault_core_handle_request',
    help: 'Time taken by the core to handle a request, in milliseconds',
    buckets: LATENCY_BUCKETS_MS,
    registers: [this.registry],
  });
  readonly handleLoginRequest = new Histogram({
    name: 'vault_core_handle_login_request',
    help: 'Time taken by the core to handle a login request, in milliseconds',
    buckets: LATENCY_BUCKETS_MS,
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'vault_http_requests_total',
    help: 'HTTP requests by method and status code',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });
  readonly leases = new Gauge({ name: 'vault_expire_num_leases', help: 'Number of leases tracked by the expiration manager', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'coffer_process_' });
  }

  // Label children resolved once per (method, code): prom-client hashes the label object on every
  // inc() otherwise, and this runs on every request.
  private readonly httpChildren = new Map<string, { inc(): void }>();

  countHttpRequest(method: string, code: number): void {
    const key = `${method} ${code}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      child = this.httpRequests.labels(method, String(code));
      this.httpChildren.set(key, child);
    }
    child.inc();
  }
}
