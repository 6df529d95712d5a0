// The replicated state machine the simulation runs on the log: a key/value map with
// per-client sessions, so a command applied twice (a duplicated or re-forwarded
// proposal) takes effect once (Raft thesis §6.3).

export type KvCommand =
  | { kind: 'put'; client: number; op: number; key: string; value: string }
  | { kind: 'get'; client: number; op: number; key: string };

export interface KvResult {
  readonly client: number;
  readonly op: number;
  /** For gets: the value read (null if absent). */
  readonly value: string | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return enc.encode(c.kind === 'put' ? `p|${c.client}|${c.op}|${c.key}|${c.value}` : `g|${c.client}|${c.op}|${c.key}`);
}

export function decodeCommand(data: Uint8Array): KvCommand {
  const [kind, client, op, key, value] = dec.decode(data).split('|');
  if (kind === 'p') return { kind: 'put', client: Number(client), op: Number(op), key: key!, value: value! };
  if (kind === 'g') return { kind: 'get', client: Number(client), op: Number(op), key: key! };
  throw new Error(`bad kv command ${dec.decode(data)}`);
}

export class KvStateMachine {
  private data = new Map<string, string>();
  /** client → highest op applied */
  private sessions = new Map<number, number>();

  /** Applies one command; returns undefined if it is a duplicate of an applied op. */
  apply(c: KvCommand): KvResult | undefined {
    const last = this.sessions.get(c.client) ?? -1;
    if (c.op <= last) return undefined;
    this.sessions.set(c.client, c.op);
    if (c.kind === 'put') {
      this.data.set(c.key, c.value);
      return { client: c.client, op: c.op, value: null };
    }
    return { client: c.client, op: c.op, value: this.data.get(c.key) ?? null };
  }

  read(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  serialize(): Uint8Array {
    const d = [...this.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const s = [...this.sessions].sort(([a], [b]) => a - b);
    return enc.encode(JSON.stringify({ d, s }));
  }

  static restore(bytes: Uint8Array): KvStateMachine {
    const sm = new KvStateMachine();
    if (bytes.length === 0) return sm;
    const { d, s } = JSON.parse(dec.decode(bytes)) as { d: [string, string][]; s: [number, number][] };
    sm.data = new Map(d);
    sm.sessions = new Map(s);
    return sm;
  }
}
