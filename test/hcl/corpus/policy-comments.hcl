/*
 * A multi-line comment at the top.
 * path "not/real" { capabilities = ["root"] }
 */
path "secret/a" { // trailing comment
  capabilities = ["read"] # another
  /* inline */ # and more
}

# path "commented/out" { capabilities = ["read"] }
// path "also/out" {}

path "secret/b" {
  capabilities = [
    "read",   # first
    "list",   // second
    /* third */ "update",
  ]
}
