"""Guest-cluster SSO tokens: what ``kubectl vsphere login --tanzu-kubernetes-cluster-name`` gets and what the workload
cluster's authentication webhook (guest-cluster-auth-service) accepts.

``POST /wcp/login`` with ``{"guest_cluster_name", "guest_cluster_namespace"}`` returns a JWT whose audience is
``vmware-tes:vc:vns:k8s:<Cluster UID>`` (reference §1.2) and whose ``sub``/``group_names`` carry the vSphere SSO
identity. The workload API accepts it only for that cluster, with a valid signature, before ``exp``; the user is
``sso:<user>`` and the groups ``sso:<group>``, as the webhook maps them. vCenter signs with RS256; the simulator signs
with HS256 under a per-world key kept in the state (clients do not verify the signature, the webhook does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from .context import Supervisor

__all__ = ["AUDIENCE_PREFIX", "GuestIdentity", "TokenRejected", "issue", "validate"]

AUDIENCE_PREFIX = "vmware-tes:vc:vns:k8s:"
# Lifetime of a guest-cluster token (the Supervisor's 10 h); ``world.faults.token_ttl`` overrides it.
LIFETIME = 36000.0
ADMIN_GROUP = "Administrators"
READ_ONLY_GROUP = "ReadOnlyUsers"


class TokenRejected(Exception):
    """The token is malformed, forged, for another cluster or expired (the reason is the message)."""


@dataclass(frozen=True)
class GuestIdentity:
    """Who a valid guest token belongs to, as the workload cluster's RBAC sees it."""

    username: str
    groups: tuple[str, ...]
    expires: float

    @property
    def cluster_admin(self) -> bool:
        return any(g.lower().startswith(f"sso:{ADMIN_GROUP.lower()}@") for g in self.groups)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(sup: Supervisor) -> bytes:
    record: dict[str, Any] = sup.store.data.setdefault("guest_auth", {})
    if "key" not in record:
        record["key"] = secrets.token_hex(32)
        sup.world.on_change()
    return bytes.fromhex(str(record["key"]))


def issue(sup: Supervisor, user: dict[str, Any], cluster: dict[str, Any]) -> tuple[str, float]:
    """A signed guest-cluster token for ``user`` and ``cluster`` (a stored Cluster); returns (token, exp)."""
    name = str(user["name"])
    local, _, domain = name.partition("@")
    domain = domain or "vsphere.local"
    group = ADMIN_GROUP if user.get("role") == "admin" else READ_ONLY_GROUP
    ttl = sup.world.faults.token_ttl
    now = time.time()
    expires = now + (float(ttl) if ttl is not None else LIFETIME)
    claims = {
        "iss": f"https://{domain}/openidconnect/{domain}",
        "sub": name.lower(),
        "username": local,
        "domain": domain,
        "group_names": [f"{group}@{domain}"],
        "aud": AUDIENCE_PREFIX + str(cluster["metadata"].get("uid", "")),
        "iat": int(now),
        "exp": int(expires),
        "jti": secrets.token_hex(8),
    }
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64(hmac.new(_key(sup), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}", float(int(expires))


def validate(sup: Supervisor, token: str, cluster: dict[str, Any]) -> GuestIdentity:
    """The identity of a guest token presented to ``cluster``'s API; raises ``TokenRejected``."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("not a JWT")
    header, payload, signature = parts
    expected = _b64(hmac.new(_key(sup), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise TokenRejected("invalid signature")
    try:
        claims = json.loads(_unb64(payload))
    except ValueError as exc:
        raise TokenRejected("malformed claims") from exc
    if claims.get("aud") != AUDIENCE_PREFIX + str(cluster["metadata"].get("uid", "")):
        raise TokenRejected("token was issued for another cluster")
    expires = float(claims.get("exp") or 0)
    if time.time() >= expires:
        raise TokenRejected("token has expired")
    groups = tuple(f"sso:{g}" for g in claims.get("group_names") or [])
    return GuestIdentity(f"sso:{claims.get('sub', '')}", (*groups, "system:authenticated"), expires)
