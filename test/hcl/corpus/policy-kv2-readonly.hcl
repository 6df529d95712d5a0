// Read-only access to the application's KV v2 secrets.
path "secret/data/apps/web/*" {
  capabilities = ["read"]
}

path "secret/metadata/apps/web/*" {
  capabilities = ["list", "read"]
}

path "secret/metadata/" { capabilities = ["list"] }
