/**
 * Starts a real `coffer` process on a free loopback port and talks HTTP to it like a client.
 * The process runs the compiled CLI (dist/), which `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin/coffer.js');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface Spawned {
  proc: ChildProcess;
  addr: string;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnCoffer(args: string[], opts: { env?: Record<string, string>; waitFor?: RegExp; port: number; scheme?: 'http' | 'https' }): Promise<Spawned> {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const waitFor = opts.waitFor ?? /listener started|Root Token:/;
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`coffer did not start in time.\nstdout: ${out}\nstderr: ${err}`)), 30_000);
    const check = (): void => {
      if (waitFor.test(out) || waitFor.test(err)) {
        clearTimeout(timer);
        res();
      }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      rej(new Error(`coffer exited early with ${code}.\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return {
    proc,
    port: opts.port,
    addr: `${opts.scheme ?? 'http'}://127.0.0.1:${opts.port}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export async function startDev(extra: string[] = []): Promise<Spawned & { token: string }> {
  const port = await freePort();
  const token = 'root-' + Math.random().toString(36).slice(2);
  const s = await spawnCoffer(['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${token}`, ...extra], { port, waitFor: /Root Token:/ });
  return { ...s, token };
}

export function tempDir(prefix = 'coffer-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeConfig(dir: string, text: string, name = 'config.hcl'): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A tiny Vault client: JSON in, JSON out, never throws on HTTP status. */
export class Client {
  constructor(
    readonly addr: string,
    public token = '',
  ) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.addr}/v1/${path}`, {
      method,
      headers: {
        ...(this.token ? { 'X-Vault-Token': this.token } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  put<T = Record<string, unknown>>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body ?? {});
  }
  post<T = Record<string, unknown>>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  list<T = Record<string, unknown>>(path: string) {
    return this.request<T>('LIST', path);
  }
  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }
  withToken(token: string): Client {
    return new Client(this.addr, token);
  }
}
