path "secret/foo" {
  capabilities = ["create", "update"]
  denied_parameters = {
    "bar" = ["zip", "zap"]
  }
}

path "secret/glob/*" {
  capabilities = ["create"]
  denied_parameters = {
    "*" = []
  }
}

path "secret/mixed" {
  capabilities = ["create"]
  allowed_parameters = {
    "*"   = []
    "foo" = ["bar*", "*baz"]
  }
  denied_parameters = {
    "secret" = []
    "key"    = [1, 2.5, true]
  }
}
