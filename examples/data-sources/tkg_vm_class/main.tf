terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}

data "tkg_vm_class" "small" {
  name = "best-effort-small"
}

output "small_shape" {
  value = "${data.tkg_vm_class.small.cpu_count} vCPU, ${data.tkg_vm_class.small.memory_mib} MiB"
}
