path "auth/approle/role/my-role/secret-id" {
  capabilities     = ["create", "update"]
  min_wrapping_ttl = "100s"
  max_wrapping_ttl = "300s"
}

path "sys/wrapping/unwrap" { capabilities = ["update"] }
path "sys/wrapping/lookup" { capabilities = ["update"] }
