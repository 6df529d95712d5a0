/**
 * `coffer` command line, shaped like `vault server`:
 *   coffer server -dev [-dev-root-token-id=ID] [-dev-listen-address=127.0.0.1:8200] [-dev-kv-v1]
 *   coffer server -config=FILE [-config=DIR ...] [-log-level=info]
 *   coffer version
 */
import { startServer, type DevOptions } from './server.js';
import { loadConfig, devConfig } from './config/load.js';
import { createLogger, type LogLevel } from './util/logger.js';
import { VAULT_VERSION } from './api/sys-lifecycle.js';

export interface ParsedArgs {
  command: string;
  flags: Map<string, string[]>;
}

/** Go-style flags: `-name=value`, `--name=value`, `-name value` and boolean `-name`. */
export function parseArgs(argv: string[], booleans: Set<string>): ParsedArgs {
  const [command = '', ...rest] = argv;
  const flags = new Map<string, string[]>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const m = /^--?([A-Za-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new Error(`unexpected argument "${arg}"`);
    const name = m[1]!;
    let value = m[2];
    if (value === undefined) {
      if (booleans.has(name)) value = 'true';
      else {
        value = rest[++i];
        if (value === undefined) throw new Error(`flag -${name} needs a value`);
      }
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { command, flags };
}

const SERVER_FLAGS = new Set(['dev', 'dev-kv-v1', 'dev-root-token-id', 'dev-listen-address', 'config', 'log-level', 'help']);

function usage(): string {
  return [
    'Usage: coffer <command> [options]',
    '',
    '  server -dev [-dev-root-token-id=ID] [-dev-listen-address=127.0.0.1:8200] [-dev-kv-v1]',
    '  server -config=FILE [-config=FILE_OR_DIR ...] [-log-level=info]',
    '  version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, new Set(['dev', 'dev-kv-v1', 'help']));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${usage()}\n`);
    return 1;
  }
  if (args.command === 'version') {
    process.stdout.write(`Coffer v0.1.0 (Vault API ${VAULT_VERSION})\n`);
    return 0;
  }
  if (args.command !== 'server' || args.flags.has('help')) {
    process.stderr.write(usage() + '\n');
    return args.command === 'server' ? 0 : 1;
  }
  for (const name of args.flags.keys()) {
    if (!SERVER_FLAGS.has(name)) {
      process.stderr.write(`flag provided but not defined: -${name}\n\n${usage()}\n`);
      return 1;
    }
  }
  const one = (n: string): string | undefined => args.flags.get(n)?.at(-1);
  const isDev = one('dev') === 'true';
  let config;
  try {
    if (isDev) {
      config = devConfig(one('dev-listen-address') ?? process.env['VAULT_DEV_LISTEN_ADDRESS'] ?? '127.0.0.1:8200');
    } else {
      const files = args.flags.get('config') ?? [];
      if (files.length === 0) {
        process.stderr.write('At least one config path must be specified with -config\n');
        return 1;
      }
      config = loadConfig(files);
    }
  } catch (e) {
    process.stderr.write(`Error loading configuration: ${(e as Error).message}\n`);
    return 1;
  }
  const level = (one('log-level') ?? config.log_level ?? 'info') as LogLevel;
  const logger = createLogger(level);
  const dev: DevOptions | undefined = isDev
    ? {
        ...((one('dev-root-token-id') ?? process.env['VAULT_DEV_ROOT_TOKEN_ID']) ? { rootTokenId: one('dev-root-token-id') ?? process.env['VAULT_DEV_ROOT_TOKEN_ID'] } : {}),
        kvV1: one('dev-kv-v1') === 'true',
      }
    : undefined;
  let server;
  try {
    server = await startServer(config, { ...(dev ? { dev } : {}), logger });
  } catch (e) {
    logger.error('failed to start server', { error: (e as Error).message });
    return 1;
  }
  if (server.dev) {
    const a = server.addresses[0]!;
    process.stdout.write(
      [
        '==> Coffer server started in dev mode! Log data will stream in below:',
        '',
        'WARNING! dev mode is enabled! In this mode, Coffer runs entirely in-memory',
        'and starts unsealed with a single unseal key. Do not run dev mode in production.',
        '',
        'You may need to set the following environment variables:',
        '',
        `    $ export VAULT_ADDR='http://${a.address}:${a.port}'`,
        '',
        'The unseal key and root token are displayed below in case you want to',
        'seal/unseal the Vault or re-authenticate.',
        '',
        `Unseal Key: ${server.dev.unsealKey}`,
        `Root Token: ${server.dev.rootToken}`,
        '',
        '',
      ].join('\n'),
    );
  } else {
    for (const a of server.addresses) process.stdout.write(`==> Coffer server listening on ${a.tls ? 'https' : 'http'}://${a.address}:${a.port}\n`);
  }
  const stop = (signal: string): void => {
    void server.shutdown(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return -1; // keep running
}
