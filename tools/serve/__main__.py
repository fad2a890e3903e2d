"""Entry point of `python -m tools.serve`.

Everything happens in `tools.serve.cli`.
"""

import sys

from tools.serve.cli import main

sys.exit(main())
