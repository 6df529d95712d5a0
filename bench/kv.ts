/**
 * bench/kv — KV v2 read and write over HTTP with a non-root token, against a Hono hello-world
 * route measured in the same run with the same load generator and concurrency.
 *
 *   npm run build && node --import tsx bench/kv.ts [--duration 10] [--connections 50]
 *
 * Servers run as separate processes (as in production); autocannon drives them from this one.
 * The machine is noisy: compare the ratio, not the absolute numbers.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const duration = Number(args.get('duration') ?? 10);
const connections = Number(args.get('connections') ?? 50);
const ROOT = resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

function waitFor(proc: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((res, rej) => {
    let buf = '';
    const on = (d: Buffer): void => {
      buf += d.toString();
      if (re.test(buf)) res();
    };
    proc.stdout?.on('data', on);
    proc.stderr?.on('data', on);
    proc.once('exit', (c) => rej(new Error(`exited ${c}: ${buf}`)));
  });
}

async function run(name: string, opts: autocannon.Options): Promise<{ name: string; rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({ duration, connections, pipelining: 1, ...opts });
  const errors = r.errors + r.non2xx;
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors };
}

const HELLO = `
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
const app = new Hono();
app.get('/hello', (c) => c.json({ hello: 'world' }));
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' }, () => console.log('ready'));
`;

async function main(): Promise<void> {
  const helloPort = await freePort();
  const hello = spawn(process.execPath, ['--input-type=module', '-e', HELLO], { cwd: ROOT, env: { ...process.env, PORT: String(helloPort) } });
  await waitFor(hello, /ready/);

  const port = await freePort();
  const coffer = spawn(process.execPath, [resolve(ROOT, 'bin/coffer.js'), 'server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, '-dev-root-token-id=bench-root', '-log-level=error'], { cwd: ROOT });
  await waitFor(coffer, /Root Token:/);
  const base = `http://127.0.0.1:${port}`;
  const rootHeaders = { 'X-Vault-Token': 'bench-root', 'Content-Type': 'application/json' };
  await fetch(`${base}/v1/sys/policies/acl/bench`, {
    method: 'PUT',
    headers: rootHeaders,
    body: JSON.stringify({ policy: 'path "secret/data/bench/*" { capabilities = ["create","read","update"] }' }),
  });
  const tok = (await (await fetch(`${base}/v1/auth/token/create`, { method: 'POST', headers: rootHeaders, body: JSON.stringify({ policies: ['bench'] }) })).json()) as { auth: { client_token: string } };
  const token = tok.auth.client_token;
  for (let i = 0; i < 100; i++) {
    await fetch(`${base}/v1/secret/data/bench/k${i}`, { method: 'POST', headers: rootHeaders, body: JSON.stringify({ data: { value: `v${i}`, n: i } }) });
  }

  const results = [];
  results.push(await run('hono hello-world GET', { url: `http://127.0.0.1:${helloPort}/hello` }));
  results.push(await run('KV v2 read (non-root token)', { url: `${base}/v1/secret/data/bench/k1`, headers: { 'X-Vault-Token': token } }));
  let n = 0;
  results.push(
    await run('KV v2 write (non-root token)', {
      url: base,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({ ...req, path: `/v1/secret/data/bench/w${n++ % 1000}`, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { value: 'x'.repeat(64) } }) }),
        },
      ],
    }),
  );
  hello.kill();
  coffer.kill();
  const baseline = results[0]!.rps;
  console.log(`\nbench/kv — ${duration}s per case, ${connections} connections, node ${process.version}\n`);
  console.log('case                              req/s     ratio   p50 ms  p99 ms  errors');
  for (const r of results) {
    console.log(`${r.name.padEnd(32)} ${r.rps.toFixed(0).padStart(7)}   ${(r.rps / baseline).toFixed(2).padStart(5)}×  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${r.errors}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
