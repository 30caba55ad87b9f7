"""``python -m tkgsim`` is ``tkg-sim``."""

from __future__ import annotations

import sys

from tkgsim.cli import main

sys.exit(main())
