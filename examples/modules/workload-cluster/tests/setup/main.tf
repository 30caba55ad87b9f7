# Test fixture for the module's `terraform test` runs: a vSphere Namespace to put the cluster in.

terraform {
  required_providers {
    tkg = {
      source = "tkg-oss/tkg"
    }
  }
}

variable "name" {
  description = "Name of the namespace."
  type        = string
  default     = "workload-cluster-test"
}

data "tkg_supervisor" "this" {
  name = "supervisor-1"
}

data "tkg_storage_policy" "this" {
  name = "vSAN Default Storage Policy"
}

resource "tkg_supervisor_namespace" "this" {
  name       = var.name
  supervisor = data.tkg_supervisor.this.id
  vm_classes = ["best-effort-small", "best-effort-medium"]

  storage_policy {
    policy = data.tkg_storage_policy.this.id
  }
}

output "namespace" {
  value = tkg_supervisor_namespace.this.name
}

output "storage_class" {
  value = local.storage_class
}

locals {
  # The Supervisor names one storage class per storage policy, plus a "-latebinding" (WaitForFirstConsumer) twin of
  # each; cluster nodes use the immediate-binding one.
  storage_class = one([for c in tkg_supervisor_namespace.this.storage_classes : c if length(regexall("-latebinding$", c)) == 0])
}
