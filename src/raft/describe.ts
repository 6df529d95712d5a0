// Human-readable renderings of Raft values, in the style of etcd's raft/util.go.
// Used in log lines and in the golden interaction tests, so keep them stable.

import { decodeConfChange } from './codec.js';
import { describeConfChange, describeConfState } from './conf-change.js';
import type { Entry, HardState, Message, ReadState, Snapshot, SnapshotMetadata, SoftState } from './types.js';

export function describeBytes(b: Uint8Array): string {
  let printable = true;
  for (const c of b) if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) printable = false;
  if (printable) return `"${String.fromCharCode(...b)}"`;
  return `0x${Array.from(b, (c) => c.toString(16).padStart(2, '0')).join('')}`;
}

export function describeEntry(e: Entry): string {
  if (e.type === 'EntryConfChange') {
    let body: string;
    try {
      body = describeConfChange(decodeConfChange(e.data));
    } catch {
      body = describeBytes(e.data);
    }
    return `${e.term}/${e.index} EntryConfChange ${body}`;
  }
  return `${e.term}/${e.index} EntryNormal ${describeBytes(e.data)}`;
}

export function describeSnapshotMetadata(m: SnapshotMetadata): string {
  return `Index:${m.index} Term:${m.term} ConfState:${describeConfState(m.confState)}`;
}

export function describeSnapshot(s: Snapshot): string {
  return `${describeSnapshotMetadata(s.metadata)} Data:${describeBytes(s.data)}`;
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} Term:${m.term}`;
  // Heartbeats carry the leader's tick count (lease dating) in `index`, not a log position.
  if (m.type === 'MsgHeartbeat' || m.type === 'MsgHeartbeatResp') s += ` Tick:${m.index}`;
  else s += ` Log:${m.logTerm}/${m.index}`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(', ')}]`;
  if (m.snapshot) {
    const c = m.snapshot;
    s += ` Snapshot:[Index:${c.metadata.index} Term:${c.metadata.term} Offset:${c.offset}`;
    if (m.type === 'MsgSnap') s += ` Data:${describeBytes(c.data)}${c.done ? ' Done' : ''}`;
    s += ']';
  }
  if (m.context && m.context.length > 0) s += ` Context:${describeBytes(m.context)}`;
  return s;
}

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} State:${ss.state}`;
}

export function describeReadState(rs: ReadState): string {
  return `Index:${rs.index} Ctx:${describeBytes(rs.requestCtx)}`;
}
