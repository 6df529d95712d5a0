storage "file" { path = "/srv/coffer", }
listener "tcp" { address = "127.0.0.1:8200", tls_disable = true, max_request_size = 33554432 }
listener "tcp" { address = "127.0.0.1:8210", tls_disable = false, tls_cert_file = "c.pem", tls_key_file = "k.pem", tls_min_version = "tls13" }
ui = false, log_level = "warn", default_lease_ttl = 3600,
max_lease_ttl = "48h"
telemetry { disable_hostname = true, usage_gauge_period = "none" }
