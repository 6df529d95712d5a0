/**
 * The physical storage contract: raw bytes under string keys, below the barrier.
 *
 * Every method that writes resolves only once the write is durable (fsync'd for sqlite,
 * committed by a quorum for raft). Keys are '/'-separated paths; `list(prefix)` returns the
 * immediate children of `prefix` (which ends in '/' or is ''), folders suffixed with '/',
 * sorted, deduplicated — the same shape Vault's physical.Backend.List returns.
 */
export interface PhysicalEntry {
  key: string;
  value: Buffer;
}

export type TxnOp =
  | { op: 'put'; key: string; value: Buffer }
  | { op: 'delete'; key: string };

export interface PhysicalBackend {
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /** Applies every op or none. */
  txn(ops: TxnOp[]): Promise<void>;
  close(): Promise<void>;
}
