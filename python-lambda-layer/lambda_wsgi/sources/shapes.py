"""The types the fields of an event must have, to tell a malformed event from a fault of the layer's own.

Sources read events without checking every field (the fast path pays for no checks); only when
reading fails does the adapter ask which field, if any, has the wrong type: then the answer is a 400
naming it, and otherwise the failure is the layer's, a 500 with its traceback logged.
"""

from __future__ import annotations

from typing import Any

# A shape: a type the value must be; a dict of the fields of a JSON object, each optional (absent or null) unless
# Required; or Each/Items for the values of an object or the items of an array, which must all be present.
Shape = Any


class Required:
    """A field that must be present and not null, with `shape`."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape


class Each:
    """A JSON object whose every value has `shape` (header maps, query parameters)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape


class Items:
    """A JSON array whose every item has `shape`."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape


def mismatch(value: Any, shape: Shape, where: str = "the event") -> str | None:
    """What in `value` does not have `shape` ("headers.accept must be a string, not int"), or None."""
    if isinstance(shape, dict):
        return _fields_mismatch(value, shape, where)
    if isinstance(shape, Required):
        return mismatch(value, shape.shape, where)
    if isinstance(shape, Each):
        if not isinstance(value, dict):
            return _wrong(where, "an object", value)
        return next(
            (found for name, item in value.items() if (found := mismatch(item, shape.shape, _join(where, name)))),
            None,
        )
    if isinstance(shape, Items):
        if not isinstance(value, list):
            return _wrong(where, "an array", value)
        return next(
            (found for index, item in enumerate(value) if (found := mismatch(item, shape.shape, f"{where}[{index}]"))),
            None,
        )
    if isinstance(value, str) and shape is str and not _is_text(value):
        return f"{where} is not Unicode text (it holds a lone surrogate)"
    if isinstance(value, shape):
        return None
    return _wrong(where, "a string" if shape is str else f"of type {shape.__name__}", value)


def _fields_mismatch(value: Any, fields: dict[str, Shape], where: str) -> str | None:
    if not isinstance(value, dict):
        return _wrong(where, "an object", value)
    for name, field_shape in fields.items():
        field = value.get(name)
        if field is None:
            if isinstance(field_shape, Required):
                return f"{_join(where, name)} is missing"
            continue
        found = mismatch(field, field_shape, _join(where, name))
        if found:
            return found
    return None


def _is_text(value: str) -> bool:
    """Whether the string is text UTF-8 can encode: JSON's \\ud800 escapes can make one that is not."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _join(where: str, name: str) -> str:
    return name if where == "the event" else f"{where}.{name}"


def _wrong(where: str, expected: str, value: Any) -> str:
    kind = "null" if value is None else type(value).__name__
    return f"{where} must be {expected}, not {kind}"


# What REST API, HTTP API 1.0 and ALB events share.
EVENT_1_0_FIELDS: dict[str, Shape] = {
    "httpMethod": str,
    "path": str,
    "headers": Each(str),
    "multiValueHeaders": Each(Items(str)),
    "queryStringParameters": Each(str),
    "multiValueQueryStringParameters": Each(Items(str)),
    "body": str,
}
