// Seeded cluster simulation, 3 nodes, first seed range (see sim/cluster-sim.ts).
import { simulationSuite } from './sim/simulation-suite.js';

simulationSuite('raft simulation, 3 nodes (a)', 3, 1, 3000);
