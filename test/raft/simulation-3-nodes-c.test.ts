// Seeded cluster simulation, 3 nodes, third seed range (see sim/cluster-sim.ts).
import { simulationSuite } from './sim/simulation-suite.js';

simulationSuite('raft simulation, 3 nodes (c)', 3, 6001, 2000);
