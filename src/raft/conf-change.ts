// Single-server membership changes (Raft thesis §4.1) as pure functions on ConfState.
// A change that is invalid against the configuration it is applied to is a no-op on
// every node alike, so replicas stay in agreement even if a bad change gets committed.

import type { ConfChange, ConfState, NodeId } from './types.js';

/** Why `cc` cannot be applied to `cs`, or undefined if it can. */
export function confChangeProblem(cs: ConfState, cc: ConfChange): string | undefined {
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId <= 0) return `invalid node id ${cc.nodeId}`;
  switch (cc.type) {
    case 'AddNode':
      return isVoter ? `${cc.nodeId} is already a voter` : undefined;
    case 'AddLearnerNode':
      if (isLearner) return `${cc.nodeId} is already a learner`;
      if (isVoter && cs.voters.length === 1) return `cannot demote ${cc.nodeId}, the last voter`;
      return undefined;
    case 'RemoveNode':
      if (!isVoter && !isLearner) return `${cc.nodeId} is not a member`;
      if (isVoter && cs.voters.length === 1) return `cannot remove ${cc.nodeId}, the last voter`;
      return undefined;
  }
}

const sorted = (ids: Iterable<NodeId>): NodeId[] => [...ids].sort((a, b) => a - b);

/** The configuration after `cc`; unchanged if the change is invalid. */
export function applyConfChangeToState(cs: ConfState, cc: ConfChange): ConfState {
  if (confChangeProblem(cs, cc) !== undefined) return cs;
  const voters = new Set(cs.voters);
  const learners = new Set(cs.learners);
  switch (cc.type) {
    case 'AddNode':
      learners.delete(cc.nodeId);
      voters.add(cc.nodeId);
      break;
    case 'AddLearnerNode':
      voters.delete(cc.nodeId);
      learners.add(cc.nodeId);
      break;
    case 'RemoveNode':
      voters.delete(cc.nodeId);
      learners.delete(cc.nodeId);
      break;
  }
  return { voters: sorted(voters), learners: sorted(learners) };
}

export function describeConfChange(cc: ConfChange): string {
  const prefix = cc.type === 'AddNode' ? 'v' : cc.type === 'AddLearnerNode' ? 'l' : 'r';
  return `${prefix}${cc.nodeId}`;
}

export function describeConfState(cs: ConfState): string {
  return `Voters:[${cs.voters.join(' ')}] Learners:[${cs.learners.join(' ')}]`;
}
