"""`python -m tools.package`, which `./build.sh package` runs: build the layer's and the function's zips.

The command itself is `tools.package.command`.
"""

import sys

from .command import main

sys.exit(main())
