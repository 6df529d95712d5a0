/**
 * Serialises async critical sections per key (Vault's locksutil.LockForKey, without the fixed
 * lock table): callers for the same key run one after another in arrival order, different keys
 * run concurrently. Entries are dropped when their queue drains, so memory tracks in-flight keys.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, critical: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    // `previous` only ever resolves (it is built from `mine` promises), so the chain never rejects.
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    try {
      await previous;
      return await critical();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a holder or waiters (for tests and leak checks). */
  get activeKeys(): number {
    return this.tails.size;
  }
}
