path "secret/shared" {
  capabilities = ["read"]
}

path "secret/shared" {
  capabilities = ["list"]
}

path "secret/shared" {
  capabilities = ["update"]
  allowed_parameters = { "a" = [] }
}

path "secret/other" { capabilities = ["deny"] }
