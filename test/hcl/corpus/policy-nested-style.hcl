path {
  "secret/a/*" {
    capabilities = ["read"]
  }
  "secret/b/*" {
    capabilities = ["read", "list"]
  }
}
