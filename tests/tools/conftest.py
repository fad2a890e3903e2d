"""Fixtures the load and fuzz tests share with flask-lambda's own: the zips, built once per test session."""

from tests.flask_lambda.conftest import zips

__all__ = ["zips"]
