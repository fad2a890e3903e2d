"""Who may change or delete a user: its creator, an administrator, or anyone when the deployment trusts every caller.

The caller is who the Lambda layer says it is (docs/routes.md, "Who is calling"): REMOTE_USER is a JWT's subject,
an IAM caller's ARN or a Lambda authorizer's principal. Without an authorizer nobody can be told apart, so everyone
may change every user, as the API always allowed. Pure functions over the WSGI environ, no Flask, no DynamoDB.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The JWT scope that makes its holder an administrator; set empty, no scope does.
ADMIN_SCOPE_VARIABLE = "USERS_ADMIN_SCOPE"
DEFAULT_ADMIN_SCOPE = "users:admin"
# "true" when every caller the API lets through is a trusted service (AWS_IAM: only principals granted the invoke
# policy get in), so none is limited to the users it created; "false" or unset otherwise.
TRUSTED_CALLERS_VARIABLE = "USERS_TRUSTED_CALLERS"

# What the layer puts in the environ (python-lambda-layer/lambda_wsgi/sources/identity.py).
REMOTE_USER = "REMOTE_USER"
JWT_CLAIMS = "aws.jwt_claims"
JWT_SCOPES = "aws.jwt_scopes"
IAM_PRINCIPAL = "aws.iam_principal"
AUTHORIZER_CONTEXT = "aws.authorizer_context"
_AUTHORIZERS = (JWT_CLAIMS, IAM_PRINCIPAL, AUTHORIZER_CONTEXT)
# OAuth's space-separated scope claim (RFC 9068); API Gateway lists a token's scopes in the event only for routes
# that require scopes, so the claim is read too.
_SCOPE_CLAIM = "scope"


@dataclass(frozen=True)
class Caller:
    """Who sent the request, as far as the authorizer established it."""

    # REMOTE_USER: recorded as the creator of the users this caller creates. None when nobody was named.
    identity: str | None
    # An authorizer vouched for the request (even without naming anyone); False: no authorizer at all.
    authenticated: bool
    # An administrator, or a deployment that trusts all its callers.
    privileged: bool

    def may_change(self, creator: str | None) -> bool:
        """Whether this caller may change or delete a user created by `creator` (None: nobody on record)."""
        if not self.authenticated or self.privileged:
            return True
        return creator is not None and creator == self.identity


@dataclass(frozen=True)
class Policy:
    """The deployment's settings: the administrators' scope, and whether every caller is trusted."""

    admin_scope: str | None
    trusted_callers: bool

    @classmethod
    def from_environment(cls) -> Policy:
        """From USERS_ADMIN_SCOPE and USERS_TRUSTED_CALLERS; an unclear setting stops the app with the reason."""
        trusted = os.environ.get(TRUSTED_CALLERS_VARIABLE, "false")
        if trusted not in ("true", "false"):
            # Read wrongly, a typo would either lock out every service or open every user to every caller.
            raise RuntimeError(f"{TRUSTED_CALLERS_VARIABLE} must be true or false, not {trusted!r}")
        scope = os.environ.get(ADMIN_SCOPE_VARIABLE, DEFAULT_ADMIN_SCOPE)
        return cls(admin_scope=scope or None, trusted_callers=trusted == "true")

    def caller(self, environ: Mapping[str, Any]) -> Caller:
        identity = environ.get(REMOTE_USER) or None
        authenticated = identity is not None or any(key in environ for key in _AUTHORIZERS)
        privileged = self.trusted_callers or (
            self.admin_scope is not None and self.admin_scope in _scopes(environ.get(JWT_CLAIMS), environ)
        )
        return Caller(identity=identity, authenticated=authenticated, privileged=privileged)


def _scopes(claims: Any, environ: Mapping[str, Any]) -> set[str]:
    scopes = {str(scope) for scope in environ.get(JWT_SCOPES) or ()}
    claimed = claims.get(_SCOPE_CLAIM) if isinstance(claims, dict) else None
    if isinstance(claimed, str):
        scopes.update(claimed.split())
    return scopes
