path "transit/encrypt/orders" {
   capabilities = [ "update" ]
}
path "transit/decrypt/orders" {
   capabilities = [ "update" ]
}
path "transit/keys/orders" {
   capabilities = [ "read" ]
}
path "transit/datakey/plaintext/orders" { capabilities = [ "update", ] }
