# Templated policy: each entity gets its own KV space.
path "secret/data/{{identity.entity.id}}/*" {
  capabilities = ["create", "update", "patch", "read", "delete"]
}

path "secret/metadata/{{identity.entity.id}}/*" {
  capabilities = ["list"]
}

path "secret/data/groups/{{identity.groups.names.engineering.id}}/*" {
  capabilities = ["read"]
}

path "transit/keys/{{identity.entity.aliases.auth_kubernetes_e7ac5faf.metadata.service_account_namespace}}" {
  capabilities = ["read"]
}
