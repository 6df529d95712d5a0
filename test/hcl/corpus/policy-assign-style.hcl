path = {
  "secret/one" = {
    capabilities = ["read"]
  }
  "secret/two" = {
    capabilities = ["update"]
    allowed_parameters = { "x" = [] }
  }
}
