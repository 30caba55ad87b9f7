"""``python -m bench``: run every benchmark (provider start-up; the release's start-up next to the launcher's)."""

from __future__ import annotations

import sys

from bench import frozen, startup

if __name__ == "__main__":
    status = startup.main()
    print()
    sys.exit(status or frozen.main([]))
