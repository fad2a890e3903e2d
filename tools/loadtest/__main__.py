"""Entry point of `python -m tools.loadtest` (`./build.sh load`).

Everything happens in `tools.loadtest.cli`.
"""

import sys

from tools.loadtest.cli import main

sys.exit(main())
