/**
 * Pure helpers for listing a sorted key space the way Vault's physical.Backend.List does.
 *
 * SQLite compares TEXT keys by their UTF-8 bytes, i.e. in code-point order; every bound built
 * here is therefore expressed in code points, not UTF-16 units.
 */

/**
 * The smallest string greater than every string that starts with `prefix`, or undefined when
 * there is none (empty prefix, or one made only of U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last === 0x10ffff) continue; // cannot increment: carry into the previous code point
    // Skip the surrogate block: it holds no valid scalar values (and cannot appear in UTF-8).
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return String.fromCodePoint(...cps, next);
  }
  return undefined;
}

/**
 * What `key` (which starts with `prefix`) contributes to a listing of `prefix`: the leaf name,
 * or the folder name with its trailing '/'.
 */
export function childOf(prefix: string, key: string): { name: string; folder: boolean } {
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { name: rest, folder: false } : { name: rest.slice(0, slash + 1), folder: true };
}
