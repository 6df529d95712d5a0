path "secret/profile" {
  capabilities = ["create"]
  required_parameters = ["bar", "baz"]
}

path "pki/issue/web" {
  capabilities        = ["update"]
  required_parameters = ["common_name"]
  allowed_parameters = {
    "common_name" = ["*.example.com"]
    "ttl"         = []
    "alt_names"   = []
  }
}
