/**
 * IPv4/IPv6 address blocks for the CIDR bindings of auth methods (Vault's cidrutil and
 * parseutil.ParseAddrs): parsing, membership of a client address, and the subset relation
 * AppRole checks between a secret ID's CIDRs and its role's. Addresses become BigInts so v4 and
 * v6 share one code path; IPv4-mapped IPv6 client addresses (`::ffff:10.0.0.1`, what a dual-stack
 * Node socket reports) are treated as IPv4.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface CidrBlock {
  version: 4 | 6;
  network: bigint;
  prefix: number;
  /** How Vault renders the block: a bare address for a single host, else `addr/prefix`. */
  text: string;
}

const bits = (v: 4 | 6): number => (v === 4 ? 32 : 128);

function parseV4(s: string): bigint {
  return s.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number.parseInt(octet, 10)), 0n);
}

function parseV6(s: string): bigint {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded IPv4 (`::ffff:1.2.3.4`) becomes its two 16-bit groups.
    const v4 = parseV4(last);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] === '' || halves[0] === undefined ? [] : halves[0].split(':');
  const rest = halves.length < 2 || halves[1] === '' ? [] : (halves[1] ?? '').split(':');
  const groups = halves.length < 2 ? head : [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Parses a literal address; undefined if it is not one. Zone IDs (`%eth0`) are dropped. */
export function parseIp(raw: string): IpAddress | undefined {
  const s = raw.trim().replace(/%.*$/, '');
  if (isIPv4(s)) return { version: 4, value: parseV4(s) };
  if (isIPv6(s)) {
    const value = parseV6(s);
    if (value >> 32n === 0xffffn) return { version: 4, value: value & 0xffffffffn };
    return { version: 6, value };
  }
  return undefined;
}

function maskOf(version: 4 | 6, prefix: number): bigint {
  const total = bits(version);
  return ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - prefix)) - 1n);
}

/** A CIDR block or a single address (a host block). Throws with Vault's wording on garbage. */
export function parseCidr(raw: string): CidrBlock {
  const s = raw.trim();
  const slash = s.indexOf('/');
  const ip = parseIp(slash === -1 ? s : s.slice(0, slash));
  const prefixText = slash === -1 ? undefined : s.slice(slash + 1);
  if (!ip || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) throw new Error(`invalid CIDR address: ${raw}`);
  // A v4-mapped address written in v6 form with a v6 prefix is refused rather than guessed at.
  if (slash !== -1 && s.slice(0, slash).includes(':') && ip.version === 4) throw new Error(`invalid CIDR address: ${raw}`);
  const prefix = prefixText === undefined ? bits(ip.version) : Number.parseInt(prefixText, 10);
  if (prefix > bits(ip.version)) throw new Error(`invalid CIDR address: ${raw}`);
  const text = prefix === bits(ip.version) ? s.slice(0, slash === -1 ? s.length : slash) : s;
  return { version: ip.version, network: ip.value & maskOf(ip.version, prefix), prefix, text };
}

/** Parses every entry; throws on the first bad one. */
export const parseCidrList = (list: readonly string[]): CidrBlock[] => list.map(parseCidr);

export function blockContains(block: CidrBlock, ip: IpAddress): boolean {
  return block.version === ip.version && (ip.value & maskOf(block.version, block.prefix)) === block.network;
}

/** Vault's cidrutil.RemoteAddrIsOk: true if there are no blocks, or the address is in one. */
export function remoteAddrAllowed(remoteAddress: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const ip = parseIp(remoteAddress);
  if (!ip) return false;
  return cidrs.some((c) => {
    try {
      return blockContains(parseCidr(c), ip);
    } catch {
      return false;
    }
  });
}

/** True if every child block lies inside at least one parent block (cidrutil.SubsetBlocks). */
export function blocksAreSubset(parents: readonly string[], children: readonly string[]): boolean {
  const ps = parseCidrList(parents);
  return parseCidrList(children).every((child) =>
    ps.some((p) => p.version === child.version && p.prefix <= child.prefix && (child.network & maskOf(p.version, p.prefix)) === p.network),
  );
}
