storage "consul" {
  address = "127.0.0.1:8500"
  path    = "vault/"
  token   = "d5fdc1d5-b1d9-4da5-bb69-6ffdc2a2e0fb"
  service_tags = "active,primary"
  tls_skip_verify = "false"
}

service_registration "kubernetes" {
  namespace = "vault"
  pod_name  = "vault-0"
}

entropy "seal" {
  mode = "augmentation"
}

listener "tcp" {
  address = "0.0.0.0:8200"
  tls_cert_file = "/etc/certs/vault.crt"
  tls_key_file  = "/etc/certs/vault.key"
  tls_cipher_suites = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
}
