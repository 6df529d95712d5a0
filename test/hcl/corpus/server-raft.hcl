ui            = true
cluster_addr  = "https://10.0.1.11:8201"
api_addr      = "https://10.0.1.11:8200"
disable_mlock = true
cluster_name  = "prod-eu-1"

storage "raft" {
  path    = "/opt/vault/data"
  node_id = "node-a"

  performance_multiplier = 1
  trailing_logs          = 10000
  snapshot_threshold     = 8192

  retry_join {
    leader_api_addr         = "https://10.0.1.11:8200"
    leader_ca_cert_file     = "/opt/vault/tls/ca.pem"
    leader_client_cert_file = "/opt/vault/tls/client.pem"
    leader_client_key_file  = "/opt/vault/tls/client-key.pem"
  }
  retry_join {
    leader_api_addr         = "https://10.0.1.12:8200"
    leader_ca_cert_file     = "/opt/vault/tls/ca.pem"
    leader_client_cert_file = "/opt/vault/tls/client.pem"
    leader_client_key_file  = "/opt/vault/tls/client-key.pem"
  }
  retry_join {
    leader_api_addr       = "https://10.0.1.13:8200"
    leader_tls_servername = "vault-3.internal"
  }

  autopilot_reconcile_interval = "10s"
}

listener "tcp" {
  address            = "0.0.0.0:8200"
  cluster_address    = "0.0.0.0:8201"
  tls_cert_file      = "/opt/vault/tls/vault.pem"
  tls_key_file       = "/opt/vault/tls/vault-key.pem"
  tls_client_ca_file = "/opt/vault/tls/ca.pem"
  tls_min_version    = "tls12"
}

telemetry {
  prometheus_retention_time = "30s"
  disable_hostname          = true
}
