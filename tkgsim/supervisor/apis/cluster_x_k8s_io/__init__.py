"""Resource modules mirroring the Kubernetes URL tree (see tkgsim.supervisor.catalog)."""
