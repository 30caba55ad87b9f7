terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

# Credentials come from VSPHERE_SERVER, VSPHERE_USER, VSPHERE_PASSWORD and VSPHERE_CA_FILE.
provider "tkg" {}

data "tkg_supervisor" "this" {
  name = "supervisor-1"
}

data "tkg_storage_policy" "gold" {
  name = "tkg-gold"
}

data "tkg_content_library" "images" {
  name = "vm-images"
}

resource "tkg_vm_class" "medium" {
  name       = "team-a-medium"
  cpu_count  = 4
  memory_mib = 16384
}

resource "tkg_supervisor_namespace" "team_a" {
  name        = "team-a"
  supervisor  = data.tkg_supervisor.this.id
  description = "Team A workloads"

  vm_classes        = ["best-effort-small", tkg_vm_class.medium.id]
  content_libraries = [data.tkg_content_library.images.id]

  storage_policy {
    policy    = data.tkg_storage_policy.gold.id
    limit_mib = 204800
  }

  limits {
    cpu_mhz     = 20000
    memory_mib  = 65536
    storage_mib = 204800
    pod_count   = 200
  }

  access {
    subject      = "team-a-devs"
    subject_type = "GROUP"
    domain       = "vsphere.local"
    role         = "EDIT"
  }

  # Let terraform destroy remove TKG clusters still running in the namespace.
  force_delete = false

  timeouts {
    create = "15m"
    delete = "20m"
  }
}

output "storage_classes" {
  value = tkg_supervisor_namespace.team_a.storage_classes
}
