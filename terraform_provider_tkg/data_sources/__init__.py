"""Data source types, one module per Terraform type (registered explicitly in ``provider.py``)."""
