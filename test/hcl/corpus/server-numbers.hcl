storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true
  max_request_size = 0x2000000
}
numbers {
  dec = 42
  neg = -17
  oct = 0755
  hex = 0xFF
  hexneg = -0x10
  flt = 3.25
  fltneg = -0.5
  exp = 1e3
  expneg = 2.5E-2
  leading_dot = .75
  trailing_dot = 5.
  zero = 0
  big = 2147483647
}
