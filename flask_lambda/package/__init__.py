"""Build the Lambda artifacts, `layer.zip` and `function.zip`: reproducible, holding what runs on Lambda.

The names other code uses, from the module of each concern; `python -m flask_lambda.package` is the command.
"""

from lambda_wsgi.settings import APP_VARIABLE, DEFAULT_APP

from .bytecode import CACHE_TAG
from .command import argument_parser, main, parse_args
from .common import LAYER_DIR, LAYER_REQUIREMENTS, PYTHON_VERSION, PackageError, display
from .function import FUNCTION_REQUIREMENTS, TASK_ROOT, build_function, function_files
from .ignore import FUNCTION_EXCLUSIONS, IGNORE_FILE, PYC_MAGIC, Exclusions
from .layer import LAYER_ROOT, build_layer, layer_inputs_digest
from .pip import ARCHITECTURES, host_architecture, pinned_blocks, pinned_versions, pip_platforms
from .zips import Built, write_zip

__all__ = [
    "APP_VARIABLE",
    "ARCHITECTURES",
    "CACHE_TAG",
    "DEFAULT_APP",
    "FUNCTION_EXCLUSIONS",
    "FUNCTION_REQUIREMENTS",
    "IGNORE_FILE",
    "LAYER_DIR",
    "LAYER_REQUIREMENTS",
    "LAYER_ROOT",
    "PYC_MAGIC",
    "PYTHON_VERSION",
    "TASK_ROOT",
    "Built",
    "Exclusions",
    "PackageError",
    "argument_parser",
    "build_function",
    "build_layer",
    "display",
    "function_files",
    "host_architecture",
    "layer_inputs_digest",
    "main",
    "parse_args",
    "pinned_blocks",
    "pinned_versions",
    "pip_platforms",
    "write_zip",
]
