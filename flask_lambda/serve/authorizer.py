"""The route authorizer serve plays, when asked: every request carries the identity API Gateway would have found.

`--jwt-claims` stands in for a JWT authorizer and `--iam-principal` for IAM (SigV4) authorization. Neither
checks a token or a signature: they let views that read the caller be tried locally. A request without the
header the real authorizer needs gets the answer API Gateway gives it (401 for JWT, 403 for IAM).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .events import OutgoingResponse, error_response

# arn:PARTITION:SERVICE::ACCOUNT:RESOURCE (IAM users and roles, STS assumed roles).
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):\S+")


class AuthorizerError(ValueError):
    """A flag's value that cannot describe a caller; the message says why."""


@dataclass(frozen=True)
class Authorizer:
    """`context` is the event's `requestContext.authorizer`; `scheme` the Authorization scheme a request must use."""

    context: dict[str, Any]
    scheme: str
    refusal: OutgoingResponse
    example: str  # an Authorization value that passes, for the Try line
    description: str  # what serve says it plays

    def refuses(self, headers: list[tuple[str, str]]) -> OutgoingResponse | None:
        """API Gateway's answer to a request without the authorization this authorizer needs, or None."""
        for name, value in headers:
            if name.lower() == "authorization" and value.strip().lower().startswith(self.scheme):
                return None
        return self.refusal


def jwt_authorizer(given: str) -> Authorizer:
    """From `--jwt-claims`: a JSON object of claims, or the path of a file holding one."""
    text = given if given.lstrip().startswith(("{", "[")) else _read(Path(given))
    try:
        claims = json.loads(text)
    except ValueError as error:
        raise AuthorizerError(f"--jwt-claims: not a JSON object ({error})") from None
    if not isinstance(claims, dict):
        raise AuthorizerError("--jwt-claims: the claims must be a JSON object")
    # API Gateway passes the token's `scope` claim on as the list of scopes.
    scope = claims.get("scope")
    scopes = scope.split() if isinstance(scope, str) and scope.split() else None
    unauthorized = error_response(401, "Unauthorized")
    refusal = OutgoingResponse(401, [*unauthorized.headers, ("www-authenticate", "Bearer")], unauthorized.body)
    description = "JWT ('Authorization: Bearer ...' required, not checked), every request with the --jwt-claims claims"
    return Authorizer({"jwt": {"claims": claims, "scopes": scopes}}, "bearer ", refusal, "Bearer local", description)


def iam_authorizer(arn: str) -> Authorizer:
    """From `--iam-principal`: the ARN of the IAM user or role that signs every request."""
    match = _PRINCIPAL_ARN.fullmatch(arn)
    if match is None:
        raise AuthorizerError(
            f"--iam-principal {arn!r}: expected an IAM or STS ARN, such as "
            "arn:aws:iam::123456789012:user/ada or arn:aws:sts::123456789012:assumed-role/reader/ada"
        )
    caller = "AIDALOCALSERVEEXAMPLE"
    iam = {
        "accessKey": "ASIALOCALSERVEEXAMPLE",
        "accountId": match.group(1),
        "callerId": caller,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": arn,
        "userId": caller,
    }
    description = f"IAM (SigV4 required, not checked), every request from {arn}"
    return Authorizer(
        {"iam": iam}, "aws4-hmac-sha256 ", error_response(403, "Forbidden"), "AWS4-HMAC-SHA256 local", description
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise AuthorizerError(f"--jwt-claims: cannot read {path}: {error.strerror}") from None
