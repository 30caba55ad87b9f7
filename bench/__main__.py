"""``python -m bench`` (``make bench``): start-up and the cost curve against kubectl, in one run (see bench.report).

``python -m bench.startup`` runs the start-up benchmark alone.
"""

from __future__ import annotations

import sys

from bench import report

if __name__ == "__main__":
    sys.exit(report.main())
