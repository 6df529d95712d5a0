/**
 * Process shell: builds storage and the core from a config, starts the listeners, runs dev-mode
 * set-up, and shuts down gracefully on SIGTERM/SIGINT (stop accepting, drain ≤ 30 s, close storage).
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Core } from './core/core.js';
import { createSystemBackend } from './core/sys-backend.js';
import { createTokenBackend } from './core/token-backend.js';
import { Metrics } from './core/metrics.js';
import { createHttpApp } from './api/http.js';
import { handleListOnClientError } from './api/list-method.js';
import { SqliteBackend } from './storage/sqlite.js';
import type { PhysicalBackend } from './storage/physical.js';
import { RaftBackend, raftBackendOptions } from './storage/raft/index.js';
import { RaftCluster, JoinOverlayPhysical } from './core/raft-cluster.js';
import { kvBackendFactory, cubbyholeBackendFactory } from './kv/index.js';
import { pkiBackendFactory } from './pki/backend.js';
import { approleBackendFactory, userpassBackendFactory, kubernetesBackendFactory, certBackendFactory, jwtBackendFactory } from './auth/index.js';
import { createLogger, type Logger, type LogLevel } from './util/logger.js';
import { newMountEntry } from './core/mount-table.js';
import type { ServerConfig, ListenerConfig, SealConfig } from './config/schema.js';
import { activeSeal, migrationSourceSeal } from './config/seal.js';
import { ShamirSeal } from './core/shamir-seal.js';
import { HsmSeal } from './core/hsm-seal.js';
import type { CoreSeal } from './core/seal-types.js';
import { Pkcs11Seal, assertSealAllowed, type Pkcs11SealConfig } from './seal/pkcs11/index.js';

export interface DevOptions {
  rootTokenId?: string;
  kvV1?: boolean;
}

export interface RunningServer {
  core: Core;
  addresses: Array<{ address: string; port: number; tls: boolean }>;
  /** Set in dev mode. */
  dev?: { rootToken: string; unsealKey: string };
  shutdown(reason?: string): Promise<void>;
}

const TLS_VERSIONS: Record<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = {
  tls10: 'TLSv1',
  tls11: 'TLSv1.1',
  tls12: 'TLSv1.2',
  tls13: 'TLSv1.3',
};

