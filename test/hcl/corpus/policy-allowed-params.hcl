# Only allow particular parameters to be written.
path "secret/foo" {
  capabilities = ["create"]
  allowed_parameters = {
    "bar" = ["zip", "zap"]
    "baz" = []
  }
}

path "secret/bar" {
  capabilities = ["create", "update"]
  allowed_parameters {
    "*" = []
  }
  denied_parameters {
    "salary" = []
  }
}

path "auth/userpass/users/*" {
  capabilities = ["update"]
  allowed_parameters { "password" = [] "token_policies" = ["default", "dev"] }
}
