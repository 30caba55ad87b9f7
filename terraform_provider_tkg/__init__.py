"""terraform-provider-tkg: a Terraform provider for VMware vSphere with Tanzu."""

# The one place the version is written: pyproject.toml reads it from here (hatch), ``--version`` prints it, the
# launcher and the release are named after it, and no installed metadata is needed to know it (frozen builds).
__version__ = "0.1.0"
