# Roughly what `vault server -dev` runs with.
disable_mlock = true
ui = true
raw_storage_endpoint = true

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
  proxy_protocol_behavior = "use_always"
}

storage "inmem" {}

telemetry {
  prometheus_retention_time = "24h"
  disable_hostname = true
}

enable_response_header_hostname = true
enable_response_header_raft_node_id = true
plugin_directory = "/etc/vault/plugins"
default_max_request_duration = "90s"
