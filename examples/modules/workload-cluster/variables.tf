variable "name" {
  description = "Cluster name (DNS-1123 label)."
  type        = string
}

variable "namespace" {
  description = "vSphere Namespace of the cluster."
  type        = string
}

variable "kubernetes_minor" {
  description = "Kubernetes minor version, e.g. v1.31; the newest usable release of it is used."
  type        = string
  default     = "v1.31"
}

variable "vm_class" {
  description = "Default VM class of the nodes."
  type        = string
  default     = "best-effort-medium"
}

variable "storage_class" {
  description = "Storage class of the nodes' disks."
  type        = string
}

variable "control_plane_replicas" {
  description = "Control-plane nodes: 1, 3 or 5."
  type        = number
  default     = 3
}

variable "node_pools" {
  description = "Node pools by name: { replicas = number, vm_class = optional string, labels = optional map }."
  type        = any
  default = {
    general = { replicas = 3 }
  }
}

variable "labels" {
  description = "Labels on the Cluster object."
  type        = map(string)
  default     = {}
}
