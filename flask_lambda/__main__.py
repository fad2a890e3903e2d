"""`python -m flask_lambda`: the same as the `flask-lambda` command."""

import sys

from flask_lambda.cli import main

sys.exit(main())
