// Seeded cluster simulation, 5 nodes (see sim/cluster-sim.ts).
import { simulationSuite } from './sim/simulation-suite.js';

simulationSuite('raft simulation, 5 nodes', 5, 1_000_001, 2000);
