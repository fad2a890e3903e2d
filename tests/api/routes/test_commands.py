"""`flask users count` run by the handler from a command event, against the users table."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.conftest import lambda_context, load_event


def test_users_count_prints_how_many_users_the_table_holds(api: Api) -> None:
    event = load_event("command")
    assert api.handler(event, lambda_context()) == {"exitCode": 0, "output": "0\n", "outputTruncated": False}
    for number in range(105):  # more than one page
        api.create(f"user {number}", f"user{number}@example.com")
    api.delete(f"/users/{api.create('gone', 'gone@example.com')['id']}")
    assert api.handler(event, lambda_context())["output"] == "105\n"
