seal "pkcs11" {
  lib            = "/usr/vault/lib/libCryptoki2_64.so"
  slot           = "2305843009213693953"
  pin            = "AAAA-BBBB-CCCC-DDDD"
  key_label      = "vault-hsm-key"
  hmac_key_label = "vault-hsm-hmac-key"
  mechanism      = "0x1085"
  hmac_mechanism = "0x0251"
  generate_key   = "true"
  max_parallel   = 4
}

storage "raft" {
  path = "/vault/data"
  node_id = "hsm-node-1"
}

listener "tcp" {
  address = "0.0.0.0:8200"
  tls_cert_file = "/vault/tls/cert.pem"
  tls_key_file = "/vault/tls/key.pem"
}

environment = "production"
