/**
 * Built-in policies (vault/policy_store.go). The `default` text is Vault's byte for byte (including
 * the tab in its last block), so `vault policy read default` diffs cleanly against Vault.
 */
import type { Policy } from './types.js';

export const DEFAULT_POLICY_NAME = 'default';
export const ROOT_POLICY_NAME = 'root';
export const RESPONSE_WRAPPING_POLICY_NAME = 'response-wrapping';

export const DEFAULT_POLICY_TEXT = `
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}


# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path because the format may change at any time
# based on how the internal ACL features and capabilities change.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow checking the status of a Control Group request if the user has the
# accessor
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
\tcapabilities = ["read", "update"]
}
`;

/** Attached to response-wrapping tokens; immutable and not assignable. */
export const RESPONSE_WRAPPING_POLICY_TEXT = `
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;

/** The `root` policy has no text: its name alone grants everything. */
export const ROOT_POLICY: Policy = Object.freeze({ name: ROOT_POLICY_NAME, raw: '', templated: false, paths: Object.freeze([]) });

/** Policies that can be neither written nor deleted through the API. */
export const IMMUTABLE_POLICIES: readonly string[] = Object.freeze([ROOT_POLICY_NAME, RESPONSE_WRAPPING_POLICY_NAME]);

/** Policies that cannot be attached to tokens by users (and are hidden from listings). */
export const NON_ASSIGNABLE_POLICIES: readonly string[] = Object.freeze([RESPONSE_WRAPPING_POLICY_NAME]);
