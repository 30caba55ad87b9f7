# A VM Service virtual machine and a load balancer in front of it, next to a TKG cluster in the same vSphere
# Namespace. Credentials come from VSPHERE_SERVER, VSPHERE_USER, VSPHERE_PASSWORD and VSPHERE_CA_FILE.
terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}

variable "namespace" {
  type    = string
  default = "demo-ns"
}

resource "tkg_cluster" "apps" {
  name               = "apps"
  namespace          = var.namespace
  kubernetes_version = "v1.30.8---vmware.1-fips-vkr.1"
  vm_class           = "best-effort-small"
  storage_class      = "vsan-default-storage-policy"

  node_pool {
    name     = "workers"
    replicas = 2
  }
}

data "tkg_virtual_machine_image" "ubuntu" {
  namespace  = var.namespace
  os_name    = "ubuntu"
  os_version = "22.04"
  latest     = true
}

# A database VM outside the cluster, reachable from its pods through the load balancer below.
resource "tkg_virtual_machine" "db" {
  name          = "db-1"
  namespace     = var.namespace
  vm_class      = "best-effort-medium"
  image         = data.tkg_virtual_machine_image.ubuntu.resource_name
  storage_class = "vsan-default-storage-policy"
  labels        = { app = "db" }

  bootstrap {
    cloud_init = <<-EOT
      #cloud-config
      packages: [postgresql]
      runcmd:
        - systemctl enable --now postgresql
    EOT
  }

  volume {
    name = "data"
    size = "20Gi"
  }
}

resource "tkg_virtual_machine_service" "db" {
  name      = "db"
  namespace = var.namespace
  type      = "LoadBalancer"
  selector  = tkg_virtual_machine.db.labels

  port {
    name        = "postgres"
    port        = 5432
    target_port = 5432
  }
}

# Who else runs in the namespace: read a cluster this configuration does not manage.
data "tkg_cluster" "apps" {
  namespace = tkg_cluster.apps.namespace
  name      = tkg_cluster.apps.name
}

# Access to the cluster as the Terraform user (vSphere SSO), not as cluster-admin.
data "tkg_cluster_kubeconfig" "me" {
  namespace = tkg_cluster.apps.namespace
  name      = tkg_cluster.apps.name
  mode      = "sso"
}

output "db_address" {
  value = tkg_virtual_machine_service.db.load_balancer_address
}

output "db_ip" {
  value = tkg_virtual_machine.db.primary_ip
}

output "cluster_ready" {
  value = data.tkg_cluster.apps.ready
}

output "sso_token_expiry" {
  value = data.tkg_cluster_kubeconfig.me.token_expiry
}
