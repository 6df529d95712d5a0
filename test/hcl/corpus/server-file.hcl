storage "file" {
  path = "/var/lib/vault"
}

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = 1
}

default_lease_ttl = "168h"
max_lease_ttl     = "720h"
log_level         = "debug"
log_format        = "json"
pid_file          = "/run/vault/vault.pid"
