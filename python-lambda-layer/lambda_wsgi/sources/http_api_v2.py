"""API Gateway HTTP API events in payload format 2.0, and Lambda function URL events.

Function URLs send the same 2.0 schema and take the same result; they differ only in never
having a stage in the path, so they are a subclass recognised by their domain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..encoding import folded_headers, request_body, response_body
from ..errors import BadEventError
from ..http import HttpRequest
from ..paths import native_path, on_api_domain, split_prefix, stage_prefix

if TYPE_CHECKING:  # types only: building TypedDicts at import would slow every cold start
    from ..http import HttpResponse
    from .base import Event, V2Result


class HttpApiV2:
    name = "http-api-v2"

    def matches(self, event: Event) -> bool:
        return event.get("version") == "2.0" or ("rawPath" in event and "routeKey" in event)

    def parse(self, event: Event, base_path: str) -> HttpRequest:
        context = event.get("requestContext")
        if not isinstance(context, dict) or not isinstance(context.get("http"), dict):
            raise BadEventError("a payload 2.0 event needs requestContext.http")
        http = context["http"]
        headers = event.get("headers") or {}
        cookies = event.get("cookies")
        if cookies:
            # HTTP API moves Cookie headers into this array; RFC 6265 joins them with "; ".
            joined = "; ".join(cookies)
            headers = {**headers, "cookie": headers["cookie"] + "; " + joined if "cookie" in headers else joined}
        domain_name = context.get("domainName") or ""
        path = native_path(event.get("rawPath") or http.get("path") or "/")
        script_name, path_info = split_prefix(path, (stage_prefix(context.get("stage"), domain_name), base_path))
        if base_path and not script_name.endswith(base_path) and not on_api_domain(domain_name):
            # Behind a custom domain HTTP API leaves the API mapping key out of rawPath: url_for needs it back.
            script_name = base_path + script_name
        return HttpRequest(
            method=http.get("method", "GET").upper(),
            script_name=script_name,
            path_info=path_info,
            query_string=event.get("rawQueryString") or "",
            headers=headers,
            body=request_body(event.get("body"), bool(event.get("isBase64Encoded"))),
            remote_addr=http.get("sourceIp") or "",
            protocol=http.get("protocol") or "HTTP/1.1",
            domain_name=domain_name,
        )

    def result(self, response: HttpResponse, event: Event) -> V2Result:
        headers, cookies = folded_headers(response.headers)
        body, is_base64 = response_body(response.headers, response.body)
        return {
            "statusCode": response.status,
            "headers": headers,
            "cookies": cookies,
            "body": body,
            "isBase64Encoded": is_base64,
        }


class FunctionUrl(HttpApiV2):
    name = "function-url"

    def matches(self, event: Event) -> bool:
        context = event.get("requestContext")
        domain = context.get("domainName") if isinstance(context, dict) else None
        return event.get("version") == "2.0" and isinstance(domain, str) and ".lambda-url." in domain
