// Soak test for the Raft core: runs many more simulation schedules than CI does.
//
//   node --import tsx scripts/raft-soak.ts [--from 1] [--count 100000] [--nodes 3|5]
//                                          [--fault-time 800] [--stop-on-failure]
//
// Every failure prints its seed; replay one with
//   RAFT_SEED=<seed> RAFT_NODES=<n> npx vitest run test/raft/simulation-3-nodes-a.test.ts

import { parseArgs } from 'node:util';
import { runSchedule, SimulationFailure } from '../test/raft/sim/cluster-sim.js';

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '100000001' },
    count: { type: 'string', default: '100000' },
    nodes: { type: 'string', default: '3' },
    'fault-time': { type: 'string', default: '800' },
    'stop-on-failure': { type: 'boolean', default: false },
  },
});

const from = Number(values.from);
const count = Number(values.count);
const nodeCount = Number(values.nodes);
const faultTime = Number(values['fault-time']);
if (![from, count, nodeCount, faultTime].every(Number.isSafeInteger) || nodeCount < 1) {
  console.error('usage: raft-soak.ts [--from N] [--count N] [--nodes N] [--fault-time T] [--stop-on-failure]');
  process.exit(2);
}

const started = Date.now();
let failures = 0;
let puts = 0;
let reads = 0;
let lastReport = started;
for (let seed = from; seed < from + count; seed++) {
  try {
    const stats = runSchedule(seed, { nodeCount, faultTime });
    puts += stats.acknowledgedPuts;
    reads += stats.reads;
  } catch (err) {
    if (!(err instanceof SimulationFailure)) throw err;
    failures++;
    console.log(`FAIL ${err.message.split('\n')[0]}`);
    if (values['stop-on-failure']) {
      console.log(err.message);
      break;
    }
  }
  const now = Date.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    const done = seed - from + 1;
    console.log(`${done}/${count} schedules, ${failures} failures, ${((now - started) / done).toFixed(1)} ms/schedule`);
  }
}
const done = Math.min(count, Number.MAX_SAFE_INTEGER);
console.log(
  `done: ${done} schedules of ${nodeCount} nodes in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
    `${puts} acknowledged puts, ${reads} reads checked; ${failures} failures`,
);
process.exit(failures > 0 ? 1 : 0);
