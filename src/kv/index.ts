/**
 * The K/V secrets engines: `kv` (version 1 pass-through or version 2 versioned, chosen by the
 * mount's `version` option, as Vault's kv.Factory does) and `cubbyhole`.
 */
import type { BackendFactory } from '../core/logical.js';
import { createCubbyholeBackend } from './cubbyhole-backend.js';
import { createPassthroughBackend } from './passthrough-backend.js';
import { createVersionedKvBackend } from './versioned/backend.js';

export const kvBackendFactory: BackendFactory = (ctx) =>
  ctx.options['version'] === '2' ? createVersionedKvBackend(ctx) : createPassthroughBackend(ctx);

export const cubbyholeBackendFactory: BackendFactory = (ctx) => createCubbyholeBackend(ctx);
