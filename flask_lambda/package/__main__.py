"""`python -m flask_lambda.package`, which `./build.sh package` runs: build the layer's and the function's zips.

The command itself is `flask_lambda.package.command`.
"""

import sys

from .command import main

sys.exit(main())
