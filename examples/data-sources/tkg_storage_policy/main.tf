terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}

data "tkg_storage_policy" "vsan" {
  name = "vSAN Default Storage Policy"
}

output "policy_id" {
  value = data.tkg_storage_policy.vsan.id
}
