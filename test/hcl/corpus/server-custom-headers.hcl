listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true

  custom_response_headers {
    "default" = {
      "Strict-Transport-Security" = ["max-age=31536000", "includeSubDomains"],
      "Content-Security-Policy" = ["connect-src https://clusterA.vault.external/"],
      "X-Custom-Response-Header" = ["X-Custom-Value"]
    }
    "307" = {
      "X-Custom-Response-Header" = ["Custom-Value-307"]
    }
    "3xx" = {
      "X-Vault-Ignored-3xx" = ["Ignored-Value-3xx"]
    }
  }
}
storage "inmem" {}
