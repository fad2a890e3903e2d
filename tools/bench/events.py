"""The four requests of the benchmark, each as an API Gateway HTTP API (payload 2.0) event and as a WSGI environ.

The event is what every adapter receives; the environ is what the same Flask app gets when called directly.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

HOST = "r3pmxmplak.execute-api.us-east-2.amazonaws.com"
SOURCE_IP = "203.0.113.17"

# What API Gateway forwards with every request.
_GATEWAY_HEADERS = {
    "host": HOST,
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "x-amzn-trace-id": "Root=1-66322a7e-3c1f0e5a7b9d4e2f1a6c8b0d",
    "x-forwarded-for": SOURCE_IP,
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
}

_BROWSER_HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "accept-encoding": "gzip, deflate, br, zstd",
    "accept-language": "en-GB,en;q=0.7,fr;q=0.3",
    "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLW5vdC1jaGVja2Vk",
    "cache-control": "no-cache",
    "dnt": "1",
    "if-none-match": 'W/"5e1f-1c2b3a4d"',
    "origin": "https://app.example.com",
    "pragma": "no-cache",
    "priority": "u=0, i",
    "referer": "https://app.example.com/account/settings",
    "sec-ch-ua": '"Chromium";v="124", "Not-A.Brand";v="99"',
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Linux"',
    "sec-fetch-dest": "empty",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "same-site",
    "x-request-start": "t=1714564800.123",
}
_CUSTOM_HEADERS = {f"x-custom-{n}": f"value-{n}-" + "abc" * n for n in range(1, 7)}
_COOKIES = [
    "session=eyJ1c2VyIjoidXNlci00MiJ9.ZjIqfg.s1gn4tur3",
    "csrftoken=9f86d081884c7d659a2feaa0c55ad015",
    "theme=dark",
    "lang=en-GB",
    "_ga=GA1.1.1234567890.1714564800",
    "_gid=GA1.1.987654321.1714564800",
    "consent=analytics%3Dno%2Cads%3Dno",
    "cart=3",
    "ab_test=variant-b",
    "tz=Europe%2FLondon",
]


def _users_payload(size: int) -> bytes:
    """A JSON document of at least `size` bytes: a batch of user records."""
    users: list[dict[str, object]] = []
    body = b""
    while len(body) < size:
        n = len(users)
        users.append({"email": f"user{n}@example.com", "name": f"User Number {n}", "tags": ["beta", "eu"], "age": n})
        body = json.dumps({"users": users}).encode()
    return body


@dataclass(frozen=True)
class Case:
    """One request: what the client sent, in the terms both an event and an environ are built from."""

    name: str
    label: str
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cookies: tuple[str, ...] = ()
    body: bytes = b""
    binary_body: bool = False

    def all_headers(self) -> dict[str, str]:
        headers = {**_GATEWAY_HEADERS, **self.headers}
        if self.body:
            headers["content-length"] = str(len(self.body))
        return headers

    def event(self) -> dict[str, Any]:
        """The HTTP API payload 2.0 event, shaped as AWS documents it."""
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": self.all_headers(),
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "r3pmxmplak",
                "domainName": HOST,
                "domainPrefix": "r3pmxmplak",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": SOURCE_IP,
                    "userAgent": _GATEWAY_HEADERS["user-agent"],
                },
                "requestId": "XyZ1aHmPLvHcESA=",
                "routeKey": "$default",
                "stage": "$default",
                "time": "01/May/2024:12:00:00 +0000",
                "timeEpoch": 1714564800000,
            },
            "isBase64Encoded": self.binary_body,
        }
        if self.cookies:
            event["cookies"] = list(self.cookies)
        if self.query:
            parameters: dict[str, str] = {}
            for key, value in parse_qsl(self.query, keep_blank_values=True):
                parameters[key] = parameters[key] + "," + value if key in parameters else value
            event["queryStringParameters"] = parameters
        if self.body:
            event["body"] = base64.b64encode(self.body).decode() if self.binary_body else self.body.decode()
        return event

    def environ(self) -> dict[str, Any]:
        """The environ a WSGI server would build for the same request (the direct call's input)."""
        from werkzeug.test import EnvironBuilder

        headers = self.all_headers()
        if self.cookies:
            headers["cookie"] = "; ".join(self.cookies)
        builder = EnvironBuilder(
            path=self.path,
            base_url=f"https://{HOST}",
            query_string=self.query,
            method=self.method,
            headers=list(headers.items()),
            data=self.body,
            # The whole body is in memory, as under every Lambda adapter: werkzeug need not guard its length.
            environ_overrides={"REMOTE_ADDR": SOURCE_IP, "wsgi.input_terminated": True},
        )
        try:
            return builder.get_environ()
        finally:
            builder.close()


CASES: tuple[Case, ...] = (
    Case("get_json", "GET, small JSON", "GET", "/users/42", headers={"accept": "application/json"}),
    Case(
        "post_json",
        "POST, 10 KB JSON",
        "POST",
        "/users",
        headers={"accept": "application/json", "content-type": "application/json"},
        body=_users_payload(10 * 1024),
    ),
    Case("binary", "GET, 64 KB PNG", "GET", "/users/42/avatar.png", headers={"accept": "image/png"}),
    Case(
        "many_headers",
        "GET, 30 headers + 10 cookies",
        "GET",
        "/me",
        query="fields=all&lang=en",
        headers={**_BROWSER_HEADERS, **_CUSTOM_HEADERS},
        cookies=tuple(_COOKIES),
    ),
)
COLD_START_CASE = CASES[0]


def answer(result: dict[str, Any]) -> tuple[int, bytes]:
    """The status and exact body bytes of a Lambda proxy result, whatever its encoding."""
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return int(result["statusCode"]), raw
