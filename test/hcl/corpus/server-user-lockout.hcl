user_lockout "all" {
  lockout_duration      = "10m"
  lockout_counter_reset = "10m"
}

user_lockout "userpass" {
  lockout_threshold = "25"
  lockout_duration  = "5m"
}

user_lockout "ldap" {
  disable_lockout = "true"
}

storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = "1"
}
