"""Users and tokens shared by both halves of the simulator.

Both the vCenter REST app (``POST /api/session``) and the Supervisor app (``POST /wcp/login``) authenticate the seed
users of ``world.model["users"]`` with HTTP Basic and hand out opaque bearer tokens. Tokens live in
``world.data["vcenter"]["sessions"]`` so that a restart with ``--state-file`` keeps clients logged in; only a SHA-256
digest of each token is stored, never the token itself.

Expiry is absolute from the moment of issue: a token issued with an explicit ``ttl`` keeps it, a token issued with
``ttl=None`` follows the *current* ``world.faults.token_ttl`` knob (``None`` = never expires). Changing the knob at
runtime therefore expires existing tokens at once, which is how reliability tests force a re-login.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tkgsim.world import World

__all__ = [
    "ROLE_ADMIN",
    "ROLE_READ_ONLY",
    "check_basic",
    "find_user",
    "is_admin",
    "issue_token",
    "revoke_token",
    "token_record",
    "validate_token",
]

logger = logging.getLogger(__name__)

ROLE_ADMIN = "admin"
ROLE_READ_ONLY = "read-only"


def _sessions(world: World) -> dict[str, dict[str, Any]]:
    vcenter = world.data.setdefault("vcenter", {})
    sessions: dict[str, dict[str, Any]] = vcenter.setdefault("sessions", {})
    return sessions


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def find_user(world: World, name: str) -> dict[str, Any] | None:
    """The seed user called ``name`` (SSO names compare case-insensitively), or None."""
    for user in world.model.get("users", []):
        if str(user.get("name", "")).lower() == name.lower():
            return dict(user)
    return None


def is_admin(user: dict[str, Any] | None) -> bool:
    """True when ``user`` may write (role ``admin``)."""
    return bool(user) and user is not None and user.get("role") == ROLE_ADMIN


def check_basic(world: World, authorization_header: str | None) -> dict[str, Any] | None:
    """Check an ``Authorization: Basic ...`` header against the seed users.

    Returns a copy of the user dict (``name``, ``password``, ``role``) or None for a missing, malformed or wrong
    credential.
    """
    if not authorization_header:
        return None
    scheme, _, encoded = authorization_header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = decoded.partition(":")
    if not sep:
        return None
    user = find_user(world, name)
    if user is None:
        return None
    if not hmac.compare_digest(str(user.get("password", "")).encode(), password.encode()):
        logger.info("wrong password for user %s", user["name"])
        return None
    return user


def issue_token(world: World, user: dict[str, Any], ttl: float | None = None) -> str:
    """Create a session token for ``user``.

    ``ttl`` (seconds) fixes this token's lifetime; None makes it follow ``world.faults.token_ttl``.
    """
    token = secrets.token_hex(16)
    now = time.time()
    _sessions(world)[_digest(token)] = {
        "user": user["name"],
        "created": now,
        "last_accessed": now,
        "ttl": ttl,
    }
    _prune(world, now)
    world.on_change()
    return token


def token_record(world: World, token: str | None) -> dict[str, Any] | None:
    """The live session record of ``token`` (``user``, ``created``, ``last_accessed``, ``ttl``), or None."""
    if not token:
        return None
    record = _sessions(world).get(_digest(token))
    if record is None:
        return None
    if _expired(world, record, time.time()):
        return None
    return record


def validate_token(world: World, token: str | None) -> dict[str, Any] | None:
    """The user owning ``token``, or None when it is unknown, revoked or expired. Touches the last-access time."""
    record = token_record(world, token)
    if record is None:
        return None
    user = find_user(world, str(record["user"]))
    if user is None:
        return None
    record["last_accessed"] = time.time()
    return user


def revoke_token(world: World, token: str | None) -> bool:
    """Forget ``token``; True when it was live."""
    if not token:
        return False
    record = _sessions(world).pop(_digest(token), None)
    if record is None:
        return False
    world.on_change()
    return not _expired(world, record, time.time())


def _effective_ttl(world: World, record: dict[str, Any]) -> float | None:
    ttl = record.get("ttl")
    if ttl is not None:
        return float(ttl)
    faults = getattr(world, "faults", None)
    knob = getattr(faults, "token_ttl", None)
    return None if knob is None else float(knob)


def _expired(world: World, record: dict[str, Any], now: float) -> bool:
    ttl = _effective_ttl(world, record)
    return ttl is not None and now - float(record["created"]) >= ttl


def _prune(world: World, now: float) -> None:
    sessions = _sessions(world)
    # Keep the table bounded: drop expired sessions, then the oldest beyond a generous cap.
    for key in [k for k, rec in sessions.items() if _expired(world, rec, now)]:
        del sessions[key]
    cap = 10_000
    if len(sessions) > cap:
        for key in sorted(sessions, key=lambda k: float(sessions[k]["created"]))[: len(sessions) - cap]:
            del sessions[key]
