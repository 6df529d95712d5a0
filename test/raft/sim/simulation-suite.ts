// Shared body of the simulation test files: a range of seeds in chunks, or a single
// replayed seed when RAFT_SEED is set (RAFT_NODES picks the cluster size, default 3).

import { describe, expect, it } from 'vitest';
import { runSchedule, SimulationFailure, type ScheduleStats } from './cluster-sim.js';

const CHUNK = 250;

export function simulationSuite(name: string, nodeCount: number, firstSeed: number, count: number): void {
  const replay = process.env.RAFT_SEED;
  describe(name, () => {
    if (replay !== undefined) {
      const seed = Number(replay);
      const nodes = Number(process.env.RAFT_NODES ?? '3');
      it(`replays seed ${seed} with ${nodes} nodes`, () => {
        const stats = runSchedule(seed, { nodeCount: nodes, trace: true });
        console.log(stats);
        expect(stats.seed).toBe(seed);
      });
      return;
    }
    for (let from = firstSeed; from < firstSeed + count; from += CHUNK) {
      const to = Math.min(from + CHUNK, firstSeed + count);
      it(`seeds ${from}..${to - 1} (${nodeCount} nodes)`, { timeout: 300_000 }, () => {
        const failures: string[] = [];
        const totals = { acknowledgedPuts: 0, reads: 0, committed: 0 };
        for (let seed = from; seed < to; seed++) {
          let stats: ScheduleStats;
          try {
            stats = runSchedule(seed, { nodeCount });
          } catch (err) {
            if (!(err instanceof SimulationFailure)) throw err;
            failures.push(err.message);
            if (failures.length >= 3) break;
            continue;
          }
          totals.acknowledgedPuts += stats.acknowledgedPuts;
          totals.reads += stats.reads;
          totals.committed += stats.committed;
        }
        expect(failures.join('\n\n')).toBe('');
        // The schedules must do real work, or the invariants prove nothing.
        expect(totals.acknowledgedPuts).toBeGreaterThan((to - from) * 3);
        expect(totals.reads).toBeGreaterThan((to - from) * 3);
      });
    }
  });
}
