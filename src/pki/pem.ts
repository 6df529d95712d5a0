/**
 * PEM encoding and decoding (RFC 7468). Decoding is strict the way Go's encoding/pem is: blocks
 * must have matching BEGIN/END labels and valid base64; callers decide what trailing text means.
 */

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** PEM text with 64-column lines and no trailing newline (Vault's JSON convention). */
export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;

/** Decodes the first PEM block, as Go's pem.Decode does; undefined when there is none. */
export function decodeFirstPem(text: string): { block: PemBlock; rest: string } | undefined {
  BEGIN.lastIndex = 0;
  const m = BEGIN.exec(text);
  if (!m) return undefined;
  const label = m[1]!;
  const endMarker = `-----END ${label}-----`;
  const endAt = text.indexOf(endMarker, m.index);
  if (endAt === -1) return undefined;
  const compact = text.slice(m.index + m[0].length, endAt).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  return { block: { label, der: Buffer.from(compact, 'base64') }, rest: text.slice(endAt + endMarker.length) };
}
