/**
 * Matching of `+` (single segment) rules, as vault/acl.go `CheckAllowedFromNonExactPaths` does for
 * its segment-wildcard paths, but through a trie over path segments instead of a scan of every
 * rule. A rule without a trailing `*` needs exactly as many segments as the request path; with a
 * trailing `*` its last segment is a prefix of the path's segment at that index and the rest of the
 * path is swallowed.
 *
 * Segments are delimited lazily with indexOf while walking (split semantics of Go's strings.Split:
 * "" is one empty segment, a trailing "/" adds an empty segment), so a lookup allocates nothing.
 */

export interface CandidateSink<V> {
  consider(value: V): void;
}

interface SegmentNode<V> {
  literalKeys: string[];
  literalNodes: SegmentNode<V>[];
  /**
   * Built once a node has many literal children: children bucketed by (length, first unit), so a
   * lookup needs no substring.
   */
  literalBuckets: Map<number, Array<[string, SegmentNode<V>]>> | null;
  plus: SegmentNode<V> | null;
  /** A rule without trailing `*` ending exactly here. */
  terminal: V | undefined;
  /** Rules whose last, prefix-matched segment comes next. */
  tailLiterals: string[];
  tailValues: V[];
}

const LINEAR_SCAN_LIMIT = 8;

function newNode<V>(): SegmentNode<V> {
  return { literalKeys: [], literalNodes: [], literalBuckets: null, plus: null, terminal: undefined, tailLiterals: [], tailValues: [] };
}

/** Bucket key of a segment: its length and first UTF-16 unit (0 when empty). */
function bucketKey(length: number, firstUnit: number): number {
  return length * 65536 + firstUnit;
}

function rebuildBuckets<V>(node: SegmentNode<V>): void {
  const buckets = new Map<number, Array<[string, SegmentNode<V>]>>();
  for (let j = 0; j < node.literalKeys.length; j++) {
    const key = node.literalKeys[j]!;
    const b = bucketKey(key.length, key.length > 0 ? key.charCodeAt(0) : 0);
    let bucket = buckets.get(b);
    if (bucket === undefined) buckets.set(b, (bucket = []));
    bucket.push([key, node.literalNodes[j]!]);
  }
  node.literalBuckets = buckets;
}

export class SegmentTrie<V> {
  private readonly root: SegmentNode<V> = newNode();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** `pattern` is the rule key: `+` segments, optionally a trailing `*`. Each pattern once. */
  insert(pattern: string, value: V): void {
    const isPrefix = pattern.endsWith('*');
    const parts = (isPrefix ? pattern.slice(0, -1) : pattern).split('/');
    const walkTo = isPrefix ? parts.length - 1 : parts.length;
    let node = this.root;
    for (let i = 0; i < walkTo; i++) {
      const part = parts[i]!;
      if (part === '+') {
        node.plus ??= newNode();
        node = node.plus;
        continue;
      }
      const at = node.literalKeys.indexOf(part);
      if (at >= 0) {
        node = node.literalNodes[at]!;
      } else {
        const child = newNode<V>();
        node.literalKeys.push(part);
        node.literalNodes.push(child);
        if (node.literalKeys.length > LINEAR_SCAN_LIMIT) rebuildBuckets(node);
        node = child;
      }
    }
    if (isPrefix) {
      const tail = parts[parts.length - 1]!;
      if (node.tailLiterals.includes(tail)) throw new Error(`segment rule ${pattern} inserted twice`);
      node.tailLiterals.push(tail);
      node.tailValues.push(value);
    } else {
      if (node.terminal !== undefined) throw new Error(`segment rule ${pattern} inserted twice`);
      node.terminal = value;
    }
    this.count++;
  }

  /** Offers every rule matching `path` to `sink`. */
  match(path: string, sink: CandidateSink<V>): void {
    if (this.count === 0) return;
    this.walk(this.root, 0, path, sink);
  }

  /** `start` is where the next path segment begins, or -1 once every segment is consumed. */
  private walk(node: SegmentNode<V>, start: number, path: string, sink: CandidateSink<V>): void {
    if (start < 0) {
      if (node.terminal !== undefined) sink.consider(node.terminal);
      return;
    }
    const slash = path.indexOf('/', start);
    const next = slash < 0 ? -1 : slash + 1;
    const len = (slash < 0 ? path.length : slash) - start;
    const tails = node.tailLiterals;
    for (let t = 0; t < tails.length; t++) {
      const lit = tails[t]!;
      if (lit.length <= len && path.startsWith(lit, start)) sink.consider(node.tailValues[t]!);
    }
    let literal: SegmentNode<V> | undefined;
    if (node.literalBuckets !== null) {
      const bucket = node.literalBuckets.get(bucketKey(len, len > 0 ? path.charCodeAt(start) : 0));
      if (bucket !== undefined) {
        for (let k = 0; k < bucket.length; k++) {
          const entry = bucket[k]!;
          if (path.startsWith(entry[0], start)) {
            literal = entry[1];
            break;
          }
        }
      }
    } else {
      const keys = node.literalKeys;
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        if (key.length === len && path.startsWith(key, start)) {
          literal = node.literalNodes[k];
          break;
        }
      }
    }
    if (literal !== undefined) this.walk(literal, next, path, sink);
    if (node.plus !== null) this.walk(node.plus, next, path, sink);
  }
}
