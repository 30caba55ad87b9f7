# `terraform test` for this module (Terraform 1.6+): runs against the vCenter in VSPHERE_SERVER etc. In CI that is
# tkg-sim; see docs/guides/testing-modules.md. Every run that applies is destroyed at the end, in reverse order.

provider "tkg" {}

variables {
  name          = "tftest"
  namespace     = "set-by-each-run"
  storage_class = "set-by-each-run"
}

run "setup" {
  module {
    source = "./tests/setup"
  }
}

run "creates_a_ready_cluster" {
  variables {
    namespace              = run.setup.namespace
    storage_class          = run.setup.storage_class
    control_plane_replicas = 1
    node_pools = {
      general = { replicas = 2 }
      memory  = { replicas = 1, vm_class = "best-effort-small", labels = { tier = "memory" } }
    }
  }

  assert {
    condition     = output.id == "${run.setup.namespace}/tftest"
    error_message = "The id output is not namespace/name."
  }

  assert {
    condition     = startswith(output.kubernetes_version, "v1.31.")
    error_message = "The cluster does not run the newest v1.31 release."
  }

  assert {
    condition     = startswith(output.host, "https://")
    error_message = "The host output is not an https:// URL."
  }

  assert {
    condition     = length(tkg_cluster.this.node_pool) == 2 && tkg_cluster.this.phase == "Provisioned"
    error_message = "The cluster is not provisioned with both node pools."
  }

  assert {
    condition     = strcontains(output.kubeconfig, output.host)
    error_message = "The kubeconfig does not point at the cluster's API server."
  }
}

run "rejects_an_even_control_plane" {
  command = plan

  variables {
    namespace              = run.setup.namespace
    storage_class          = run.setup.storage_class
    control_plane_replicas = 2
  }

  expect_failures = [var.control_plane_replicas]
}

run "rejects_a_name_that_is_not_a_dns_label" {
  command = plan

  variables {
    namespace     = run.setup.namespace
    storage_class = run.setup.storage_class
    name          = "Prod_Cluster"
  }

  expect_failures = [var.name]
}

run "rejects_a_minor_version_without_its_v" {
  command = plan

  variables {
    namespace        = run.setup.namespace
    storage_class    = run.setup.storage_class
    kubernetes_minor = "1.31"
  }

  expect_failures = [var.kubernetes_minor]
}

run "rejects_a_pool_without_replicas" {
  command = plan

  variables {
    namespace     = run.setup.namespace
    storage_class = run.setup.storage_class
    node_pools    = { general = { vm_class = "best-effort-small" } }
  }

  expect_failures = [var.node_pools]
}
