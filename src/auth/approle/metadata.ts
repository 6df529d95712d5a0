/**
 * Secret-ID metadata as AppRole takes it (strutil.ParseArbitraryKeyValues): a JSON object of
 * strings, optionally base64-encoded, or `k1=v1,k2=v2`.
 */
export function parseSecretIdMetadata(input: string): Record<string, string> {
  let text = input.trim();
  if (text === '') return {};
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (Buffer.from(decoded, 'utf8').toString('base64') === text) text = decoded;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const out: Record<string, string> = {};
      let allStrings = true;
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
        if (typeof v === 'string') out[k] = v;
        else allStrings = false;
      }
      if (allStrings) return out;
    }
  } catch {
    // Not JSON: fall through to key=value pairs.
  }
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [rawKey, rawValue] = pair.split('=');
    const key = (rawKey ?? '').trim();
    const value = (rawValue ?? '').trim();
    if (key === '' || value === '') throw new Error(`invalid <key,value> pair: key: "${key}" value: "${value}"`);
    out[key] = value;
  }
  return out;
}
