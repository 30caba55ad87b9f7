terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

# Credentials come from VSPHERE_SERVER, VSPHERE_USER, VSPHERE_PASSWORD and VSPHERE_CA_FILE.
provider "tkg" {}

data "tkg_storage_policy" "gold" {
  name = "tkg-gold"
}

# A general-purpose shape for TKG worker nodes.
resource "tkg_vm_class" "medium" {
  name                    = "team-a-medium"
  cpu_count               = 4
  memory_mib              = 16384
  cpu_reservation_percent = 25
  description             = "4 vCPU / 16 GiB for team A"
}

# A GPU shape: vGPU and PCI passthrough need a full memory reservation.
resource "tkg_vm_class" "gpu" {
  name                       = "team-a-gpu"
  cpu_count                  = 8
  memory_mib                 = 65536
  memory_reservation_percent = 100
  vgpu_profiles              = ["grid_a100-8c"]

  dynamic_direct_path_io_device {
    vendor_id    = 4318 # 0x10de
    device_id    = 8754
    custom_label = "fast-nic"
  }

  instance_storage {
    storage_policy   = data.tkg_storage_policy.gold.id
    volume_sizes_mib = [102400]
  }

  config_spec_json = jsonencode({
    _typeName = "VirtualMachineConfigSpec"
    extraConfig = [
      { _typeName = "OptionValue", key = "pciPassthru.use64bitMMIO", value = "TRUE" },
    ]
  })
}
