"""Entry point of `python -m tools.serve`.

The command line is read in `tools.serve.cli`, which hands its options to `tools.serve.server`.
"""

import sys

from tools.serve.cli import main

sys.exit(main())
