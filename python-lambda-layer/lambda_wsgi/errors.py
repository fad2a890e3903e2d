"""The layer's own exceptions: a bad HTTP event, a non-HTTP event, an unsafe response, an app that won't load."""

from __future__ import annotations


class BadEventError(Exception):
    """An HTTP event the layer can't turn into a request; answered with a 400, never raised."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedEventError(ValueError):
    """An event that is not an HTTP request (SQS, S3, a schedule, a direct invoke payload)."""


class UnsafeResponseError(Exception):
    """A status or header no server may send (not three digits, not a token, a CR, LF or NUL); answered with a 500."""


class AppLoadError(ImportError):
    """The configured WSGI app can't be imported or found.

    An ImportError, so the Lambda runtime reports it as one clear init error
    (`Runtime.ImportModuleError`) with this message and no secondary traceback.
    """


class CommandFailedError(Exception):
    """A command event with failOnError ended with a non-zero status: raised so Lambda records a function error."""
