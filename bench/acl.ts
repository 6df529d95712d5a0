/**
 * ACL check benchmark: 10,000 generated policies (5–20 blocks: exact, `*` and `+` paths), a token
 * holding 10 of them, and a realistic request mix. Reports the one-off compile time of the token's
 * policy set, median ns per check, checks/s, and — to stay meaningful on a noisy machine — the same
 * figures for a Map.get baseline and a regex baseline measured in the same run.
 *
 *   node --import tsx bench/acl.ts
 */
import { compilePolicySet, type AclRequest, type CompiledAcl } from '../src/policy/acl.js';
import type { AclOperation } from '../src/policy/capabilities.js';
import { parsePolicy } from '../src/policy/parse.js';
import type { Policy } from '../src/policy/types.js';

const POLICY_COUNT = 10_000;
const TOKEN_POLICIES = 10;
const REQUESTS = 8192;
const BATCH = 2048;
const BATCHES = 400;
const TARGET_NS = 2000;

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

const TEAMS = Array.from({ length: 60 }, (_, i) => `team-${i}`);
const APPS = Array.from({ length: 400 }, (_, i) => `app${i}`);
const ENVS = ['dev', 'staging', 'prod', 'qa'];
const ROLES = Array.from({ length: 50 }, (_, i) => `role-${i}`);

/** Path templates: [pattern generator, capability choices]. */
const SHAPES: Array<() => string> = [
  () => `secret/data/${pick(TEAMS)}/${pick(APPS)}/*`,
  () => `secret/metadata/${pick(TEAMS)}/*`,
  () => `secret/data/${pick(TEAMS)}/${pick(APPS)}/config`,
  () => `secret/data/+/${pick(APPS)}/shared`,
  () => `kv/${pick(ENVS)}/${pick(APPS)}/*`,
  () => `kv/+/${pick(APPS)}/+`,
  () => `kv/${pick(ENVS)}/+/database*`,
  () => `database/creds/${pick(APPS)}-${pick(ENVS)}`,
  () => `database/static-creds/+`,
  () => `pki/issue/${pick(ROLES)}`,
  () => `pki_int/sign/${pick(ROLES)}`,
  () => `transit/encrypt/${pick(APPS)}`,
  () => `transit/decrypt/${pick(APPS)}`,
  () => `aws/creds/${pick(ROLES)}`,
  () => `auth/approle/role/${pick(APPS)}/secret-id`,
  () => `auth/approle/role/+/role-id`,
  () => `auth/token/create/${pick(ROLES)}`,
  () => `sys/leases/lookup/${pick(APPS)}/*`,
  () => `identity/entity/name/${pick(APPS)}`,
  () => `${pick(ENVS)}/+/${pick(TEAMS)}/*`,
  () => `sys/policies/acl/${pick(TEAMS)}-*`,
];
const CAP_SETS = [
  ['read'],
  ['read', 'list'],
  ['create', 'read', 'update', 'delete', 'list'],
  ['create', 'update'],
  ['update'],
  ['list'],
  ['deny'],
  ['read', 'update', 'patch'],
  ['sudo', 'read', 'update'],
];

function policyText(): string {
  const blocks: string[] = [];
  const n = int(5, 20);
  for (let i = 0; i < n; i++) {
    const caps = rand() < 0.05 ? ['deny'] : pick(CAP_SETS);
    const extra =
      rand() < 0.1 ? '\n  allowed_parameters = { "ttl" = [] "common_name" = ["*.example.com"] }' : rand() < 0.05 ? '\n  required_parameters = ["name"]' : '';
    blocks.push(`path "${pick(SHAPES)()}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(', ')}]${extra}\n}`);
  }
  return blocks.join('\n\n');
}

