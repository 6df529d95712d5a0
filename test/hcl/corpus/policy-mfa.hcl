path "secret/data/critical" {
  capabilities = ["read"]
  mfa_methods  = ["totp_mfa", "duo"]
}

path "sys/mfa/method/totp/my_totp/admin-generate" {
  capabilities = ["update"]
}
