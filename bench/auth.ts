/**
 * Auth method login throughput, in process (no HTTP): AppRole logins/s and userpass logins/s,
 * with userpass's KDF cost (one scrypt verify) measured on its own so the rest of the login is
 * visible, all against a baseline measured in the same run: one HMAC-SHA256 of a short string.
 *
 *   node --import tsx bench/auth.ts [--approle N] [--userpass N]
 */
import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Backend, BackendContext, LogicalRequest } from '../src/core/logical.js';
import { StorageView, type KeyValueStore } from '../src/core/storage-view.js';
import type { TxnOp } from '../src/storage/physical.js';
import { createAppRoleBackend } from '../src/auth/approle/backend.js';
import { createUserpassBackend } from '../src/auth/userpass/backend.js';
import { PasswordHasher } from '../src/auth/userpass/password-hash.js';

class MemoryStore implements KeyValueStore {
  private readonly m = new Map<string, Buffer>();
  async get(k: string) { return this.m.get(k); }
  async put(k: string, v: Buffer) { this.m.set(k, v); }
  async delete(k: string) { this.m.delete(k); }
  async list(prefix: string) {
    const out = new Set<string>();
    for (const k of this.m.keys()) if (k.startsWith(prefix)) { const rest = k.slice(prefix.length); const i = rest.indexOf('/'); out.add(i === -1 ? rest : rest.slice(0, i + 1)); }
    return [...out].sort();
  }
  async txn(ops: TxnOp[]) { for (const o of ops) { if (o.op === 'put') this.m.set(o.key, o.value); else this.m.delete(o.key); } }
}

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};

const ctx: BackendContext = { mountPoint: 'auth/x/', options: {}, effectiveTtls: () => ({ defaultLeaseTtl: 2764800, maxLeaseTtl: 2764800 }), now: () => new Date() };
const storage = new StorageView(new MemoryStore(), 'auth/x/');

function caller(backend: Backend) {
  const compiled = backend.paths.map((def) => ({ re: new RegExp(`^(?:${def.pattern})$`), def }));
  return async (relativePath: string, data: Record<string, unknown>, op: 'update' | 'create' | 'read' = 'update') => {
    const hit = compiled.map(({ re, def }) => ({ m: re.exec(relativePath), def })).find((x) => x.m);
    if (!hit?.m) throw new Error(`no path ${relativePath}`);
    const handler = hit.def.operations[op] ?? hit.def.operations.update;
    if (!handler) throw new Error(`no ${op} on ${relativePath}`);
    const req: LogicalRequest = {
      id: 'b', operation: op, path: relativePath, mountPoint: 'auth/x/', relativePath, data, params: { ...(hit.m.groups ?? {}) },
      clientToken: '', storage, headers: {}, connection: { remoteAddress: '127.0.0.1', remotePort: 1 },
    };
    return handler(req);
  };
}

async function timeIt(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(50, Math.ceil(n / 10)); i++) await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n; // ms per op
}

function row(name: string, msPerOp: number, baselineMs: number): string {
  const us = msPerOp * 1000;
  return `${name.padEnd(34)} ${us.toFixed(1).padStart(10)} µs/op ${Math.round(1000 / msPerOp).toString().padStart(9)} /s ${(msPerOp / baselineMs).toFixed(0).padStart(9)}× baseline`;
}

async function main(): Promise<void> {
  const approleN = arg('approle', 3000);
  const userpassN = arg('userpass', 30);

  const key = randomBytes(32);
  const baseline = await timeIt(200_000, () => createHmac('sha256', key).update('3f1c2a9e-8d7b-4c5a-9e1f-0a2b3c4d5e6f').digest('hex'));

  const approle = caller(createAppRoleBackend(ctx));
  await approle('role/bench', { token_policies: 'p' }, 'create');
  const roleId = ((await approle('role/bench/role-id', {}, 'read'))?.data as { role_id: string }).role_id;
  const secretId = ((await approle('role/bench/secret-id', {}))?.data as { secret_id: string }).secret_id;
  const approleMs = await timeIt(approleN, async () => {
    const r = await approle('login', { role_id: roleId, secret_id: secretId });
    if (!r?.auth) throw new Error('approle login failed');
  });

  const hasher = new PasswordHasher();
  const userpass = caller(createUserpassBackend(ctx, { hasher }));
  await userpass('users/bench', { password: 'correct horse battery staple' }, 'create');
  const stored = await hasher.hash('correct horse battery staple');
  const kdfMs = await timeIt(userpassN, () => hasher.verify('correct horse battery staple', stored));
  const userpassMs = await timeIt(userpassN, async () => {
    const r = await userpass('login/bench', { password: 'correct horse battery staple' });
    if (!r?.auth) throw new Error('userpass login failed');
  });
  // scrypt runs on libuv's thread pool, so concurrent logins overlap.
  const parallel = 8;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel * 2 }, () => userpass('login/bench', { password: 'correct horse battery staple' })));
  const concurrentMs = (performance.now() - t0) / (parallel * 2);

  const p = hasher.params;
  console.log(`auth login benchmark (in-process, node ${process.version}); scrypt N=2^${p.logN} r=${p.r} p=${p.p}`);
  console.log(row('baseline: HMAC-SHA256 (36 B)', baseline, baseline));
  console.log(row('approle login (HMAC lookups)', approleMs, baseline));
  console.log(row('userpass KDF alone (scrypt verify)', kdfMs, baseline));
  console.log(row('userpass login (sequential)', userpassMs, baseline));
  console.log(row('  of which not KDF', Math.max(userpassMs - kdfMs, 0.0001), baseline));
  console.log(row(`userpass login (${parallel * 2} concurrent)`, concurrentMs, baseline));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
