terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}

data "tkg_supervisor" "by_name" {
  name = "supervisor-1"
}

data "tkg_supervisor" "by_cluster" {
  cluster = "Cluster-1"
}

output "supervisor_id" {
  value = data.tkg_supervisor.by_name.id
}

output "api_endpoint" {
  value = data.tkg_supervisor.by_cluster.api_endpoint
}
