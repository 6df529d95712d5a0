telemetry {
  statsd_address = "statsd.service.consul:8125"
  dogstatsd_addr = "localhost:8125"
  dogstatsd_tags = ["env:prod", "team:security"]
  disable_hostname = true
  usage_gauge_period = "5m"
  maximum_gauge_cardinality = 1000
  prometheus_retention_time = "24h"
  metrics_prefix = "coffer"
  filter_default = false
  prefix_filter = ["+vault.token", "-vault.expire", "+vault.expire.num_leases"]
}

storage "inmem" {}
listener "tcp" { address = "127.0.0.1:8200" tls_disable = true }
