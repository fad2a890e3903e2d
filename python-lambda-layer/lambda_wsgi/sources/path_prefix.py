"""API Gateway's path rules: a named stage on the API's own domain, a configured base path, custom domains.

Whatever a prefix is, it moves from the path into SCRIPT_NAME, so the app routes on the path it declares.
"""

from __future__ import annotations

from ..request import native_path


def split_prefix(path: str, prefixes: tuple[str, ...]) -> tuple[str, str]:
    """Move each prefix that starts `path` (as whole segments) into SCRIPT_NAME, in order."""
    script_name = ""
    for prefix in prefixes:
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            script_name += prefix
            path = path[len(prefix) :]
    if not path and not script_name:
        path = "/"
    return script_name, path


def clean_prefix(prefix: str | None) -> str:
    """Normalise a configured base path: `api/`, `/api` and `/api/` all mean `/api`."""
    if not prefix:
        return ""
    prefix = prefix.strip().strip("/")
    return "/" + native_path(prefix) if prefix else ""


def on_api_domain(domain_name: str) -> bool:
    """Whether the request came to the API's own `*.execute-api.*` domain (or a local one), not a custom domain."""
    return ".execute-api." in domain_name or "." not in domain_name  # "." not in: localhost, emulators


def stage_prefix(stage: str | None, domain_name: str) -> str:
    """The path prefix a named stage puts in front of every path, or "" where there is none.

    On the API's own domain a named stage is the first path segment; behind a custom domain the
    API mapping replaces it, so a first segment of the same name is the app's.
    """
    if not stage or stage == "$default" or not on_api_domain(domain_name):
        return ""
    return "/" + stage
