"""``python -m bench`` (``make bench``): start-up and the cost curve against kubectl, in one run (see bench.report),
then the self-contained release's start-up next to the virtualenv launcher's (bench.frozen) when `make dist` has
built the release (``make bench`` builds it first).

``python -m bench.startup`` runs the start-up benchmark alone.
"""

from __future__ import annotations

import sys

from bench import frozen, report

if __name__ == "__main__":
    status = report.main()
    print()
    try:
        frozen.release_zip(frozen.ROOT / "dist")
    except SystemExit as missing:
        print(f"Release start-up not measured: {missing}")
        sys.exit(status)
    sys.exit(status or frozen.main([]))
