/**
 * The PKI secrets engine as a Coffer backend: Vault's `pki` paths over a PkiState. Paths are
 * tried in order, so specific ones come before patterns that would also match them.
 */
import type { Backend, BackendContext, BackendFactory, LeaseContext } from '../core/logical.js';
import type { StorageView } from '../core/storage-view.js';
import { caPaths } from './paths/ca.js';
import { fetchPaths } from './paths/fetch.js';
import { issuePaths } from './paths/issue.js';
import { issuerPaths } from './paths/issuers.js';
import { ocspPaths } from './paths/ocsp.js';
import { revokeBySerial, revokePaths } from './paths/revoke.js';
import { rolePaths } from './paths/roles.js';
import { autoTidyTick, tidyPaths } from './paths/tidy.js';
import { urlPaths } from './paths/urls.js';
import { PkiState, type PkiOptions } from './state.js';
import { Tidier } from './tidy.js';

/** How often the periodic function looks at the auto-tidy configuration. */
const PERIODIC_MS = 60_000;

export interface PkiBackend extends Backend {
  /** Exposed for tests and benchmarks. */
  readonly state: PkiState;
  readonly tidier: Tidier;
}

export function createPkiBackend(ctx: BackendContext, opts: PkiOptions = {}): PkiBackend {
  const state = new PkiState(ctx, opts);
  const tidier = new Tidier(state);
  let timer: NodeJS.Timeout | undefined;
  const bindAll = <T extends { storage: StorageView }>(req: T): T => {
    state.bind(req.storage);
    return req;
  };
  const paths = [
    ...caPaths(state),
    ...issuerPaths(state),
    ...rolePaths(state),
    ...issuePaths(state),
    ...revokePaths(state),
    ...fetchPaths(state),
    ...ocspPaths(state),
    ...urlPaths(state),
    ...tidyPaths(state, tidier),
  ].map((def) => ({
    ...def,
    operations: Object.fromEntries(
      Object.entries(def.operations).map(([op, handler]) => [op, (req: Parameters<NonNullable<typeof handler>>[0]) => handler!(bindAll(req))]),
    ),
  }));
  return {
    type: 'pki',
    paths,
    state,
    tidier,
    async initialize(storage: StorageView): Promise<void> {
      state.bind(storage);
      timer ??= setInterval(() => {
        autoTidyTick(state, tidier).catch(() => undefined);
      }, PERIODIC_MS);
      timer.unref();
    },
    async cleanup(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await tidier.settled();
      state.close();
    },
    async revokeSecret(lease: LeaseContext): Promise<void> {
      state.bind(lease.storage);
      const serial = lease.internalData['serial_number'];
      if (typeof serial !== 'string' || serial === '') throw new Error(`PKI lease ${lease.leaseId} has no serial_number`);
      try {
        await revokeBySerial(state, lease.storage, serial);
      } catch (e) {
        // A certificate tidied away (expired) has nothing left to revoke.
        if (!(e instanceof Error && /not found\.$/.test(e.message))) throw e;
      }
    },
  };
}

export const pkiBackendFactory: BackendFactory = (ctx) => createPkiBackend(ctx);
