"""Check real responses against api/openapi.json: documented status, content type, headers and body schema.

Every response the API tests receive passes through `Contract.check`, so the whole suite is a conformance run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "api" / "openapi.json"
_BASE = "urn:users-api:openapi"


class Contract:
    def __init__(self, path: Path = DOCUMENT_PATH) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text())
        validate_spec(self.document)
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_BASE, resource)
        self._templates = [
            # A path parameter is one percent-encoded segment, so decoded it may hold "/" (but not start with one).
            (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/].*", re.escape(template)) + r"\Z", re.DOTALL), template)
            for template in self.document["paths"]
        ]
        self._validators: dict[str, Any] = {}
        # (METHOD, path template or None, status) of every response checked so far.
        self.seen: set[tuple[str, str | None, int]] = set()

    @cached_property
    def operations(self) -> set[tuple[str, str, int]]:
        """Every documented (METHOD, path template, status)."""
        return {
            (method.upper(), template, int(status))
            for template, item in self.document["paths"].items()
            for method, operation in item.items()
            if method != "parameters"
            for status in operation["responses"]
        }

    def template(self, path: str) -> str | None:
        return next((template for pattern, template in self._templates if pattern.match(path)), None)

    def validate(self, value: Any, pointer: str) -> None:
        """Assert that `value` matches the schema at a JSON pointer into the document."""
        errors = sorted(self._validator(pointer).iter_errors(value), key=str)
        assert not errors, f"{value!r} does not match {pointer}: {errors[0].message}"

    def is_valid(self, value: Any, pointer: str) -> bool:
        return bool(self._validator(pointer).is_valid(value))

    def _validator(self, pointer: str) -> Any:
        if pointer not in self._validators:
            self._validators[pointer] = OAS31Validator(
                {"$ref": f"{_BASE}#{pointer}"}, registry=self._registry, format_checker=oas31_format_checker
            )
        return self._validators[pointer]

    def check(self, method: str, path: str, status: int, headers: Mapping[str, str], body: str) -> None:
        """Assert that this response is one the document describes (headers keyed in lowercase)."""
        # Routing collapses leading slashes (werkzeug does so for every app), so `//users` is `/users`.
        template = self.template("/" + path.lstrip("/"))
        self.seen.add((method, template, status))
        if method == "HEAD":
            # GET's status and headers without the body.
            assert body == ""
            assert template is None or str(status) in self.document["paths"][template]["get"]["responses"]
            return
        if status >= 400:
            # Whatever the route, errors have one shape.
            assert headers.get("content-type") == "application/json", (status, headers)
            self.validate(json.loads(body), "/components/schemas/Error")
        if template is None:
            # Not a route, but `/users//x` is one slash away from one, and routing says which methods it has.
            assert status == 404 or (status == 405 and "allow" in headers), f"{method} {path}: answered {status}"
            return
        item = self.document["paths"][template]
        operation = item.get(method.lower())
        if operation is None:
            assert status == 405, f"{method} {template} is not documented but answered {status}"
            allowed = {name.strip() for name in headers["allow"].split(",")} - {"HEAD"}
            assert allowed == {name.upper() for name in item if name != "parameters"}
            return
        assert str(status) in operation["responses"], f"{method} {template} answered undocumented {status}: {body}"
        pointer = f"/paths/{_escape(template)}/{method.lower()}/responses/{status}"
        response = operation["responses"][str(status)]
        if "$ref" in response:
            pointer = response["$ref"].removeprefix("#")
            response = self._resolve(response["$ref"])
        content = response.get("content")
        if content is None:
            assert body == "", f"{method} {template} {status} documents no content but sent {body!r}"
            assert "content-type" not in headers
        else:
            assert headers.get("content-type") in content, headers
            self.validate(json.loads(body), f"{pointer}/content/{_escape(headers['content-type'])}/schema")
        for name, declared in response.get("headers", {}).items():
            header = self._resolve(declared["$ref"]) if "$ref" in declared else declared
            value = headers.get(name.lower())
            if value is None:
                assert not header.get("required"), f"{method} {template} {status} lacks the {name} header"
                continue
            schema = header["schema"]  # plain, without references
            typed = int(value) if schema.get("type") == "integer" else value
            errors = list(OAS31Validator(schema, format_checker=oas31_format_checker).iter_errors(typed))
            assert not errors, f"{name}: {value!r} does not match {schema}"

    def _resolve(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
