name = "embedded"

rules = <<EOT
path "secret/*" {
  capabilities = ["read"]
}
EOT

indented = <<-EOT
    line one
      line two
    line three
    EOT

indented_ragged = <<-EOT
    line one
  line two
    EOT

not_dashed_indented_end = <<EOF
keep
  EOF

empty_heredoc = <<X
X

in_list = [<<A
alpha
A
, "beta"]
