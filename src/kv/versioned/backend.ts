/**
 * The versioned K/V secrets engine (KV v2), after hashicorp/vault-plugin-secrets-kv. Paths are
 * tried in order; the catch-all invalid path comes last.
 */
import type { Backend, BackendContext } from '../../core/logical.js';
import type { StorageView } from '../../core/storage-view.js';
import { configPath } from './config-path.js';
import { V2Context } from './context.js';
import { dataPath } from './data-paths.js';
import { invalidPath } from './invalid-path.js';
import { metadataPath } from './metadata-paths.js';
import { subkeysPath } from './subkeys-path.js';
import { upgradeV1Data } from './upgrade.js';
import { deletePath, destroyPath, undeletePath } from './version-paths.js';

export function createVersionedKvBackend(bctx: BackendContext): Backend {
  const ctx = new V2Context(() => bctx.now());
  return {
    type: 'kv',
    paths: [
      configPath(ctx),
      dataPath(ctx),
      metadataPath(ctx),
      destroyPath(ctx),
      subkeysPath(ctx),
      deletePath(ctx),
      undeletePath(ctx),
      invalidPath(),
    ],
    async initialize(storage: StorageView): Promise<void> {
      ctx.upgrading = true;
      try {
        await upgradeV1Data(storage, () => ctx.nowMs());
      } finally {
        ctx.upgrading = false;
      }
    },
  };
}
