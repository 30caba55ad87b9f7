"""tkg-sim: a local simulator of vCenter's namespace APIs and the Supervisor's Kubernetes API.

Library entry point: ``tkgsim.Simulator`` (in-process, or ``Simulator.subprocess(...)``); command line: ``tkg-sim``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Simulator", "SubprocessSimulator"]

if TYPE_CHECKING:
    from tkgsim.simulator import Simulator, SubprocessSimulator


def __getattr__(name: str) -> Any:
    # Lazy so that ``import tkgsim.world`` (used by both halves) does not pull in aiohttp servers and TLS.
    if name in __all__:
        from tkgsim import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module 'tkgsim' has no attribute {name!r}")
