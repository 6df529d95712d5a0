# Pre-0.9 policy syntax
path "sys/*" {
  policy = "deny"
}

path "secret/*" {
  policy = "write"
}

path "secret/super-secret" {
  policy = "deny"
}

path "secret/readable" {
  policy = "read"
}
