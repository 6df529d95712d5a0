/**
 * ryanuber/go-glob, the matcher Vault's auth methods use for allowed names, bound claims and
 * service-account bindings: `*` matches any run of characters (including none), nothing else is
 * special, and a lone `*` matches everything.
 */
export function globMatch(pattern: string, subject: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === subject;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!subject.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    const at = subject.indexOf(part, pos);
    if (at === -1) return false;
    pos = at + part.length;
  }
  // The trailing literal must fit after everything matched so far.
  return subject.length - pos >= last.length && subject.endsWith(last);
}

export const anyGlobMatches = (patterns: readonly string[], subject: string): boolean =>
  patterns.some((p) => globMatch(p, subject));
