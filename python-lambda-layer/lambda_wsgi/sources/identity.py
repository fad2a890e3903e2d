"""The caller's identity, as the API's authorizer established it, put into the environ.

The keys are documented in docs/routes.md ("Who is calling"); the sources call these with what their event carries.
"""

from __future__ import annotations

from typing import Any

from ..request import Environ

JWT_CLAIMS = "aws.jwt_claims"  # dict: the token's claims (JWT authorizer, REST API Cognito user pool authorizer)
JWT_SCOPES = "aws.jwt_scopes"  # list[str]: the token's scopes, [] when it has none
IAM_PRINCIPAL = "aws.iam_principal"  # dict: userArn, accountId, accessKey, callerId, userId, principalOrgId
AUTHORIZER_CONTEXT = "aws.authorizer_context"  # dict: what a Lambda authorizer returned as its context
IAM_FIELDS = ("userArn", "accountId", "accessKey", "callerId", "userId", "principalOrgId")


def add_jwt(environ: Environ, claims: Any, scopes: Any) -> None:
    """The token's claims and scopes; REMOTE_USER is its subject."""
    if not isinstance(claims, dict) or not (scopes is None or isinstance(scopes, list)):
        raise TypeError("JWT claims must be an object and scopes an array")
    environ[JWT_CLAIMS] = claims
    environ[JWT_SCOPES] = [str(scope) for scope in scopes or ()]
    subject = claims.get("sub")
    if isinstance(subject, str) and subject:
        environ["REMOTE_USER"] = subject


def add_iam(environ: Environ, principal: dict[str, Any]) -> None:
    """A SigV4-signed caller (`IAM_FIELDS`, each a string or None); REMOTE_USER is its ARN."""
    if not all(value is None or isinstance(value, str) for value in principal.values()):
        raise TypeError("the IAM principal's fields must be strings")
    environ[IAM_PRINCIPAL] = principal
    if principal.get("userArn"):
        environ["REMOTE_USER"] = principal["userArn"]


def add_authorizer_context(environ: Environ, context: Any, principal_id: Any = None) -> None:
    """A Lambda authorizer's context; REMOTE_USER is the principal it named, where the event carries one."""
    if not isinstance(context, dict) or not (principal_id is None or isinstance(principal_id, str)):
        raise TypeError("a Lambda authorizer's context must be an object and its principalId a string")
    environ[AUTHORIZER_CONTEXT] = context
    if principal_id:
        environ["REMOTE_USER"] = principal_id