/** A concrete request path that a pattern matches (fills `+` and `*`). */
function instantiate(pattern: string): string {
  let p = pattern.replace(/\+/g, () => pick([...APPS.slice(0, 20), ...ENVS, ...TEAMS.slice(0, 10)]));
  if (p.endsWith('*')) p = p.slice(0, -1) + (rand() < 0.5 ? pick(['', 'x', 'foo/bar', 'db/password']) : `${pick(APPS)}/${pick(['a', 'b/c'])}`);
  return p;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median ns per call of each contender. A contender runs BATCH calls and returns a checksum; each
 * has its own loop so its call sites stay monomorphic. Contenders run round-robin, batch by batch,
 * so machine noise hits them alike and their ratios stay meaningful.
 */
function measureInterleaved(contenders: Record<string, (base: number) => number>): Record<string, number> {
  const names = Object.keys(contenders);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let sink = 0;
  for (const name of names) for (let w = 0; w < 30; w++) sink += contenders[name]!(w * BATCH); // warm-up / JIT
  for (let b = 0; b < BATCHES; b++) {
    const base = (b * BATCH) % REQUESTS;
    for (const name of names) {
      const t0 = process.hrtime.bigint();
      sink += contenders[name]!(base);
      samples[name]!.push(Number(process.hrtime.bigint() - t0) / BATCH);
    }
  }
  if (sink === -1) console.log('unreachable');
  return Object.fromEntries(names.map((n) => [n, median(samples[n]!)]));
}

// --- generate and parse the policy corpus --------------------------------------------------------
const tParse0 = process.hrtime.bigint();
const corpus: Policy[] = [];
for (let i = 0; i < POLICY_COUNT; i++) corpus.push(parsePolicy(`policy-${i}`, policyText()));
const parseMs = Number(process.hrtime.bigint() - tParse0) / 1e6;
const blockCount = corpus.reduce((n, p) => n + p.paths.length, 0);

const tokenPolicies = Array.from({ length: TOKEN_POLICIES }, () => corpus[Math.floor(rand() * corpus.length)]!);
const tokenRules = tokenPolicies.flatMap((p) => p.paths);

// --- one-off compile time of the token's set -------------------------------------------------------
const compileSamples: number[] = [];
let acl: CompiledAcl = compilePolicySet(tokenPolicies);
for (let i = 0; i < 200; i++) {
  const t0 = process.hrtime.bigint();
  acl = compilePolicySet(tokenPolicies);
  compileSamples.push(Number(process.hrtime.bigint() - t0) / 1e3);
}
const firstCompileT0 = process.hrtime.bigint();
compilePolicySet(corpus.slice(100, 100 + TOKEN_POLICIES)); // a set never compiled before
const firstCompileUs = Number(process.hrtime.bigint() - firstCompileT0) / 1e3;

// --- request mix -----------------------------------------------------------------------------------
const OPS: AclOperation[] = ['read', 'read', 'read', 'list', 'update', 'create', 'delete'];
const requests: AclRequest[] = [];
for (let i = 0; i < REQUESTS; i++) {
  const roll = rand();
  let path: string;
  if (roll < 0.6) path = instantiate(pick(tokenRules).rawPath); // hits this token's rules
  else if (roll < 0.9) path = instantiate(pick(corpus).paths[0]!.rawPath); // realistic, usually no match
  else path = pick(['auth/token/lookup-self', 'sys/capabilities-self', 'sys/mounts', 'secret/data/unknown/x', 'cubbyhole/foo']);
  const operation = pick(OPS);
  const req: AclRequest = { path: operation === 'list' && rand() < 0.7 ? path.replace(/\/?$/, '/') : path, operation };
  if ((operation === 'update' || operation === 'create') && rand() < 0.5) req.data = { ttl: '1h', common_name: 'a.example.com' };
  requests.push(req);
}
const keys = requests.map((r) => r.path);
const baselineMap = new Map<string, number>();
for (let i = 0; i < keys.length; i += 2) baselineMap.set(keys[i]!, i);
const baselineRegex = /^secret\/data\/[^/]+\/app\d+\//;

const allowedShare = requests.filter((r) => acl.allowOperation(r).allowed).length / requests.length;

// --- measure ---------------------------------------------------------------------------------------
const MASK = REQUESTS - 1; // REQUESTS is a power of two
function aclBatch(base: number): number {
  let n = 0;
  for (let i = 0; i < BATCH; i++) if (acl.allowOperation(requests[(base + i) & MASK]!).allowed) n++;
  return n;
}
function capsBatch(base: number): number {
  let n = 0;
  for (let i = 0; i < BATCH; i++) n += acl.capabilities(keys[(base + i) & MASK]!).length;
  return n;
}
function mapBatch(base: number): number {
  let n = 0;
  for (let i = 0; i < BATCH; i++) n += baselineMap.get(keys[(base + i) & MASK]!) ?? 0;
  return n;
}
function regexBatch(base: number): number {
  let n = 0;
  for (let i = 0; i < BATCH; i++) if (baselineRegex.test(keys[(base + i) & MASK]!)) n++;
  return n;
}
const m = measureInterleaved({ acl: aclBatch, caps: capsBatch, map: mapBatch, regex: regexBatch });
const { acl: aclNs, caps: capsNs, map: mapNs, regex: regexNs } = m as Record<'acl' | 'caps' | 'map' | 'regex', number>;

// --- report ----------------------------------------------------------------------------------------
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows: Array<[string, string, string, string]> = [
  ['ACL allowOperation', fmt(aclNs, 1), fmt(1e9 / aclNs), `${fmt(aclNs / mapNs, 1)}× Map.get, ${fmt(aclNs / regexNs, 1)}× regex`],
  ['ACL capabilities()', fmt(capsNs, 1), fmt(1e9 / capsNs), `${fmt(capsNs / mapNs, 1)}× Map.get`],
  ['baseline Map.get', fmt(mapNs, 1), fmt(1e9 / mapNs), '1.0×'],
  ['baseline regex test', fmt(regexNs, 1), fmt(1e9 / regexNs), `${fmt(regexNs / mapNs, 1)}× Map.get`],
];
const widths = [22, 14, 14, 34];
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

console.log(`corpus: ${fmt(POLICY_COUNT)} policies, ${fmt(blockCount)} blocks, parsed in ${fmt(parseMs)} ms`);
console.log(
  `token: ${TOKEN_POLICIES} policies, ${tokenRules.length} blocks; compile median ${fmt(median(compileSamples), 1)} µs (first ever ${fmt(firstCompileUs, 1)} µs)`,
);
console.log(`requests: ${fmt(REQUESTS)} (${fmt(allowedShare * 100)}% allowed); ${BATCHES} batches × ${BATCH} checks, median per batch\n`);
console.log(line(['', 'median ns/op', 'ops/s', 'ratio']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
console.log(`\ntarget ≤ ${TARGET_NS} ns/check: ${aclNs <= TARGET_NS ? 'met' : 'NOT met'}`);
