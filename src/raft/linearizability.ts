// A linearizability checker in the style of porcupine (Anish Athalye): the Wing &
// Gong search, with Lowe's memoisation of (linearized set, model state) pairs, over
// histories of operations with call and return times.
//
// Operations whose outcome is unknown (the client timed out) have an open-ended
// return time (Infinity) and an unknown output: they may take effect at any point
// after their call, or never (equivalently, after every other operation).

export interface Operation<I, O> {
  readonly clientId: number;
  readonly input: I;
  /** undefined: unknown outcome (timed out). */
  readonly output: O | undefined;
  readonly call: number;
  /** Infinity for operations that never returned. */
  readonly return: number;
}

export interface Model<S, I, O> {
  init(): S;
  /** Can `input` produce `output` (undefined = unknown) in `state`? And the state after it. */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  /** A string identifying the state (used for memoisation). */
  stateKey(state: S): string;
  /** Optional P-compositionality: independent sub-histories checked separately (e.g. per key). */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  describeOperation?(op: Operation<I, O>): string;
}

export type CheckResult =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'illegal'; readonly partition: readonly string[] }
  | { readonly outcome: 'unknown'; readonly reason: string };

export interface CheckOptions {
  /** Search steps per partition before giving up with 'unknown'. Default 2,000,000. */
  readonly maxSteps?: number;
}

interface LinkedEntry<I, O> {
  readonly id: number;
  readonly isCall: boolean;
  readonly input: I | undefined;
  readonly output: O | undefined;
  /** For a call: its return entry. */
  match: LinkedEntry<I, O> | undefined;
  prev: LinkedEntry<I, O> | undefined;
  next: LinkedEntry<I, O> | undefined;
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): LinkedEntry<I, O> {
  const events: { time: number; isCall: boolean; id: number }[] = [];
  ops.forEach((op, id) => {
    if (!(op.call <= op.return)) throw new Error(`operation ${id} returns (${op.return}) before its call (${op.call})`);
    events.push({ time: op.call, isCall: true, id }, { time: op.return, isCall: false, id });
  });
  // Calls before returns at equal times: touching operations count as concurrent.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: LinkedEntry<I, O> = {
    id: -1,
    isCall: false,
    input: undefined,
    output: undefined,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  const returns = new Map<number, LinkedEntry<I, O>>();
  let tail = head;
  for (const ev of events) {
    const op = ops[ev.id]!;
    const e: LinkedEntry<I, O> = {
      id: ev.id,
      isCall: ev.isCall,
      input: op.input,
      output: op.output,
      match: undefined,
      prev: tail,
      next: undefined,
    };
    if (!ev.isCall) returns.set(ev.id, e);
    tail.next = e;
    tail = e;
  }
  for (let e = head.next; e !== undefined; e = e.next) if (e.isCall) e.match = returns.get(e.id);
  return head;
}

/** Removes a call and its return from the list (the operation is linearized). */
function lift<I, O>(call: LinkedEntry<I, O>): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift<I, O>(call: LinkedEntry<I, O>): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

class Bitset {
  readonly words: Uint32Array;
  constructor(n: number) {
    this.words = new Uint32Array(Math.ceil(n / 32) || 1);
  }
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  key(): string {
    let s = '';
    for (const w of this.words) s += String.fromCharCode(w & 0xffff, w >>> 16);
    return s;
  }
}

function checkSingle<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], maxSteps: number): 'ok' | 'illegal' | 'unknown' {
  const head = buildList(ops);
  const linearized = new Bitset(ops.length);
  const seen = new Set<string>();
  const calls: { entry: LinkedEntry<I, O>; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  while (head.next !== undefined) {
    if (++steps > maxSteps) return 'unknown';
    if (entry === undefined) throw new Error('linearizability search ran off the end of the history');
    if (entry.isCall) {
      const res = model.step(state, entry.input as I, entry.match!.output);
      if (res.ok) {
        linearized.set(entry.id);
        const key = `${linearized.key()}|${model.stateKey(res.state)}`;
        if (!seen.has(key)) {
          seen.add(key);
          calls.push({ entry, state });
          state = res.state;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.id);
      }
      entry = entry.next;
    } else {
      // Reached a return whose call cannot be linearized yet: backtrack.
      const top = calls.pop();
      if (top === undefined) return 'illegal';
      entry = top.entry;
      state = top.state;
      linearized.clear(entry.id);
      unlift(entry);
      entry = entry.next;
    }
  }
  return 'ok';
}

export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult {
  const maxSteps = options.maxSteps ?? 2_000_000;
  const parts = model.partition ? model.partition(history) : [history.slice()];
  for (const part of parts) {
    const r = checkSingle(model, part, maxSteps);
    if (r === 'illegal') {
      const describe = model.describeOperation ?? ((op: Operation<I, O>) => JSON.stringify(op));
      return { outcome: 'illegal', partition: part.map(describe) };
    }
    if (r === 'unknown') return { outcome: 'unknown', reason: `search exceeded ${maxSteps} steps on a partition of ${part.length} operations` };
  }
  return { outcome: 'ok' };
}

// ------------------------------------------------------------------ a key/value model

export type KvInput = { readonly op: 'put'; readonly key: string; readonly value: string } | { readonly op: 'get'; readonly key: string };
/** Output of a get: the value read (null = absent). Puts have no meaningful output. */
export type KvOutput = string | null;

/** A register per key: put overwrites, get must return the latest put (or null). */
export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    if (input.op === 'put') return { ok: true, state: input.value };
    // A get with an unknown output constrains nothing.
    return { ok: output === undefined || output === state, state };
  },
  stateKey: (s) => (s === null ? '\u0000' : `=${s}`),
  partition(history) {
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const op of history) {
      let list = byKey.get(op.input.key);
      if (list === undefined) byKey.set(op.input.key, (list = []));
      list.push(op);
    }
    return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
  },
  describeOperation(op) {
    const ret = op.return === Infinity ? '∞' : String(op.return);
    const body = op.input.op === 'put' ? `put(${op.input.key}, ${op.input.value})` : `get(${op.input.key}) → ${op.output === undefined ? '?' : String(op.output)}`;
    return `client ${op.clientId} [${op.call}, ${ret}] ${body}`;
  },
};
