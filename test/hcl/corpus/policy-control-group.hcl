path "secret/data/accounting/*" {
  capabilities = ["read"]

  control_group = {
    factor "authorizer" {
      identity {
        group_names = ["acct_manager"]
        approvals   = 1
      }
    }
    factor "second" {
      identity {
        group_names = ["security", "audit"]
        approvals   = 2
      }
    }
  }
}
