listener "tcp" { address = "127.0.0.1:8200" }
listener "tcp" { address = "127.0.0.1:8201" }
listener "tcp" { address = "127.0.0.1:8202" }
seal "pkcs11" { lib = "/a.so" }
seal "shamir" {}
storage "raft" {
  path = "/d"
  retry_join { leader_api_addr = "https://1" }
  retry_join { leader_api_addr = "https://2" }
}
telemetry { a = 1 }
