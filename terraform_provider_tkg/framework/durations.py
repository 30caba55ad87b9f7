"""Go-style durations ("45m", "1h30m", "90s", "1.5h"), as Terraform users write them in ``timeouts`` blocks."""

from __future__ import annotations

import re

__all__ = ["format_seconds", "parse"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse(text: str) -> float:
    """Seconds in a Go duration string; raises ValueError with the accepted format."""
    if not isinstance(text, str) or not text:
        raise ValueError(f'{text!r} is not a duration; use a number and unit such as "45m", "1h30m" or "90s".')
    pos, total = 0, 0.0
    while pos < len(text):
        m = _PART.match(text, pos)
        if not m:
            raise ValueError(
                f'{text!r} is not a duration; use numbers with units h, m, s, ms such as "45m", "1h30m" or "90s".'
            )
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return total


def format_seconds(seconds: float) -> str:
    """A short Go-style rendering of a duration, for messages."""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v) or "0s"
