/**
 * Vault's user lockout for userpass and approle (vault/core user lockout): after `threshold`
 * failed logins for one alias, each within `counterResetMs` of the previous, the alias is locked
 * for `durationMs` from the last failure and every login gets 403 `permission denied`, right
 * password or not. A successful login clears the count. Kept in memory per mount (a restart
 * forgets it, as an unseal does in Vault for the counters).
 */
export interface LockoutPolicy {
  threshold: number;
  durationMs: number;
  counterResetMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 5, durationMs: 15 * 60_000, counterResetMs: 15 * 60_000 };

interface FailureRecord {
  count: number;
  lastFailureMs: number;
}

export class LoginLockout {
  private readonly failures = new Map<string, FailureRecord>();

  constructor(
    private readonly nowMs: () => number,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
  ) {
    if (policy.threshold < 1) throw new Error(`lockout threshold must be positive, got ${policy.threshold}`);
  }

  isLocked(alias: string): boolean {
    const rec = this.failures.get(alias);
    if (!rec) return false;
    const since = this.nowMs() - rec.lastFailureMs;
    if (rec.count >= this.policy.threshold) {
      if (since < this.policy.durationMs) return true;
      this.failures.delete(alias);
      return false;
    }
    if (since > this.policy.counterResetMs) this.failures.delete(alias);
    return false;
  }

  recordFailure(alias: string): void {
    const now = this.nowMs();
    const rec = this.failures.get(alias);
    if (!rec || now - rec.lastFailureMs > this.policy.counterResetMs) this.failures.set(alias, { count: 1, lastFailureMs: now });
    else this.failures.set(alias, { count: rec.count + 1, lastFailureMs: now });
  }

  recordSuccess(alias: string): void {
    this.failures.delete(alias);
  }
}
