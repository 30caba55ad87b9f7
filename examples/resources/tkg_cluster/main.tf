terraform {
  required_providers {
    tkg = {
      source = "tkg-oss/tkg"
    }
  }
}

provider "tkg" {}

resource "tkg_cluster" "example" {
  name      = "example"
  namespace = "team-a"
  # A pinned release: the cluster upgrades only when this line changes (see docs/resources/cluster.md).
  kubernetes_version = "v1.31.4---vmware.1-fips-vkr.3"
  vm_class           = "best-effort-medium"
  storage_class      = "vsan-default-storage-policy"
  labels             = { team = "payments" }

  control_plane {
    replicas           = 3
    node_drain_timeout = "5m"
  }

  node_pool {
    name     = "general"
    replicas = 3
  }

  node_pool {
    name     = "memory"
    vm_class = "guaranteed-xlarge"
    autoscaler {
      min_size = 1
      max_size = 5
    }
    volume {
      name         = "containerd"
      mount_path   = "/var/lib/containerd"
      capacity_gib = 50
    }
  }

  network {
    pods_cidr_blocks     = ["192.168.0.0/16"]
    services_cidr_blocks = ["10.96.0.0/12"]
    proxy {
      http_proxy  = "http://proxy.example.com:3128"
      https_proxy = "http://proxy.example.com:3128"
      no_proxy    = ["10.0.0.0/8", ".example.com"]
    }
  }

  storage {
    classes       = ["vsan-default-storage-policy"]
    default_class = "vsan-default-storage-policy"
  }

  variables = {
    ntp = jsonencode("ntp.example.com")
  }
}
