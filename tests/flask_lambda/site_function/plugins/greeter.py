"""A plugin no import statement names: only the folder shipping whole brings it to Lambda."""

from __future__ import annotations


def run() -> dict[str, str]:
    return {"greeting": "hello from a plugin"}
