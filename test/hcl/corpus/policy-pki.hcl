# cert-manager issuer policy
path "pki_int/sign/example-dot-com" { capabilities = ["create", "update"] }
path "pki_int/issue/example-dot-com" { capabilities = ["create"] }
path "pki_int/roles/*" { capabilities = ["read", "list"] }
path "pki_int/cert/ca" { capabilities = ["read"] }
path "pki/crl" { capabilities = ["read"] }
path "pki/tidy" { capabilities = ["update", "sudo"] }
