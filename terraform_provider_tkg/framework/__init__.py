"""A generic layer over the ``tf`` SDK (no TKG words): what every resource of this provider stands on.

- ``values``: msgpack codec with plain and refined unknowns; ``types``: cty types incl. Object and JSON;
- ``model``: typed models (dataclasses) over Terraform values, for every resource and data source;
- ``schema``: attributes and SINGLE/LIST/SET nested blocks to any depth; ``validators``; ``durations``;
- ``plan``: plan engine (defaults, unknowns, requires-replace by path, diff, semantic equality);
- ``resource``: the Provider/Resource/DataSource base classes, contexts, timeouts;
- ``servicer``: the tfplugin6 servicer; ``server``: the hardened go-plugin server; ``logs``: TF_LOG-style logging
  with secret redaction; ``install``: writes launchers into a Terraform filesystem mirror.
"""
