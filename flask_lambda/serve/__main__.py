"""Entry point of `python -m flask_lambda.serve`.

The command line is read in `flask_lambda.serve.cli`, which hands its options to `flask_lambda.serve.server`.
"""

import sys

from flask_lambda.serve.cli import main

sys.exit(main())
