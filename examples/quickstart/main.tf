# Quickstart: a VM class, a vSphere Namespace and a three-pool TKG cluster, with data-source lookups.
# `make demo` runs it against tkg-sim; against a real vCenter set VSPHERE_SERVER, VSPHERE_USER, VSPHERE_PASSWORD
# (and VSPHERE_CA_FILE, TKG_SUPERVISOR_ENDPOINT when needed) and adjust the variables.

terraform {
  required_providers {
    tkg = {
      source = "tkg-oss/tkg"
    }
  }
}

provider "tkg" {}

variable "supervisor" {
  description = "Name of the Supervisor to put the namespace on."
  type        = string
  default     = "supervisor-1"
}

variable "storage_policy" {
  description = "vSphere storage policy for the namespace and the cluster's disks."
  type        = string
  default     = "vSAN Default Storage Policy"
}

# Pinned on purpose. Feeding data.tkg_kubernetes_releases.<x>.latest into kubernetes_version would upgrade the cluster
# on the first apply after the Supervisor publishes a newer release, without anyone asking for it. Raise this value
# (one minor version at a time) when you decide to upgrade; the output newest_release shows what is on offer.
variable "kubernetes_version" {
  description = "Kubernetes release of the cluster (a release name, see the newest_release output)."
  type        = string
  default     = "v1.31.4---vmware.1-fips-vkr.3"
}

data "tkg_supervisor" "this" {
  name = var.supervisor
}

data "tkg_storage_policy" "this" {
  name = var.storage_policy
}

# What the Supervisor offers: informational only (see the newest_release output), never fed into the cluster.
data "tkg_kubernetes_releases" "this" {}

resource "tkg_vm_class" "worker" {
  name        = "quickstart-worker"
  cpu_count   = 2
  memory_mib  = 4096
  description = "Worker nodes of the quickstart cluster"
}

resource "tkg_supervisor_namespace" "this" {
  name        = "quickstart"
  supervisor  = data.tkg_supervisor.this.id
  description = "Created by the terraform-provider-tkg quickstart"
  vm_classes  = [tkg_vm_class.worker.name, "best-effort-small", "best-effort-medium"]

  storage_policy {
    policy = data.tkg_storage_policy.this.id
  }
}

resource "tkg_cluster" "this" {
  name               = "quickstart"
  namespace          = tkg_supervisor_namespace.this.name
  kubernetes_version = var.kubernetes_version
  vm_class           = "best-effort-small"
  storage_class      = local.storage_class
  labels             = { app = "quickstart" }

  control_plane {
    replicas = 1
  }

  node_pool {
    name     = "general"
    replicas = 2
    vm_class = tkg_vm_class.worker.name
  }

  node_pool {
    name     = "memory"
    replicas = 1
    vm_class = "best-effort-medium"
    labels   = { tier = "memory" }
  }

  node_pool {
    name = "batch"
    autoscaler {
      min_size = 1
      max_size = 3
    }
    taint {
      key    = "batch"
      value  = "true"
      effect = "NoSchedule"
    }
  }

  timeouts {
    create = "30m"
  }
}

data "tkg_cluster_kubeconfig" "this" {
  namespace = tkg_cluster.this.namespace
  name      = tkg_cluster.this.name
}

output "kubernetes_release" {
  description = "The release the cluster runs."
  value       = tkg_cluster.this.kubernetes_version
}

output "newest_release" {
  description = "The newest release the Supervisor offers; upgrade by setting var.kubernetes_version to it."
  value       = data.tkg_kubernetes_releases.this.latest
}

output "cluster_phase" {
  value = tkg_cluster.this.phase
}

output "api_endpoint" {
  value = data.tkg_cluster_kubeconfig.this.host
}

output "kubeconfig" {
  description = "Admin kubeconfig; write it to a file with: terraform output -raw kubeconfig > kubeconfig"
  value       = data.tkg_cluster_kubeconfig.this.kubeconfig
  sensitive   = true
}

locals {
  # The Supervisor names one storage class per storage policy, plus a "-latebinding" (WaitForFirstConsumer) twin of
  # each; cluster nodes use the immediate-binding one.
  storage_class = one([for c in tkg_supervisor_namespace.this.storage_classes : c if length(regexall("-latebinding$", c)) == 0])
}
