/**
 * Stores ACL policies in the system view (`policy/acl/<name>`) and hands out compiled ACLs for a
 * token's policy set, cached so the hot path never re-parses or re-compiles.
 */
import type { StorageView } from './storage-view.js';
import { LogicalError } from './logical.js';
import { parsePolicy } from '../policy/parse.js';
import { PolicyParseError } from '../policy/errors.js';
import type { Policy } from '../policy/types.js';
import { compilePolicySet, type CompiledAcl } from '../policy/acl.js';
import { PolicyCache } from '../policy/cache.js';
import { DEFAULT_POLICY_TEXT, RESPONSE_WRAPPING_POLICY_NAME, RESPONSE_WRAPPING_POLICY_TEXT, ROOT_POLICY } from '../policy/builtin.js';

interface StoredPolicy {
  name: string;
  policy: string;
}

export class PolicyStore {
  private readonly parsed = new Map<string, Policy>();
  /** Built in, not stored, not listed, not assignable: only wrapping tokens carry it. */
  private readonly wrappingPolicy = parsePolicy(RESPONSE_WRAPPING_POLICY_NAME, RESPONSE_WRAPPING_POLICY_TEXT);
  private readonly cache = new PolicyCache(1024);

  constructor(private readonly view: StorageView) {}

  /** Loads every policy (called at unseal) and creates `default` on first start. */
  async load(): Promise<void> {
    this.parsed.clear();
    this.cache.clear();
    if ((await this.view.get('acl/default')) === undefined) {
      await this.view.putJson('acl/default', { name: 'default', policy: DEFAULT_POLICY_TEXT } satisfies StoredPolicy);
    }
    for (const name of await this.view.list('acl/')) {
      const stored = await this.view.getJson<StoredPolicy>(`acl/${name}`);
      if (stored) this.parsed.set(name, parsePolicy(name, stored.policy));
    }
  }

  list(): string[] {
    return [...this.parsed.keys(), 'root'].sort();
  }

  has(name: string): boolean {
    return name === 'root' || this.parsed.has(name);
  }

  async getText(name: string): Promise<string | undefined> {
    if (name === 'root') return '';
    return (await this.view.getJson<StoredPolicy>(`acl/${name}`))?.policy;
  }

  /** Parses before writing, so a bad policy is refused and nothing is stored. */
  async set(name: string, text: string): Promise<void> {
    if (name === 'root') throw new LogicalError('cannot update "root" policy');
    if (name === RESPONSE_WRAPPING_POLICY_NAME) throw new LogicalError(`cannot update "${name}" policy`);
    let policy: Policy;
    try {
      policy = parsePolicy(name, text);
    } catch (e) {
      if (e instanceof PolicyParseError) throw new LogicalError(`failed to parse policy: ${e.message}`);
      throw e;
    }
    await this.view.putJson(`acl/${name}`, { name, policy: text } satisfies StoredPolicy);
    this.parsed.set(name, policy);
    this.cache.invalidate(name);
  }

  async delete(name: string): Promise<void> {
    if (name === 'default') throw new LogicalError('cannot delete default policy');
    if (name === 'root') throw new LogicalError('cannot delete "root" policy');
    await this.view.delete(`acl/${name}`);
    this.parsed.delete(name);
    this.cache.invalidate(name);
  }

  /** The compiled ACL for a set of policy names (unknown names are ignored, as Vault does). */
  acl(names: readonly string[]): CompiledAcl {
    return this.cache.getOrCompile(names, (sorted) => {
      const policies: Policy[] = [];
      for (const n of sorted) {
        if (n === 'root') policies.push(ROOT_POLICY);
        else if (n === RESPONSE_WRAPPING_POLICY_NAME) policies.push(this.wrappingPolicy);
        else {
          const p = this.parsed.get(n);
          if (p) policies.push(p);
        }
      }
      return compilePolicySet(policies);
    });
  }
}
