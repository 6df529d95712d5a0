// Raft messages between nodes over mutual TLS. Every node listens on its cluster address;
// to send, it keeps one long-lived outbound connection per peer (dialled on first use,
// redialled with exponential backoff), so each pair of nodes has one connection per
// direction and no connection is ever shared by two writers.
//
// Sends never block Raft: each peer has a bounded queue (small while disconnected, larger
// while connected but the socket is backed up). A message that does not fit is dropped and
// reported unreachable, which makes the leader fall back to probing that follower instead of
// streaming into the void. A connection that breaks is reported the same way (what was in
// flight may be lost). Raft tolerates loss; it does not tolerate an unbounded queue.

import { type Server, type TLSSocket, connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { decodeMessage, encodeMessage } from '../../raft/codec.js';
import type { Message, NodeId } from '../../raft/types.js';
import type { Logger } from '../../util/logger.js';
import { checkClusterServerIdentity, type ClusterTls } from './cluster-tls.js';
import { type Frame, FrameDecoder, FrameType, encodeFrame, encodeJsonFrame } from './frames.js';
import { type Hello, type JoinRequest, type JoinResponse, parseHello, parseJoinRequest, parseJoinResponse } from './join-protocol.js';

export interface TransportHandlers {
  onMessage(m: Message): void;
  onUnreachable(to: NodeId): void;
  onJoinRequest(req: JoinRequest): Promise<JoinResponse>;
}

export interface TransportOptions {
  readonly self: Hello;
  /** Where to listen (host:port); defaults to the advertised address. */
  readonly listenAddr?: string;
  readonly tls: ClusterTls;
  readonly handlers: TransportHandlers;
  readonly logger: Logger;
  /** Per-peer queue bounds while connected. */
  readonly maxQueuedMessages?: number;
  readonly maxQueuedBytes?: number;
  /** Messages queued while a peer is unreachable (older ones are useless to Raft anyway). */
  readonly maxQueuedWhileDown?: number;
  readonly maxFrameBytes?: number;
}

export interface PeerStats {
  readonly address: string;
  readonly connected: boolean;
  readonly queued: number;
  readonly sent: number;
  readonly dropped: number;
  readonly connects: number;
}

const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
const BACKOFF_MIN_MS = 25;
const BACKOFF_MAX_MS = 1000;
const CONNECT_TIMEOUT_MS = 3000;

export function parseHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, ''));
  if (m === null) throw new Error(`invalid cluster address ${JSON.stringify(addr)}: expected host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in cluster address ${JSON.stringify(addr)}`);
  return { host: (m[1] ?? m[2])!, port };
}

function dial(addr: string, tls: ClusterTls): TLSSocket {
  const { host, port } = parseHostPort(addr);
  return tlsConnect({
    host,
    port,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.3',
    checkServerIdentity: checkClusterServerIdentity,
  });
}

/** One outbound connection to one peer, with its send queue. */
class PeerLink {
  private socket: TLSSocket | undefined;
  private open = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private backoff = BACKOFF_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private corked = false;
  sent = 0;
  dropped = 0;
  connects = 0;

  constructor(
    readonly id: NodeId,
    public address: string,
    private readonly t: RaftTransport,
  ) {}

