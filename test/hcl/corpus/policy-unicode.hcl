# Politique pour l'équipe « données » — 日本語のコメント
path "secret/data/équipe/*" {
  capabilities = ["read"]
  comment = "accès lecture — ✓"
}
path "secret/data/チーム" { capabilities = ["list"] }
