// The node's name in the cluster (Vault's raft node_id): from the config, else the one
// saved in <path>/node-id, else a new random UUID saved there (fsync'd) for next time.

import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_ID_FILE = 'node-id';

export function resolveNodeId(dir: string, configured: string | undefined): string {
  if (configured !== undefined && configured !== '') return configured;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, NODE_ID_FILE);
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved === '') throw new Error(`raft: ${file} is empty; delete it or set node_id in the storage stanza`);
    return saved;
  }
  const id = randomUUID();
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, id);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
  return id;
}
