"""Entry point of the frozen release (PyInstaller runs this file as ``__main__``): the console script's ``main``."""

import sys

from terraform_provider_tkg.__main__ import main

sys.exit(main())
