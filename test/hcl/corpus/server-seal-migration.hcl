# Migrating from an HSM seal back to Shamir.
seal "pkcs11" {
  lib         = "/usr/lib/softhsm/libsofthsm2.so"
  token_label = "coffer"
  pin         = "1234"
  key_label   = "coffer-root"
  disabled    = "true"
}

seal "shamir" {}

storage "file" { path = "/data" }
listener "tcp" { address = "127.0.0.1:8200", tls_disable = true }
