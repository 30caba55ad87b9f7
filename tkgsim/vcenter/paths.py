"""Every vCenter REST path the simulator serves, defined once (aiohttp route patterns, ``{var}`` placeholders).

Each constant is the binding's ``url_template`` under ``/api``; the contract tests compare them with the REST metadata
of the official ``vmware-vcenter`` bindings. Path variables keep the binding's names except where noted.
"""

from __future__ import annotations

API = "/api"

SESSION = f"{API}/session"

NAMESPACES = f"{API}/vcenter/namespaces/instances"
NAMESPACE = f"{NAMESPACES}/{{namespace}}"
NAMESPACES_V2 = f"{NAMESPACES}/v2"
NAMESPACE_V2 = f"{NAMESPACES_V2}/{{namespace}}"

NAMESPACE_MANAGEMENT = f"{API}/vcenter/namespace-management"
VM_CLASSES = f"{NAMESPACE_MANAGEMENT}/virtual-machine-classes"
VM_CLASS = f"{VM_CLASSES}/{{vm_class}}"
NM_CLUSTERS = f"{NAMESPACE_MANAGEMENT}/clusters"
NM_CLUSTER = f"{NM_CLUSTERS}/{{cluster}}"
SUPERVISOR_SUMMARIES = f"{NAMESPACE_MANAGEMENT}/supervisors/summaries"
SUPERVISOR_SUMMARY = f"{NAMESPACE_MANAGEMENT}/supervisors/{{supervisor}}/summary"
SUPERVISOR_TOPOLOGY = f"{NAMESPACE_MANAGEMENT}/supervisors/{{supervisor}}/topology"

STORAGE_POLICIES = f"{API}/vcenter/storage/policies"

CLUSTERS = f"{API}/vcenter/cluster"
CLUSTER = f"{CLUSTERS}/{{cluster}}"

# The binding spells this variable {libraryId}; only the position matters on the wire.
CONTENT_LIBRARIES = f"{API}/content/library"
CONTENT_LIBRARY = f"{CONTENT_LIBRARIES}/{{library_id}}"
