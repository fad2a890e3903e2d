"""Serve the built Lambda zips locally behind an API Gateway-like front (HTTP API, payload 2.0).

Run with `./build.sh serve` (or `python -m flask_lambda.serve`); no Docker and no AWS account needed.
"""
