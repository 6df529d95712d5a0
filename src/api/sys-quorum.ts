/** HTTP shapes of sys/generate-root/* and sys/rekey/* (no token: the key shares are the credential). */
import type { Core } from '../core/core.js';
import { LogicalError } from '../core/logical.js';
import { field, parseFields } from '../core/fields.js';
import { decodeUnsealKey } from './sys-lifecycle.js';
import type { BareResult } from './sys-lifecycle.js';

const keyFields = { key: field.string(), nonce: field.string() };

function keyAndNonce(data: Record<string, unknown>): { key: Buffer; nonce: string } {
  const { values } = parseFields(keyFields, data);
  if (values.key === '') throw new LogicalError("'key' must be specified in request body as JSON");
  return { key: decodeUnsealKey(values.key), nonce: values.nonce };
}

const ok = (body: unknown): BareResult => ({ status: 200, body });
const noContent: BareResult = { status: 204 };
const notAllowed: BareResult = { status: 405, body: { errors: [] } };

/** Returns undefined when `path` is not one of these endpoints. */
export async function quorumEndpoint(core: Core, rawPath: string, method: string, data: () => Promise<Record<string, unknown>>): Promise<BareResult | undefined> {
  const write = method === 'PUT' || method === 'POST';
  // With an auto-unseal seal operators hold recovery keys: Vault rekeys them under
  // sys/rekey-recovery-key/*; the same flow serves both, guarded by seal kind.
  let path = rawPath;
  if (rawPath.startsWith('sys/rekey-recovery-key/')) {
    if (!core.seal.recoverySeal) throw new LogicalError('recovery keys are only used with auto-unseal seals; use sys/rekey');
    path = 'sys/rekey/' + rawPath.slice('sys/rekey-recovery-key/'.length);
  } else if (rawPath.startsWith('sys/rekey/') && core.seal.recoverySeal && method !== 'GET') {
    throw new LogicalError('this server unseals through its HSM: rekey the recovery keys with sys/rekey-recovery-key');
  }
  switch (path) {
    case 'sys/generate-root/attempt':
      if (method === 'GET') return ok(await core.rootGeneration.status());
      if (method === 'DELETE') {
        core.rootGeneration.cancel();
        return noContent;
      }
      if (write) {
        const { values } = parseFields({ otp: field.string(), pgp_key: field.string() }, await data());
        return ok(await core.rootGeneration.start({ otp: values.otp, pgpKey: values.pgp_key }));
      }
      return notAllowed;
    case 'sys/generate-root/update': {
      if (!write) return notAllowed;
      const { key, nonce } = keyAndNonce(await data());
      return ok(await core.rootGeneration.update(key, nonce));
    }
    case 'sys/rekey/init':
      if (method === 'GET') return ok(await core.rekey.status());
      if (method === 'DELETE') {
        core.rekey.cancel();
        return noContent;
      }
      if (write) {
        const { values } = parseFields(
          { secret_shares: field.int(), secret_threshold: field.int(), pgp_keys: field.commaStringSlice(), backup: field.bool(), require_verification: field.bool() },
          await data(),
        );
        return ok(
          await core.rekey.start({
            shares: values.secret_shares,
            threshold: values.secret_threshold,
            pgpKeys: values.pgp_keys,
            backup: values.backup,
            requireVerification: values.require_verification,
          }),
        );
      }
      return notAllowed;
    case 'sys/rekey/update': {
      if (!write) return notAllowed;
      const { key, nonce } = keyAndNonce(await data());
      return ok(await core.rekey.update(key, nonce));
    }
    case 'sys/rekey/verify':
      if (method === 'GET') return ok(core.rekey.verifyStatus());
      if (method === 'DELETE') {
        core.rekey.cancel();
        return noContent;
      }
      if (write) {
        const { key, nonce } = keyAndNonce(await data());
        return ok(await core.rekey.verify(key, nonce));
      }
      return notAllowed;
    default:
      return undefined;
  }
}
