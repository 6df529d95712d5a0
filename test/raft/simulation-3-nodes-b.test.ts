// Seeded cluster simulation, 3 nodes, second seed range (see sim/cluster-sim.ts).
import { simulationSuite } from './sim/simulation-suite.js';

simulationSuite('raft simulation, 3 nodes (b)', 3, 3001, 3000);