/** host:port of a Vault-style address ("https://10.0.0.1:8201" → "10.0.0.1:8201"). */
function hostPort(addr: string): string {
  return addr.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

export function openPhysical(config: ServerConfig, logger?: Logger): { physical: PhysicalBackend; storageType: string; cluster?: RaftCluster } {
  const s = config.storage;
  switch (s.type) {
    case 'raft': {
      if (!config.api_addr) throw new Error(`${s.source}: storage "raft" needs api_addr (the address other nodes and clients reach this node's API at)`);
      if (!config.cluster_addr) throw new Error(`${s.source}: storage "raft" needs cluster_addr (host:port for node-to-node traffic)`);
      mkdirSync(s.path, { recursive: true, mode: 0o700 });
      const log = logger ?? createLogger('info');
      const raft = RaftBackend.open(raftBackendOptions(s, { clusterAddr: hostPort(config.cluster_addr), logger: log }));
      const physical = new JoinOverlayPhysical(raft);
      const cluster = new RaftCluster(raft, physical, { nodeId: raft.nodeId, apiAddr: config.api_addr, clusterAddr: hostPort(config.cluster_addr), log });
      return { physical, storageType: 'raft', cluster };
    }
    case 'inmem':
      return { physical: SqliteBackend.open({ path: ':memory:' }), storageType: 'inmem' };
    case 'file': {
      const dir = s.path;
      if (dir === '') throw new Error(`${s.source}: storage "file": "path" is required`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return { physical: SqliteBackend.open({ path: join(dir, 'coffer.db') }), storageType: 'file' };
    }
    default:
      throw new Error(`storage "${(s as { type: string }).type}" is not supported (supported: file, inmem, raft)`);
  }
}

/** The pkcs11 stanza in the shape the PKCS#11 layer takes. */
export function pkcs11Options(s: Extract<SealConfig, { type: 'pkcs11' }>, allowGenerate: boolean): Pkcs11SealConfig {
  return {
    lib: s.lib ?? '',
    ...(s.slot !== undefined ? { slot: s.slot } : {}),
    ...(s.token_label !== undefined ? { tokenLabel: s.token_label } : {}),
    pin: s.pin ?? '',
    keyLabel: s.key_label ?? '',
    ...(s.hmac_key_label !== undefined ? { hmacKeyLabel: s.hmac_key_label } : {}),
    ...(s.mechanism !== undefined ? { mechanism: '0x' + s.mechanism.toString(16) } : {}),
    ...(s.key_id !== undefined ? { keyId: s.key_id } : {}),
    generateKey: allowGenerate && s.generate_key,
  };
}

/** Builds a seal from its stanza; refuses SoftHSM in production before anything else happens. */
export function buildSeal(s: SealConfig, physical: PhysicalBackend, environment: string | undefined): CoreSeal {
  if (s.type === 'shamir') return new ShamirSeal(physical);
  assertSealAllowed(pkcs11Options(s, false), environment);
  return new HsmSeal(physical, (allowGenerate) => Pkcs11Seal.open(pkcs11Options(s, allowGenerate)), s.key_label ?? '');
}

function listenerServer(l: ListenerConfig, listener: http.RequestListener): { server: http.Server | https.Server; tls: boolean } {
  if (l.tls_disable) return { server: http.createServer(listener), tls: false };
  if (!l.tls_cert_file || !l.tls_key_file) throw new Error(`listener ${l.address}: tls_cert_file and tls_key_file are required unless tls_disable is set`);
  const server = https.createServer(
    {
      cert: readFileSync(l.tls_cert_file),
      key: readFileSync(l.tls_key_file),
      ...(l.tls_client_ca_file ? { ca: readFileSync(l.tls_client_ca_file) } : {}),
      // Request (not require) client certificates by default so cert auth can work, as Vault does.
      requestCert: !l.tls_disable_client_certs,
      rejectUnauthorized: l.tls_require_and_verify_client_cert === true,
      minVersion: TLS_VERSIONS[l.tls_min_version] ?? 'TLSv1.2',
      maxVersion: TLS_VERSIONS[l.tls_max_version] ?? 'TLSv1.3',
    },
    listener,
  );
  return { server, tls: true };
}

function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  if (!m) throw new Error(`invalid listener address "${address}" (want host:port)`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/** `retry_join`: until this node belongs to a cluster, keep asking each listed leader for a join challenge. */
function startRetryJoin(cluster: RaftCluster, leaders: string[], logger: Logger): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  if (leaders.length === 0 || cluster.raft.isInitialized()) return { stop() {} };
  const attempt = async (): Promise<void> => {
    for (const leader of leaders) {
      if (stopped || cluster.joining || cluster.raft.isInitialized()) return;
      try {
        await cluster.join(leader);
        logger.info('raft: retry_join got a challenge; unseal this node to finish joining', { leader });
        return;
      } catch (e) {
        logger.warn('raft: retry_join attempt failed', { leader, error: (e as Error).message });
      }
    }
    if (!stopped) timer = setTimeout(() => void attempt(), 2000);
  };
  void attempt();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * Auto-unseal at start and after failures: try now, then retry with exponential backoff
 * (1 s … 60 s), logging the exact cause each time. Never gives up while the server runs.
 */
function startAutoUnseal(core: Core, logger: Logger): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let delay = 1000;
  const attempt = async (): Promise<void> => {
    if (stopped || !core.seal.autoUnseal) return;
    try {
      if (await core.autoUnseal()) logger.info('core: unsealed through the HSM');
      delay = 1000;
    } catch (e) {
      logger.error('core: auto-unseal failed; staying sealed and retrying', { error: (e as Error).message, retry_in_ms: delay });
      timer = setTimeout(() => void attempt(), delay);
      delay = Math.min(delay * 2, 60_000);
    }
  };
  void attempt();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

export async function startServer(config: ServerConfig, opts: { dev?: DevOptions; logger?: Logger } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger((config.log_level ?? 'info') as LogLevel);
  const { physical, storageType, cluster } = openPhysical(config, logger);
  const metrics = new Metrics();
  const environment = config.environment ?? process.env['COFFER_ENVIRONMENT'];
  const seal = buildSeal(activeSeal(config), physical, environment);
  const source = migrationSourceSeal(config);
  const migrateFrom = source ? buildSeal(source, physical, environment) : undefined;
  const core = new Core({
    ...(cluster ? { cluster } : {}),
    seal,
    ...(migrateFrom ? { migrateFrom } : {}),
    physical,
    storageType,
    logger,
    defaultLeaseTtl: config.default_lease_ttl,
    maxLeaseTtl: config.max_lease_ttl,
    ...(config.cluster_name ? { clusterName: config.cluster_name } : {}),
    ...(config.api_addr ? { apiAddr: config.api_addr } : {}),
  });
  cluster?.attach(core);
  core.registerBackend('system', () => createSystemBackend(core, metrics, cluster));
  core.registerBackend('token', () => createTokenBackend(core));
  core.registerBackend('kv', kvBackendFactory);
  core.registerBackend('cubbyhole', cubbyholeBackendFactory);
  core.registerBackend('pki', pkiBackendFactory);
  core.registerBackend('approle', approleBackendFactory);
  core.registerBackend('userpass', userpassBackendFactory);
  core.registerBackend('kubernetes', kubernetesBackendFactory);
  core.registerBackend('cert', certBackendFactory);
  core.registerBackend('jwt', jwtBackendFactory);

  let dev: RunningServer['dev'];
  if (opts.dev) {
    const init = await core.initialize({ secretShares: 1, secretThreshold: 1, ...(opts.dev.rootTokenId ? { rootTokenId: opts.dev.rootTokenId } : {}) });
    const key = init.keys[0]!;
    await core.submitUnsealKey(key);
    await core.mount(newMountEntry('mounts', 'secret/', 'kv', { description: 'key/value secret storage', options: { version: opts.dev.kvV1 ? '1' : '2' } }));
    dev = { rootToken: init.rootToken, unsealKey: key.toString('base64') };
  }
  await core.detectSealMigration();
  const autoUnseal = startAutoUnseal(core, logger);
  metrics.unsealed.set(core.sealed ? 0 : 1);

  const app = createHttpApp({ core, metrics, logger, maxRequestSize: config.listeners[0]?.max_request_size, ...(cluster ? { cluster } : {}) });
  const retryJoin = cluster && config.storage.type === 'raft' ? startRetryJoin(cluster, config.storage.retry_join.map((r) => r.leader_api_addr), logger) : undefined;
  const listener = getRequestListener(app.fetch);
  const servers: Array<http.Server | https.Server> = [];
  const addresses: RunningServer['addresses'] = [];
  const inFlight = new Set<http.ServerResponse>();
  const tracked: http.RequestListener = (req, res) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    void listener(req, res);
  };
  for (const l of config.listeners) {
    const { server, tls } = listenerServer(l, tracked);
    server.on('clientError', handleListOnClientError(app.fetch as never, tls ? 'https' : 'http'));
    const { host, port } = splitHostPort(l.address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    addresses.push({ address: a.address, port: a.port, tls });
    servers.push(server);
    logger.info('listener started', { address: `${a.address}:${a.port}`, tls });
  }

  let closing: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    closing ??= (async () => {
      logger.info('shutting down', { reason, in_flight: inFlight.size });
      const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      for (const s of servers) s.closeIdleConnections?.();
      const deadline = Date.now() + 30_000;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const s of servers) s.closeAllConnections?.();
      await closed;
      autoUnseal.stop();
      retryJoin?.stop();
      await core.sealVault();
      seal.close?.();
      migrateFrom?.close?.();
      await physical.close();
      logger.info('shutdown complete');
    })();
    return closing;
  };

  return { core, addresses, ...(dev ? { dev } : {}), shutdown };
}
