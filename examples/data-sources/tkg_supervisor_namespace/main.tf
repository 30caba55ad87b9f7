terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}

data "tkg_supervisor_namespace" "team_a" {
  name = "team-a"
}

output "storage_classes" {
  value = data.tkg_supervisor_namespace.team_a.storage_classes
}
