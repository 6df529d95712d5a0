// Raft timing from `performance_multiplier` (Vault: 0 or unset means 5; 1 is fastest).
//
// One tick is 20 ms × multiplier (100 ms at the default). The leader heartbeats every tick;
// a follower that hears nothing for 5–10 ticks (randomised in [5, 10)) starts a pre-vote.
// At the default that is 0.5–1.0 s of silence before an election, so a dead leader is
// replaced in about a second (one pre-vote and one vote round trip on top), and writes
// resume within 2 s. A leader that cannot reach a quorum for 5 ticks steps down
// (check-quorum). The same settings as etcd's defaults (100 ms heartbeat, 1 s election)
// halved on the election side: Coffer clusters are expected to run on a LAN.

export interface RaftTiming {
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  readonly electionTicks: number;
}

export const BASE_TICK_MS = 20;
export const DEFAULT_MULTIPLIER = 5;
export const HEARTBEAT_TICKS = 1;
export const ELECTION_TICKS = 5;

export function raftTiming(multiplier: number | undefined, overrides: Partial<RaftTiming> = {}): RaftTiming {
  const m = multiplier === undefined || multiplier === 0 ? DEFAULT_MULTIPLIER : multiplier;
  if (!Number.isInteger(m) || m < 0 || m > 10) throw new Error(`raft: performance_multiplier must be an integer in 0..10, got ${multiplier}`);
  const t: RaftTiming = {
    tickMs: overrides.tickMs ?? BASE_TICK_MS * m,
    heartbeatTicks: overrides.heartbeatTicks ?? HEARTBEAT_TICKS,
    electionTicks: overrides.electionTicks ?? ELECTION_TICKS,
  };
  if (!(t.tickMs > 0) || t.heartbeatTicks < 1 || t.electionTicks <= t.heartbeatTicks) {
    throw new Error(`raft: invalid timing ${JSON.stringify(t)} (need tickMs > 0, 1 ≤ heartbeat < election)`);
  }
  return t;
}

/** The longest a follower waits without a leader before campaigning. */
export function maxElectionTimeoutMs(t: RaftTiming): number {
  return 2 * t.electionTicks * t.tickMs;
}
