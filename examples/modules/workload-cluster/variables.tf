variable "name" {
  description = "Cluster name (DNS-1123 label)."
  type        = string

  validation {
    condition     = length(var.name) <= 63 && can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.name))
    error_message = "The name must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit."
  }
}

variable "namespace" {
  description = "vSphere Namespace of the cluster."
  type        = string
}

variable "kubernetes_minor" {
  description = "Kubernetes minor version, e.g. v1.31; the newest usable release of it is used."
  type        = string
  default     = "v1.31"

  validation {
    condition     = can(regex("^v[0-9]+\\.[0-9]+$", var.kubernetes_minor))
    error_message = "The Kubernetes minor version must be spelled like v1.31."
  }
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

  validation {
    condition     = contains([1, 3, 5], var.control_plane_replicas)
    error_message = "The control plane needs 1, 3 or 5 nodes (an odd number keeps etcd's quorum)."
  }
}

variable "node_pools" {
  description = "Node pools by name: { replicas = number, vm_class = optional string, labels = optional map }."
  type        = any
  default = {
    general = { replicas = 3 }
  }

  validation {
    condition     = alltrue([for pool in values(var.node_pools) : try(pool.replicas >= 0 && floor(pool.replicas) == pool.replicas, false)])
    error_message = "Every node pool needs replicas, a whole number of at least 0."
  }
}

variable "labels" {
  description = "Labels on the Cluster object."
  type        = map(string)
  default     = {}
}
