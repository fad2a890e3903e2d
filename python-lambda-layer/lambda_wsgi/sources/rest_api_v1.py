"""API Gateway REST API proxy events, and HTTP API events in payload format 1.0.

Both carry `httpMethod`, `path` without the stage, decoded query parameters and
`multiValueHeaders`; both take repeated response headers through `multiValueHeaders`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from ..aws import LAMBDA_PAYLOAD_LIMIT, ResultLimit
from ..errors import BadEventError
from ..request import Environ, build_environ, native_path
from ..response import multi_value_headers, response_body
from .identity import IAM_FIELDS, add_authorizer_context, add_iam, add_jwt
from .path_prefix import split_prefix, stage_prefix
from .payload import request_body, request_headers
from .shapes import EVENT_1_0_FIELDS, Items, Required, Shape

if TYPE_CHECKING:  # types only: building TypedDicts at import would slow every cold start
    from ..response import HttpResponse
    from .base import Event, V1Result


# The IAM principal's fields (as payload 2.0 names them) and where REST events keep them in requestContext.identity.
_IAM_NAMES = dict(
    zip(IAM_FIELDS, ("userArn", "accountId", "accessKey", "caller", "user", "principalOrgId"), strict=True)
)
# Fields of a REST API Lambda authorizer's object that API Gateway adds; the rest is the authorizer's context.
_AUTHORIZER_OWN = frozenset({"principalId", "integrationLatency", "claims", "scopes"})


class RestApiV1:
    name = "rest-api-v1"
    result_limit: ClassVar[ResultLimit] = LAMBDA_PAYLOAD_LIMIT
    shape: ClassVar[Shape] = {
        **EVENT_1_0_FIELDS,
        "httpMethod": Required(str),
        "requestContext": {
            "path": str,
            "stage": str,
            "domainName": str,
            "protocol": str,
            "identity": {"sourceIp": str, **dict.fromkeys(_IAM_NAMES.values(), str)},
            "authorizer": {"claims": dict, "scopes": Items(str), "lambda": dict, "principalId": str},
        },
    }

    def __init__(self, base_path: str = "") -> None:
        self.base_path = base_path

    def matches(self, event: Event) -> bool:
        return "httpMethod" in event and ("requestContext" in event or "path" in event)

    def environ(self, event: Event, context: Any, request_id: str) -> Environ:
        request_context = event.get("requestContext")
        if not isinstance(request_context, dict):
            raise BadEventError("a REST API or payload 1.0 event needs requestContext")
        script_name, path_info = _split_path(event, self.base_path)
        identity = request_context.get("identity") or {}
        environ = build_environ(
            method=event["httpMethod"].upper(),
            script_name=script_name,
            path_info=path_info,
            query_string=_query_string(event),
            headers=(headers := request_headers(event)),
            body=request_body(event.get("body"), bool(event.get("isBase64Encoded"))),
            remote_addr=identity.get("sourceIp") or "",
            protocol=request_context.get("protocol") or "HTTP/1.1",
            domain_name=request_context.get("domainName") or headers.get("host", ""),
            event=event,
            context=context,
            request_id=request_id,
        )
        if identity.get("userArn"):
            add_iam(environ, {field: identity.get(name) for field, name in _IAM_NAMES.items()})
        if authorizer := request_context.get("authorizer"):
            _add_authorizer(environ, authorizer)
        return environ

    def result(self, response: HttpResponse, event: Event) -> V1Result:
        body, is_base64 = response_body(response)
        return {
            "statusCode": response.status,
            "multiValueHeaders": multi_value_headers(response.headers),
            "body": body,
            "isBase64Encoded": is_base64,
        }


def _add_authorizer(environ: Environ, authorizer: dict[str, Any]) -> None:
    """A Cognito user pool (REST) or JWT (HTTP API 1.0) authorizer's claims, or a Lambda authorizer's context."""
    if (claims := authorizer.get("claims")) is not None:
        add_jwt(environ, claims, authorizer.get("scopes"))
    if (context := authorizer.get("lambda")) is not None:  # HTTP API 1.0
        add_authorizer_context(environ, context)
    elif "principalId" in authorizer:  # REST API: the context's keys sit beside principalId
        context = {name: value for name, value in authorizer.items() if name not in _AUTHORIZER_OWN}
        add_authorizer_context(environ, context, authorizer["principalId"])


def _split_path(event: Event, base_path: str) -> tuple[str, str]:
    """SCRIPT_NAME and PATH_INFO: whatever is in front of the routed path goes to SCRIPT_NAME.

    On the API's own domain `requestContext.path` is the full path (`/prod/users/1`) and `path` the
    routed part (`/users/1`). Behind a custom domain both hold the base path mapping
    (`/v1/users/1`), which only the base path setting can tell from a route; on HTTP API 1.0
    events on a named stage, `path` itself starts with the stage.
    """
    context = event["requestContext"]
    path = native_path(event.get("path") or "/")
    full = native_path(context.get("path") or "")
    prefixes: tuple[str, ...]
    if len(full) > len(path) and full.endswith(path):
        mount, prefixes = full[: -len(path)], (base_path,)
    else:
        mount, prefixes = "", (stage_prefix(context.get("stage"), context.get("domainName") or ""), base_path)
    script_name, path_info = split_prefix(path, prefixes)
    return mount + script_name, path_info


def _query_string(event: Event) -> str:
    """Rebuild the query from the decoded parameters; the 1.0 formats carry no raw query."""
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        return urlencode([(k, v) for k, values in multi.items() for v in values or ()])
    single = event.get("queryStringParameters")
    return urlencode(single) if single else ""
