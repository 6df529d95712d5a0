// The join RPC on the cluster port. A node that wants in (holding a certificate from the
// cluster CA) opens a TLS connection to any member, sends Hello then JoinRequest, and
// reads one JoinResponse:
//   - a follower answers {ok:false, leader_addr} and the joiner asks the leader instead;
//   - the leader adds the joiner as a learner (a Raft membership change), waits until that
//     change is committed, and answers {ok:true, members} so the joiner knows every
//     member's address before the leader's first MsgApp/MsgSnap reaches it;
//   - unless non_voter, the leader promotes the learner to voter once its log caught up.

export interface JoinRequest {
  readonly node_id: string;
  readonly address: string;
  readonly raft_id: number;
  readonly non_voter: boolean;
}

export interface JoinMember {
  readonly raft_id: number;
  readonly node_id: string;
  readonly address: string;
}

export type JoinResponse =
  | { readonly ok: true; readonly members: readonly JoinMember[] }
  | { readonly ok: false; readonly error: string; readonly leader_addr?: string };

/** The first frame on every connection a node dials: who it is and where to answer it. */
export interface Hello {
  readonly raft_id: number;
  readonly node_id: string;
  readonly address: string;
}

export class JoinProtocolError extends Error {
  override readonly name = 'JoinProtocolError';
}

function obj(payload: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new JoinProtocolError(`${what} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JoinProtocolError(`${what} is not an object`);
  return v as Record<string, unknown>;
}

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

export function parseHello(payload: Buffer): Hello {
  const o = obj(payload, 'hello');
  if (!isId(o.raft_id) || typeof o.node_id !== 'string' || typeof o.address !== 'string') {
    throw new JoinProtocolError('hello needs raft_id, node_id and address');
  }
  return { raft_id: o.raft_id, node_id: o.node_id, address: o.address };
}

export function parseJoinRequest(payload: Buffer): JoinRequest {
  const o = obj(payload, 'join request');
  if (!isId(o.raft_id) || typeof o.node_id !== 'string' || o.node_id === '' || typeof o.address !== 'string' || o.address === '') {
    throw new JoinProtocolError('join request needs raft_id, node_id and address');
  }
  return { raft_id: o.raft_id, node_id: o.node_id, address: o.address, non_voter: o.non_voter === true };
}

export function parseJoinResponse(payload: Buffer): JoinResponse {
  const o = obj(payload, 'join response');
  if (o.ok === true) {
    const members = Array.isArray(o.members) ? o.members : [];
    const out: JoinMember[] = [];
    for (const m of members as Record<string, unknown>[]) {
      if (isId(m.raft_id) && typeof m.node_id === 'string' && typeof m.address === 'string') {
        out.push({ raft_id: m.raft_id, node_id: m.node_id, address: m.address });
      }
    }
    return { ok: true, members: out };
  }
  const error = typeof o.error === 'string' ? o.error : 'join refused';
  return typeof o.leader_addr === 'string' && o.leader_addr !== '' ? { ok: false, error, leader_addr: o.leader_addr } : { ok: false, error };
}
