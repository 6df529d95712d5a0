storage "raft" {
  path = "/vault/raft"
  retry_join {
    leader_api_addr = "https://vault-0.vault-internal:8200"
    leader_ca_cert = <<EOF
-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUJ4Q4m0RrS0d0bXlGaWN0aW9uYWwwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAxMHdGVzdCBjYTAeFw0yNDAxMDEwMDAwMDBaFw0zNDAxMDEwMDAw
-----END CERTIFICATE-----
EOF
    leader_client_cert = <<-PEM
      -----BEGIN CERTIFICATE-----
      MIIBcTCCARegAwIBAgIUZmljdGlvbmFsY2xpZW50MAoGCCqGSM49BAMCMBIxEDAO
      -----END CERTIFICATE-----
      PEM
  }
}
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true
}
