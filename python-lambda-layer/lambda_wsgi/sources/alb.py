"""Application Load Balancer events, in single-value and multi-value header mode.

ALB passes the path and query parameters as the client sent them (still percent-encoded) and
names no client address but in X-Forwarded-For, whose last entry it appended itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from ..aws import ALB_RESPONSE_LIMIT, ResultLimit
from ..request import Environ, build_environ, native_path
from ..response import folded_headers, multi_value_headers, response_body
from .path_prefix import split_prefix
from .payload import request_body, request_headers
from .shapes import EVENT_1_0_FIELDS, Shape

if TYPE_CHECKING:  # types only: building TypedDicts at import would slow every cold start
    from ..response import HttpResponse
    from .base import AlbResult, Event


logger = logging.getLogger("lambda_wsgi")
_SET_COOKIE_SPELLINGS = 2 ** sum(char.isalpha() for char in "set-cookie")
_FIX = "enable multi-value headers on the target group (lambda.multi_value_headers.enabled) to send each one"


class Alb:
    name = "alb"
    shape: ClassVar[Shape] = EVENT_1_0_FIELDS
    result_limit: ClassVar[ResultLimit] = ALB_RESPONSE_LIMIT

    def __init__(self, base_path: str = "") -> None:
        self.base_path = base_path
        self._told_of_spellings = False  # the warning below, once per environment: it is about the target group

    def matches(self, event: Event) -> bool:
        context = event.get("requestContext")
        return isinstance(context, dict) and "elb" in context

    def environ(self, event: Event, context: Any, request_id: str) -> Environ:
        headers = request_headers(event)
        script_name, path_info = split_prefix(native_path(event.get("path") or "/"), (self.base_path,))
        forwarded_for = headers.get("x-forwarded-for", "")
        return build_environ(
            method=(event.get("httpMethod") or "GET").upper(),
            script_name=script_name,
            path_info=path_info,
            query_string=_query_string(event),
            headers=headers,
            body=request_body(event.get("body"), bool(event.get("isBase64Encoded"))),
            remote_addr=forwarded_for.rpartition(",")[2].strip(),
            protocol="HTTP/1.1",
            domain_name=headers.get("host", ""),
            event=event,
            context=context,
            request_id=request_id,
        )

    def result(self, response: HttpResponse, event: Event) -> AlbResult:
        body, is_base64 = response_body(response)
        result: AlbResult = {
            "statusCode": response.status,
            "statusDescription": f"{response.status} {response.reason or _reason(response.status)}",
            "body": body,
            "isBase64Encoded": is_base64,
        }
        if "multiValueHeaders" in event:
            result["multiValueHeaders"] = multi_value_headers(response.headers)
        else:
            headers, cookies = folded_headers(response.headers)
            if len(cookies) > 1:
                self._tell_of_spellings(len(cookies))
            headers.update(zip(_case_variants("set-cookie"), cookies, strict=False))
            result["headers"] = headers
        return result

    def _tell_of_spellings(self, count: int) -> None:
        if count > _SET_COOKIE_SPELLINGS:
            logger.error(
                "%d of the response's %d Set-Cookie headers were dropped: ALB without multi-value headers takes one"
                " value per header name, and Set-Cookie has only %d spellings; %s",
                count - _SET_COOKIE_SPELLINGS,
                count,
                _SET_COOKIE_SPELLINGS,
                _FIX,
            )
        elif not self._told_of_spellings:
            self._told_of_spellings = True
            logger.warning(
                "a response sets %d cookies: ALB without multi-value headers takes one value per header name, so each"
                " Set-Cookie travels under another spelling of the name (set-cookie, Set-cookie...), which AWS does"
                " not document; %s (said once per environment)",
                count,
                _FIX,
            )


def _query_string(event: Event) -> str:
    """Join the parameters as sent: ALB leaves them percent-encoded, so they are not re-encoded."""
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        return "&".join(f"{k}={v}" for k, values in multi.items() for v in values or ())
    return "&".join(f"{k}={v}" for k, v in (event.get("queryStringParameters") or {}).items())


def _case_variants(name: str) -> Iterator[str]:
    """Distinct spellings of a header name, as many as asked for.

    Single-value mode has one value per name; ALB treats names case-insensitively on the wire,
    so each Set-Cookie travels under its own spelling and reaches the client intact.
    """
    letters = [i for i, char in enumerate(name) if char.isalpha()]
    for mask in range(2 ** len(letters)):
        chars = list(name.lower())
        for bit, index in enumerate(letters):
            if mask >> bit & 1:
                chars[index] = chars[index].upper()
        yield "".join(chars)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
