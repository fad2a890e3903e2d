"""API Gateway HTTP API events in payload format 2.0, and Lambda function URL events.

Nearly every request takes this path, so it reads the event in one pass, straight into the
environ. Function URLs send the same schema and take the same result; they differ only in never
having a stage in the path, so they are a subclass recognised by their domain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..aws import LAMBDA_PAYLOAD_LIMIT, ResultLimit
from ..errors import BadEventError
from ..request import Environ, build_environ, native_path
from ..response import folded_headers, response_body
from .identity import IAM_FIELDS, add_authorizer_context, add_iam, add_jwt
from .path_prefix import on_api_domain, split_prefix, stage_prefix
from .payload import request_body
from .shapes import Each, Items, Shape

if TYPE_CHECKING:  # types only: building TypedDicts at import would slow every cold start
    from ..response import HttpResponse
    from .base import Event, V2Result


class HttpApiV2:
    name = "http-api-v2"
    result_limit: ClassVar[ResultLimit] = LAMBDA_PAYLOAD_LIMIT
    shape: ClassVar[Shape] = {
        "rawPath": str,
        "rawQueryString": str,
        "headers": Each(str),
        "cookies": Items(str),
        "body": str,
        "requestContext": {
            "http": {"method": str, "path": str, "sourceIp": str, "protocol": str},
            "domainName": str,
            "stage": str,
            "authorizer": {
                "jwt": {"claims": dict, "scopes": Items(str)},
                "iam": dict.fromkeys(IAM_FIELDS, str),
                "lambda": dict,
            },
        },
    }

    def __init__(self, base_path: str = "") -> None:
        self.base_path = base_path

    def matches(self, event: Event) -> bool:
        return event.get("version") == "2.0" or ("rawPath" in event and "routeKey" in event)

    def environ(self, event: Event, context: Any, request_id: str) -> Environ:
        request_context = event.get("requestContext")
        if not isinstance(request_context, dict) or not isinstance(http := request_context.get("http"), dict):
            raise BadEventError("a payload 2.0 event needs requestContext.http")
        domain_name = request_context.get("domainName") or ""
        stage = request_context.get("stage")
        path = native_path(event.get("rawPath") or http.get("path") or "/")
        if self.base_path or (stage and stage != "$default"):
            script_name, path_info = self._split(path, stage, domain_name)
        else:  # the $default stage and no base path: nothing to move into SCRIPT_NAME
            script_name, path_info = "", path
        cookies = event.get("cookies")
        environ = build_environ(
            method=(http.get("method") or "GET").upper(),
            script_name=script_name,
            path_info=path_info,
            query_string=event.get("rawQueryString") or "",
            headers=event.get("headers") or {},
            body=request_body(event.get("body"), bool(event.get("isBase64Encoded"))),
            remote_addr=http.get("sourceIp") or "",
            protocol=http.get("protocol") or "HTTP/1.1",
            domain_name=domain_name,
            event=event,
            context=context,
            request_id=request_id,
            # HTTP API moves the Cookie headers into this array.
            cookies="; ".join(cookies) if cookies else "",
        )
        authorizer = request_context.get("authorizer")
        if authorizer:
            _add_identity(environ, authorizer)
        return environ

    def _split(self, path: str, stage: str | None, domain_name: str) -> tuple[str, str]:
        base_path = self.base_path
        script_name, path_info = split_prefix(path, (stage_prefix(stage, domain_name), base_path))
        if base_path and not script_name.endswith(base_path) and not on_api_domain(domain_name):
            # Behind a custom domain HTTP API leaves the API mapping key out of rawPath: url_for needs it back.
            script_name = base_path + script_name
        return script_name, path_info

    def result(self, response: HttpResponse, event: Event) -> V2Result:
        headers, cookies = folded_headers(response.headers)
        body, is_base64 = response_body(response)
        return {
            "statusCode": response.status,
            "headers": headers,
            "cookies": cookies,
            "body": body,
            "isBase64Encoded": is_base64,
        }


def _add_identity(environ: Environ, authorizer: dict[str, Any]) -> None:
    """Whatever the route's authorizer established: a JWT's claims, a SigV4 caller, a Lambda authorizer's context."""
    if jwt := authorizer.get("jwt"):
        add_jwt(environ, jwt.get("claims"), jwt.get("scopes"))
    if iam := authorizer.get("iam"):
        add_iam(environ, {name: iam.get(name) for name in IAM_FIELDS})
    if (context := authorizer.get("lambda")) is not None:
        add_authorizer_context(environ, context)


class FunctionUrl(HttpApiV2):
    name = "function-url"

    def matches(self, event: Event) -> bool:
        context = event.get("requestContext")
        domain = context.get("domainName") if isinstance(context, dict) else None
        return event.get("version") == "2.0" and isinstance(domain, str) and ".lambda-url." in domain
