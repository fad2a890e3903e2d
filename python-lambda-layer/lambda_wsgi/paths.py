"""URL path handling shared by every event kind: percent-decoding and prefix splitting.

PEP 3333 wants PATH_INFO and SCRIPT_NAME as "bytes as str": the decoded bytes as latin-1.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes


def native_path(raw_path: str) -> str:
    """Percent-decode a path to a PEP 3333 native string.

    AWS sometimes hands over a path it has already decoded (non-ASCII text in it);
    `unquote_to_bytes` encodes such text as UTF-8 first, so both forms end up as the same bytes.
    """
    if "%" not in raw_path and raw_path.isascii():
        return raw_path
    return unquote_to_bytes(raw_path).decode("latin-1")


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
