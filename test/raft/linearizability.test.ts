import { describe, expect, it } from 'vitest';
import {
  checkOperations,
  kvModel,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
} from '../../src/raft/linearizability.js';
import { Prng } from './sim/prng.js';

type Op = Operation<KvInput, KvOutput>;

const put = (clientId: number, key: string, value: string, call: number, ret: number): Op => ({
  clientId,
  input: { op: 'put', key, value },
  output: null,
  call,
  return: ret,
});
const get = (clientId: number, key: string, value: string | null, call: number, ret: number): Op => ({
  clientId,
  input: { op: 'get', key },
  output: value,
  call,
  return: ret,
});
/** A put whose client timed out: it may or may not have taken effect. */
const lostPut = (clientId: number, key: string, value: string, call: number): Op => ({
  clientId,
  input: { op: 'put', key, value },
  output: undefined,
  call,
  return: Infinity,
});

const outcome = (h: Op[]) => checkOperations(kvModel, h).outcome;

describe('linearizability checker (KV model)', () => {
  it('accepts sequential histories that read the latest write', () => {
    expect(outcome([put(1, 'x', 'a', 0, 1), get(2, 'x', 'a', 2, 3), put(1, 'x', 'b', 4, 5), get(2, 'x', 'b', 6, 7)])).toBe('ok');
    expect(outcome([get(1, 'x', null, 0, 1)])).toBe('ok');
  });

  it('rejects a stale read after the write completed', () => {
    expect(outcome([put(1, 'x', 'a', 0, 10), put(1, 'x', 'b', 20, 30), get(2, 'x', 'a', 40, 50)])).toBe('illegal');
    expect(outcome([put(1, 'x', 'a', 0, 10), get(2, 'x', null, 11, 12)])).toBe('illegal');
  });

  it('lets a read concurrent with a write see either value', () => {
    expect(outcome([put(1, 'x', 'a', 0, 10), get(2, 'x', 'a', 5, 15)])).toBe('ok');
    expect(outcome([put(1, 'x', 'a', 0, 10), get(2, 'x', null, 5, 15)])).toBe('ok');
    // Operations that merely touch (return == call) count as concurrent.
    expect(outcome([put(1, 'x', 'a', 0, 10), get(2, 'x', null, 10, 15)])).toBe('ok');
  });

  it('rejects reads that observe concurrent writes in two different orders', () => {
    // Both puts span every read; but the reads see a, then b, then a again.
    const h = [put(1, 'x', 'a', 0, 100), put(2, 'x', 'b', 0, 100), get(3, 'x', 'a', 10, 20), get(3, 'x', 'b', 30, 40), get(3, 'x', 'a', 50, 60)];
    expect(outcome(h)).toBe('illegal');
    expect(outcome(h.slice(0, 4))).toBe('ok');
  });

  it('treats a timed-out write as possibly applied at any later time, or never', () => {
    expect(outcome([lostPut(1, 'x', 'a', 0), get(2, 'x', 'a', 50, 60)])).toBe('ok');
    expect(outcome([lostPut(1, 'x', 'a', 0), get(2, 'x', null, 50, 60)])).toBe('ok');
    expect(outcome([lostPut(1, 'x', 'a', 0), get(2, 'x', null, 50, 60), get(2, 'x', 'a', 70, 80)])).toBe('ok');
    // But once observed, it has happened: it cannot be undone.
    expect(outcome([lostPut(1, 'x', 'a', 0), get(2, 'x', 'a', 50, 60), get(2, 'x', null, 70, 80)])).toBe('illegal');
    // And it cannot take effect before it was issued.
    expect(outcome([get(2, 'x', 'a', 0, 5), lostPut(1, 'x', 'a', 10)])).toBe('illegal');
  });

  it('checks keys independently and reports the offending partition', () => {
    const r = checkOperations(kvModel, [put(1, 'y', 'ok', 0, 1), put(1, 'x', 'a', 0, 10), get(2, 'x', null, 20, 30), get(2, 'y', 'ok', 2, 3)]);
    expect(r.outcome).toBe('illegal');
    if (r.outcome !== 'illegal') return;
    expect(r.partition).toEqual(['client 1 [0, 10] put(x, a)', 'client 2 [20, 30] get(x) → null']);
  });

  it('gives up with "unknown" when the search budget runs out', () => {
    const h: Op[] = [];
    for (let i = 0; i < 12; i++) h.push(put(i, 'x', `v${i}`, 0, 100));
    h.push(get(99, 'x', 'nope', 0, 100));
    expect(checkOperations(kvModel, h, { maxSteps: 50 }).outcome).toBe('unknown');
    expect(checkOperations(kvModel, h).outcome).toBe('illegal');
  });

  it('refuses operations that return before they are called', () => {
    expect(() => outcome([put(1, 'x', 'a', 10, 5)])).toThrow(/returns \(5\) before its call \(10\)/);
  });

  it('accepts every history generated from a real linearization, and catches a corrupted read', () => {
    const rng = new Prng(2024);
    for (let round = 0; round < 200; round++) {
      // Each op takes effect at a random point inside its [call, return] window.
      const ops: { op: Op; at: number }[] = [];
      for (let c = 0; c < 4; c++) {
        let t = rng.int(0, 5);
        for (let k = 0; k < 6; k++) {
          const call = t;
          const ret = call + rng.int(0, 20);
          const at = call + rng.float() * (ret - call);
          const key = rng.pick(['x', 'y']);
          const timedOut = rng.chance(0.1);
          const input: KvInput = rng.chance(0.5) ? { op: 'put', key, value: `${c}.${k}` } : { op: 'get', key };
          if (timedOut && input.op === 'put') {
            // Either it took effect at `at` or never; the history cannot tell.
            ops.push({ op: { clientId: c, input, output: undefined, call, return: Infinity }, at: rng.chance(0.5) ? at : Infinity });
          } else {
            ops.push({ op: { clientId: c, input, output: null, call, return: ret }, at });
          }
          t = ret + rng.int(0, 5);
        }
      }
      const state = new Map<string, string>();
      const history: Op[] = [];
      for (const { op, at } of ops.slice().sort((a, b) => a.at - b.at)) {
        if (at === Infinity) {
          history.push(op);
          continue;
        }
        if (op.input.op === 'put') {
          state.set(op.input.key, op.input.value);
          history.push(op);
        } else history.push({ ...op, output: state.get(op.input.key) ?? null });
      }
      expect(checkOperations(kvModel, history).outcome).toBe('ok');
      const reads = history.filter((o) => o.input.op === 'get');
      if (reads.length === 0) continue;
      const victim = rng.pick(reads);
      const corrupted = history.map((o) => (o === victim ? { ...o, output: 'never-written' } : o));
      expect(checkOperations(kvModel, corrupted).outcome).toBe('illegal');
    }
  });

  it('works with other models: a counter that can only go up by 1', () => {
    const counter: Model<number, 'inc' | 'read', number> = {
      init: () => 0,
      step: (s, input, output) => (input === 'inc' ? { ok: true, state: s + 1 } : { ok: output === undefined || output === s, state: s }),
      stateKey: (s) => String(s),
    };
    const op = (input: 'inc' | 'read', output: number | undefined, call: number, ret: number) => ({ clientId: 0, input, output, call, return: ret });
    expect(checkOperations(counter, [op('inc', 0, 0, 10), op('inc', 0, 0, 10), op('read', 1, 5, 6), op('read', 2, 11, 12)]).outcome).toBe('ok');
    expect(checkOperations(counter, [op('inc', 0, 0, 10), op('read', 2, 11, 12)]).outcome).toBe('illegal');
  });
});
