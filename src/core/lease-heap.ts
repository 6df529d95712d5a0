/**
 * A min-heap of (expireAt, id) with O(log n) insert, remove-by-id and update — the expiration
 * manager's schedule. One timer serves the whole heap, not one per lease.
 */
export class LeaseHeap {
  private readonly ids: string[] = [];
  private readonly times: number[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  /** Every scheduled id (unordered). */
  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** Inserts or reschedules `id`. */
  set(id: string, expireAt: number): void {
    const at = this.index.get(id);
    if (at === undefined) {
      this.ids.push(id);
      this.times.push(expireAt);
      this.index.set(id, this.ids.length - 1);
      this.up(this.ids.length - 1);
      return;
    }
    const old = this.times[at]!;
    this.times[at] = expireAt;
    if (expireAt < old) this.up(at);
    else this.down(at);
  }

  delete(id: string): boolean {
    const at = this.index.get(id);
    if (at === undefined) return false;
    const last = this.ids.length - 1;
    this.swap(at, last);
    this.ids.pop();
    this.times.pop();
    this.index.delete(id);
    if (at < this.ids.length) {
      this.up(at);
      this.down(at);
    }
    return true;
  }

  peek(): { id: string; expireAt: number } | undefined {
    return this.ids.length === 0 ? undefined : { id: this.ids[0]!, expireAt: this.times[0]! };
  }

  /** Removes and returns up to `max` ids whose expireAt ≤ now, earliest first. */
  popExpired(now: number, max = Infinity): string[] {
    const out: string[] = [];
    while (out.length < max && this.ids.length > 0 && this.times[0]! <= now) {
      const id = this.ids[0]!;
      this.delete(id);
      out.push(id);
    }
    return out;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent]! <= this.times[i]!) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.times[l]! < this.times[m]!) m = l;
      if (r < n && this.times[r]! < this.times[m]!) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    const id = this.ids[a]!;
    const t = this.times[a]!;
    this.ids[a] = this.ids[b]!;
    this.times[a] = this.times[b]!;
    this.ids[b] = id;
    this.times[b] = t;
    this.index.set(this.ids[a]!, a);
    this.index.set(this.ids[b]!, b);
  }
}
