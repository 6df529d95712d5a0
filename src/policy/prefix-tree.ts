/**
 * A compressed radix tree answering "longest stored key that is a prefix of this path" without
 * allocating: each step compares an edge label in place with `startsWith(label, pos)`.
 */

interface RadixNode<V> {
  label: string;
  value: V | undefined;
  /** Children keyed by the first UTF-16 unit of their label (labels of siblings differ there). */
  children: Map<number, RadixNode<V>> | null;
}

function commonPrefixLength(a: string, b: string, bStart: number): number {
  const max = Math.min(a.length, b.length - bStart);
  let i = 0;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(bStart + i)) i++;
  return i;
}

export class PrefixTree<V> {
  private readonly root: RadixNode<V> = { label: '', value: undefined, children: null };
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    let node = this.root;
    let pos = 0;
    while (pos < key.length) {
      const child = node.children?.get(key.charCodeAt(pos));
      if (!child || !key.startsWith(child.label, pos)) return undefined;
      pos += child.label.length;
      node = child;
    }
    return node.value;
  }

  set(key: string, value: V): void {
    let node = this.root;
    let pos = 0;
    while (pos < key.length) {
      const first = key.charCodeAt(pos);
      const child = node.children?.get(first);
      if (!child) {
        node.children ??= new Map();
        node.children.set(first, { label: key.slice(pos), value, children: null });
        this.count++;
        return;
      }
      const common = commonPrefixLength(child.label, key, pos);
      if (common < child.label.length) {
        // Split the edge: the shared part becomes a new inner node.
        const inner: RadixNode<V> = { label: child.label.slice(0, common), value: undefined, children: new Map() };
        child.label = child.label.slice(common);
        inner.children!.set(child.label.charCodeAt(0), child);
        node.children!.set(first, inner);
        node = inner;
      } else {
        node = child;
      }
      pos += common;
    }
    if (node.value === undefined) this.count++;
    node.value = value;
  }

  /** The value of the longest key that `path` starts with, or undefined. */
  longestPrefix(path: string): V | undefined {
    let node = this.root;
    let best = node.value;
    let pos = 0;
    while (pos < path.length) {
      const children = node.children;
      if (children === null) break;
      const child = children.get(path.charCodeAt(pos));
      if (child === undefined || !path.startsWith(child.label, pos)) break;
      pos += child.label.length;
      node = child;
      if (node.value !== undefined) best = node.value;
    }
    return best;
  }

  *entries(): Generator<[string, V]> {
    const stack: Array<[RadixNode<V>, string]> = [[this.root, '']];
    while (stack.length > 0) {
      const [node, prefix] = stack.pop()!;
      const key = prefix + node.label;
      if (node.value !== undefined) yield [key, node.value];
      if (node.children) for (const c of node.children.values()) stack.push([c, key]);
    }
  }
}
