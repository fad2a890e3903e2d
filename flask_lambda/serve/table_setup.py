"""Create a function's DynamoDB table as its own code defines it, unless the table exists; run by serve as a script.

It runs on the Lambda runtime's interpreter, which has boto3 as Lambda's does, with the function's folder first on
the path, so the definition imports as the function imports it. Standard library and boto3 only. It prints one
JSON line: {"created": true|false}, or {"error": "..."} and exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

# Not a CreateTable argument: DynamoDB turns TTL on with a call of its own once the table exists.
TTL_KEY = "TimeToLiveSpecification"


def definition(spec: str) -> dict[str, Any]:
    module_name, _, attribute = spec.partition(":")
    value = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(value, dict):
        raise TypeError(f"{spec} is a {type(value).__name__}, not a dict of CreateTable's arguments")
    return dict(value)


def prepare(endpoint: str, region: str, name: str, spec: str) -> bool:
    """True when the table was created, False when it was there already."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token="local",
        config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}),
    )
    try:
        client.describe_table(TableName=name)
        return False
    except client.exceptions.ResourceNotFoundException:
        pass
    arguments = definition(spec)
    ttl = arguments.pop(TTL_KEY, None)
    client.create_table(TableName=name, **arguments)
    client.get_waiter("table_exists").wait(TableName=name)
    if ttl is not None:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--definition", required=True, help="module:attribute in the function's folder")
    parser.add_argument("--function-dir", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.function_dir)
    try:
        created = prepare(args.endpoint, args.region, args.name, args.definition)
    except Exception as error:  # reported to serve, which says it in one line
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return 1
    print(json.dumps({"created": created}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
