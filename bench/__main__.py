"""``python -m bench``: run every benchmark (today: provider start-up)."""

from __future__ import annotations

import sys

from bench import startup

if __name__ == "__main__":
    sys.exit(startup.main())
