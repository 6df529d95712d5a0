path "*" { capabilities = ["deny"] }
path "+/config/*" { capabilities = ["read"] }
path "secret/+/teamb/*" { capabilities = ["read", "list"] }
path "sys/policies/acl/team-*" { capabilities = ["create", "read", "update", "delete", "list"] }
