terraform {
  required_providers {
    tkg = { source = "tkg-oss/tkg" }
  }
}

provider "tkg" {}

data "tkg_content_library" "tkrs" {
  name = "Kubernetes Service Content Library"
}

output "library" {
  value = "${data.tkg_content_library.tkrs.id} (${data.tkg_content_library.tkrs.type})"
}
