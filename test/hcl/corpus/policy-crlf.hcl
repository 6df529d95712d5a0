path "secret/crlf" {
  capabilities = ["read"]
}

path "secret/crlf2" { capabilities = ["list"] }
