# A reusable workload cluster: the newest release of a minor version, a production-shaped control plane and one node
# pool per entry of var.node_pools, with its kubeconfig split for the kubernetes and helm providers.

terraform {
  required_providers {
    tkg = {
      source = "tkg-oss/tkg"
    }
  }
}

data "tkg_kubernetes_releases" "this" {
  version_prefix = var.kubernetes_minor
}

resource "tkg_cluster" "this" {
  name               = var.name
  namespace          = var.namespace
  kubernetes_version = data.tkg_kubernetes_releases.this.latest
  vm_class           = var.vm_class
  storage_class      = var.storage_class
  labels             = var.labels

  control_plane {
    replicas = var.control_plane_replicas
  }

  dynamic "node_pool" {
    for_each = var.node_pools
    content {
      name     = node_pool.key
      replicas = node_pool.value.replicas
      vm_class = lookup(node_pool.value, "vm_class", null)
      labels   = lookup(node_pool.value, "labels", null)
    }
  }

  lifecycle {
    # A newer release of the same minor appearing later must not trigger an upgrade on its own.
    ignore_changes = [kubernetes_version]
  }
}

data "tkg_cluster_kubeconfig" "this" {
  namespace = tkg_cluster.this.namespace
  name      = tkg_cluster.this.name
}