  /** Queues or writes a frame; false if it had to be dropped. */
  send(frame: Buffer): boolean {
    if (this.closed) return false;
    const s = this.socket;
    if (this.open && s !== undefined && this.queue.length === 0 && s.writableLength < SOCKET_HIGH_WATER) {
      this.write(s, frame);
      return true;
    }
    const limit = this.open ? this.t.limits.maxQueuedMessages : this.t.limits.maxQueuedWhileDown;
    if (this.queue.length >= limit || this.queuedBytes + frame.length > this.t.limits.maxQueuedBytes) {
      this.dropped++;
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (s === undefined && this.retryTimer === undefined) this.connect();
    return true;
  }

  setAddress(address: string): void {
    if (address === this.address) return;
    this.address = address;
    this.reset();
  }

  /** Drops the connection (it is redialled on the next send). */
  reset(): void {
    this.socket?.destroy();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.destroy();
    this.queue = [];
    this.queuedBytes = 0;
  }

  stats(): PeerStats {
    return { address: this.address, connected: this.open, queued: this.queue.length, sent: this.sent, dropped: this.dropped, connects: this.connects };
  }

  private write(s: TLSSocket, frame: Buffer): void {
    // Inside a batch, frames to one peer leave together when the batch ends.
    if (this.t.batching && !this.corked) {
      this.corked = true;
      s.cork();
      this.t.corked.push(() => {
        this.corked = false;
        s.uncork();
      });
    }
    s.write(frame);
    this.sent++;
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.closed || this.socket !== undefined) return;
    let s: TLSSocket;
    try {
      s = dial(this.address, this.t.tls);
    } catch (e) {
      this.t.logger.warn('raft transport: cannot dial peer', { peer: this.id, address: this.address, error: (e as Error).message });
      this.scheduleRetry();
      return;
    }
    this.socket = s;
    s.setNoDelay(true);
    s.setTimeout(CONNECT_TIMEOUT_MS, () => s.destroy(new Error('connect timeout')));
    s.once('secureConnect', () => {
      s.setTimeout(0);
      s.setKeepAlive(true, 5000);
      this.open = true;
      this.connects++;
      this.backoff = BACKOFF_MIN_MS;
      this.write(s, encodeJsonFrame(FrameType.Hello, this.t.hello));
      this.flush();
    });
    s.on('drain', () => this.flush());
    // Peers never write back on this connection; reading keeps the socket healthy.
    s.on('data', () => {});
    s.on('error', (err) => {
      if (!this.closed) this.t.logger.debug('raft transport: peer connection error', { peer: this.id, address: this.address, error: err.message });
    });
    s.on('close', () => {
      const wasOpen = this.open;
      this.open = false;
      this.socket = undefined;
      if (this.closed) return;
      // Whatever was in flight may be lost: let Raft re-probe this follower.
      if (wasOpen || this.queue.length > 0) this.t.handlers.onUnreachable(this.id);
      this.dropDownQueueExcess();
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = this.backoff * (0.5 + Math.random() / 2);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.retryTimer.unref();
  }

  private flush(): void {
    const s = this.socket;
    if (!this.open || s === undefined) return;
    while (this.queue.length > 0 && s.writableLength < SOCKET_HIGH_WATER) {
      const f = this.queue.shift()!;
      this.queuedBytes -= f.length;
      this.write(s, f);
    }
  }

  /** While down, keep only the newest few messages. */
  private dropDownQueueExcess(): void {
    const keep = this.t.limits.maxQueuedWhileDown;
    if (this.queue.length <= keep) return;
    const gone = this.queue.splice(0, this.queue.length - keep);
    for (const f of gone) this.queuedBytes -= f.length;
    this.dropped += gone.length;
  }
}

export class RaftTransport {
  readonly limits: { maxQueuedMessages: number; maxQueuedBytes: number; maxQueuedWhileDown: number; maxFrameBytes: number };
  readonly logger: Logger;
  readonly handlers: TransportHandlers;
  readonly tls: ClusterTls;
  readonly hello: Hello;
  private server: Server | undefined;
  private readonly inbound = new Set<TLSSocket>();
  private readonly links = new Map<NodeId, PeerLink>();
  /** Addresses from the applied membership. */
  private memberAddrs = new Map<NodeId, string>();
  /** Return addresses learned from Hello frames (for nodes not yet in our membership view). */
  private readonly learnedAddrs = new Map<NodeId, string>();
  private closed = false;
  readonly counters = { received: 0, undeliverable: 0, badFrames: 0 };

  constructor(private readonly opts: TransportOptions) {
    this.logger = opts.logger;
    this.handlers = opts.handlers;
    this.tls = opts.tls;
    this.hello = opts.self;
    const maxFrameBytes = opts.maxFrameBytes ?? 256 * 1024 * 1024;
    this.limits = {
      maxQueuedMessages: opts.maxQueuedMessages ?? 4096,
      maxQueuedBytes: opts.maxQueuedBytes ?? 256 * 1024 * 1024,
      maxQueuedWhileDown: opts.maxQueuedWhileDown ?? 64,
      maxFrameBytes,
    };
  }

  /** Starts listening; resolves once the port is bound. */
  async listen(): Promise<void> {
    const { host, port } = parseHostPort(this.opts.listenAddr ?? this.opts.self.address);
    const server = createTlsServer(
      { ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
      (s) => this.accept(s),
    );
    server.on('tlsClientError', (err) => this.logger.debug('raft transport: rejected TLS client', { error: err.message }));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error('raft transport: listener error', { error: err.message }));
  }

  /** The cluster addresses of the current members (self excluded by the caller or ignored). */
  setMemberAddresses(addrs: ReadonlyMap<NodeId, string>): void {
    this.memberAddrs = new Map(addrs);
    for (const [id, link] of this.links) {
      const a = this.addressOf(id);
      if (a === undefined) {
        link.close();
        this.links.delete(id);
      } else {
        link.setAddress(a);
      }
    }
  }

  learnAddress(id: NodeId, address: string): void {
    if (id !== this.hello.raft_id) this.learnedAddrs.set(id, address);
  }

  batching = false;
  readonly corked: (() => void)[] = [];

  /**
   * Sends messages; returns the peers some message could not be queued for (unknown
   * address or full queue). Frames to one peer are written together, and leave before this
   * returns (the caller may block on an fsync next).
   */
  sendAll(msgs: readonly Message[]): Set<NodeId> {
    const unreachable = new Set<NodeId>();
    if (msgs.length === 0) return unreachable;
    this.batching = true;
    try {
      for (const m of msgs) if (!this.send(m)) unreachable.add(m.to);
    } finally {
      this.batching = false;
      for (const uncork of this.corked.splice(0)) uncork();
    }
    return unreachable;
  }

  /** Sends one Raft message; false if it was dropped (unknown address or full queue). */
  send(m: Message): boolean {
    if (this.closed) return false;
    const link = this.link(m.to);
    if (link === undefined) {
      this.counters.undeliverable++;
      return false;
    }
    return link.send(encodeFrame(FrameType.Raft, encodeMessage(m)));
  }

  /** Asks the node at `address` to add us to its cluster (see join-protocol.ts). */
  requestJoin(address: string, req: JoinRequest, timeoutMs: number): Promise<JoinResponse> {
    return new Promise((resolve, reject) => {
      const s = dial(address, this.tls);
      const decoder = new FrameDecoder(this.limits.maxFrameBytes);
      const timer = setTimeout(() => s.destroy(new Error(`join request to ${address} timed out after ${timeoutMs} ms`)), timeoutMs);
      let settled = false;
      const done = (err: Error | undefined, resp?: JoinResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.destroy();
        if (err) reject(err);
        else resolve(resp!);
      };
      s.once('secureConnect', () => {
        s.write(encodeJsonFrame(FrameType.Hello, this.hello));
        s.write(encodeJsonFrame(FrameType.JoinRequest, req));
      });
      s.on('data', (chunk: Buffer) => {
        try {
          for (const f of decoder.push(chunk)) {
            if (f.type === FrameType.JoinResponse) done(undefined, parseJoinResponse(f.payload));
          }
        } catch (e) {
          done(e as Error);
        }
      });
      s.on('error', (err) => done(new Error(`join request to ${address} failed: ${err.message}`)));
      s.on('close', () => done(new Error(`join request to ${address}: connection closed without an answer`)));
    });
  }

  /** Breaks every connection, in and out (they are redialled on demand). For tests and operators. */
  dropConnections(): void {
    for (const link of this.links.values()) link.reset();
    for (const s of this.inbound) s.destroy();
  }

  peerStats(): Record<string, PeerStats> {
    const out: Record<string, PeerStats> = {};
    for (const [id, link] of this.links) out[String(id)] = link.stats();
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const s of this.inbound) s.destroy();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private addressOf(id: NodeId): string | undefined {
    return this.memberAddrs.get(id) ?? this.learnedAddrs.get(id);
  }

  private link(id: NodeId): PeerLink | undefined {
    let link = this.links.get(id);
    if (link !== undefined) return link;
    const addr = this.addressOf(id);
    if (addr === undefined || id === this.hello.raft_id) return undefined;
    link = new PeerLink(id, addr, this);
    this.links.set(id, link);
    return link;
  }

  private accept(s: TLSSocket): void {
    if (this.closed) {
      s.destroy();
      return;
    }
    this.inbound.add(s);
    s.setNoDelay(true);
    s.setKeepAlive(true, 5000);
    const decoder = new FrameDecoder(this.limits.maxFrameBytes);
    s.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        this.counters.badFrames++;
        this.logger.warn('raft transport: bad frame from peer, closing', { error: (e as Error).message });
        s.destroy();
        return;
      }
      for (const f of frames) this.handleFrame(s, f);
    });
    s.on('error', (err) => this.logger.debug('raft transport: inbound connection error', { error: err.message }));
    s.on('close', () => this.inbound.delete(s));
  }

  private handleFrame(s: TLSSocket, f: Frame): void {
    try {
      switch (f.type) {
        case FrameType.Hello: {
          const h = parseHello(f.payload);
          this.learnAddress(h.raft_id, h.address);
          return;
        }
        case FrameType.Raft: {
          const m = decodeMessage(f.payload);
          this.counters.received++;
          if (m.to !== this.hello.raft_id) return; // for an earlier incarnation of this address
          this.handlers.onMessage(m);
          return;
        }
        case FrameType.JoinRequest: {
          const req = parseJoinRequest(f.payload);
          this.handlers.onJoinRequest(req).then(
            (resp) => s.write(encodeJsonFrame(FrameType.JoinResponse, resp)),
            (err: Error) => s.write(encodeJsonFrame(FrameType.JoinResponse, { ok: false, error: err.message })),
          );
          return;
        }
        default:
          throw new Error(`unexpected frame type ${f.type} on an inbound connection`);
      }
    } catch (e) {
      this.counters.badFrames++;
      this.logger.warn('raft transport: bad frame from peer, closing', { error: (e as Error).message });
      s.destroy();
    }
  }
}
