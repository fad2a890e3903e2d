"""What the echo routes import from their own folder, so packaging must follow the import.

Nothing here is used by anything but `routes.py`.
"""

from __future__ import annotations

import os
from typing import Any

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def environment_report(flask_file: str, path: list[str]) -> dict[str, Any]:
    names = (
        "LAMBDA_TASK_ROOT",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "USERS_TABLE",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "PAGE_TOKEN_KEY",
        "VIRTUAL_ENV",
        "EXTRA",
    )
    try:
        import boto3

        boto3_file = boto3.__file__
    except ImportError:
        boto3_file = None
    return {
        "variables": {name: os.environ.get(name) for name in names},
        "cwd": os.getcwd(),
        "flask": flask_file,
        "boto3": boto3_file,
        "sys_path": path,
    }
