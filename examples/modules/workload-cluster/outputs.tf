output "id" {
  description = "namespace/name of the cluster."
  value       = tkg_cluster.this.id
}

output "kubernetes_version" {
  value = tkg_cluster.this.kubernetes_version
}

output "host" {
  description = "API server URL."
  value       = data.tkg_cluster_kubeconfig.this.host
}

output "cluster_ca_certificate" {
  value     = data.tkg_cluster_kubeconfig.this.cluster_ca_certificate
  sensitive = true
}

output "client_certificate" {
  value     = data.tkg_cluster_kubeconfig.this.client_certificate
  sensitive = true
}

output "client_key" {
  value     = data.tkg_cluster_kubeconfig.this.client_key
  sensitive = true
}

output "token" {
  value     = data.tkg_cluster_kubeconfig.this.token
  sensitive = true
}

output "kubeconfig" {
  value     = data.tkg_cluster_kubeconfig.this.kubeconfig
  sensitive = true
}
