listener "tcp" {
  address = "0.0.0.0:8200"
  tls_disable = true
  x_forwarded_for_authorized_addrs = ["10.1.0.0/16", "192.168.0.0/24"]
  x_forwarded_for_hop_skips = 1
  x_forwarded_for_reject_not_authorized = false
  x_forwarded_for_reject_not_present = false
  x_forwarded_for_client_cert_header = "X-SSL-Client-Cert"
  x_forwarded_for_client_cert_header_decoders = "URL,BASE64"
  tls_require_and_verify_client_cert = false
}
storage "inmem" {}
