pid_file = "./pidfile"

vault {
  address = "https://vault.example.com:8200"
  retry {
    num_retries = 5
  }
}

auto_auth {
  method "approle" {
    mount_path = "auth/approle"
    config = {
      role_id_file_path = "/etc/vault/role_id"
      secret_id_file_path = "/etc/vault/secret_id"
      remove_secret_id_file_after_reading = false
    }
  }

  sink "file" {
    wrap_ttl = "5m"
    config = {
      path = "/tmp/vault-token"
      mode = 0640
    }
  }

  sink "file" {
    config = { path = "/tmp/vault-token-2" }
  }
}

cache {
  use_auto_auth_token = true
}

listener "unix" {
  address = "/run/vault-agent.sock"
  tls_disable = true
}

template {
  source      = "/etc/vault/templates/app.ctmpl"
  destination = "/etc/app/config.yml"
  command     = "systemctl reload app"
}

template {
  contents = <<EOT
{{ with secret "secret/data/app" }}
password: {{ .Data.data.password }}
{{ end }}
EOT
  destination = "/etc/app/secret.yml"
  perms = "0600"
}
