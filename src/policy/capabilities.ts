/**
 * Capability names, their bit values and the request-operation → capability mapping
 * (vault/policy.go, vault/acl.go).
 */

export const CAP_DENY = 1 << 0;
export const CAP_CREATE = 1 << 1;
export const CAP_READ = 1 << 2;
export const CAP_UPDATE = 1 << 3;
export const CAP_DELETE = 1 << 4;
export const CAP_LIST = 1 << 5;
export const CAP_SUDO = 1 << 6;
export const CAP_PATCH = 1 << 7;
export const CAP_SUBSCRIBE = 1 << 8;
export const CAP_RECOVER = 1 << 9;

export type Capability =
  | 'deny'
  | 'create'
  | 'read'
  | 'update'
  | 'delete'
  | 'list'
  | 'sudo'
  | 'patch'
  | 'subscribe'
  | 'recover';

export const CAPABILITY_BITS: Readonly<Record<Capability, number>> = {
  deny: CAP_DENY,
  create: CAP_CREATE,
  read: CAP_READ,
  update: CAP_UPDATE,
  delete: CAP_DELETE,
  list: CAP_LIST,
  sudo: CAP_SUDO,
  patch: CAP_PATCH,
  subscribe: CAP_SUBSCRIBE,
  recover: CAP_RECOVER,
};

/** Number of capability bits; bit i is `1 << i`. */
export const CAPABILITY_BIT_COUNT = 10;

export function isCapability(name: string): name is Capability {
  return Object.prototype.hasOwnProperty.call(CAPABILITY_BITS, name);
}

const SORTED_GRANTS: ReadonlyArray<readonly [string, number]> = Object.entries(CAPABILITY_BITS)
  .filter(([name]) => name !== 'deny')
  .sort(([a], [b]) => (a < b ? -1 : 1));

const namesByBits: Array<readonly string[] | undefined> = [];

/**
 * Names set in `bits`, sorted (sys/capabilities sorts; deny stands alone, as does an empty set).
 * The result is shared and frozen.
 */
export function capabilityNames(bits: number): readonly string[] {
  const key = bits & CAP_DENY ? CAP_DENY : bits;
  let names = namesByBits[key];
  if (names === undefined) {
    const out: string[] = [];
    if (key !== CAP_DENY) for (const [name, bit] of SORTED_GRANTS) if (bits & bit) out.push(name);
    names = Object.freeze(out.length === 0 ? ['deny'] : out);
    namesByBits[key] = names;
  }
  return names;
}

/** Every operation a logical request can carry (sdk/logical/request.go). */
export type AclOperation =
  | 'create'
  | 'read'
  | 'update'
  | 'patch'
  | 'delete'
  | 'list'
  | 'help'
  | 'alias-lookahead'
  | 'resolve-role'
  | 'header'
  | 'renew'
  | 'revoke'
  | 'rollback'
  | 'recover';

/**
 * The capability an operation needs, or 0 when the ACL never grants it (Vault's `default:` case:
 * alias-lookahead, resolve-role and header are not authorised through the ACL).
 * `help` is handled before this lookup: it is always allowed.
 */
export function capabilityForOperation(op: AclOperation): number {
  switch (op) {
    case 'read':
      return CAP_READ;
    case 'list':
      return CAP_LIST;
    case 'update':
      return CAP_UPDATE;
    case 'delete':
      return CAP_DELETE;
    case 'create':
      return CAP_CREATE;
    case 'patch':
      return CAP_PATCH;
    case 'recover':
      return CAP_RECOVER;
    // These re-use update, as Vault does.
    case 'renew':
    case 'revoke':
    case 'rollback':
      return CAP_UPDATE;
    default:
      return 0;
  }
}

/** Operations whose request data is checked against parameter constraints. */
export function operationChecksParameters(op: AclOperation): boolean {
  return op === 'read' || op === 'update' || op === 'create' || op === 'patch' || op === 'recover';
}

/** Bit index (0..9) of a single-bit capability value. */
export function bitIndex(bit: number): number {
  return 31 - Math.clz32(bit);
}
