listener "tcp" {
  address       = "10.0.0.5:8200"
  tls_cert_file = "/etc/vault/tls/server.crt"
  tls_key_file  = "/etc/vault/tls/server.key"

  x_forwarded_for_authorized_addrs   = "10.0.0.0/8,172.16.0.0/12"
  x_forwarded_for_hop_skips          = "0"
  x_forwarded_for_reject_not_present = "false"
}

listener "tcp" {
  address     = "127.0.0.1:8300"
  tls_disable = "true"

  telemetry {
    unauthenticated_metrics_access = true
  }
}

listener "tcp" {
  address = "[::1]:8400"
  tls_disable = true
  max_request_size = 1048576
  max_request_duration = "30s"
  redact_addresses = true
  redact_cluster_name = true
  redact_version = true
}

storage "inmem" {}
