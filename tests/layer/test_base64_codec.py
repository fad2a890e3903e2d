"""The base64 codec: pybase64 when it loads, else the standard library; both give the exact bytes and refuse alike."""

from __future__ import annotations

import base64
import binascii
import os
import subprocess
import sys
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_wsgi.base64_codec import codec, stdlib_encode
from lambda_wsgi.errors import BadEventError
from lambda_wsgi.response import HttpResponse, response_body
from lambda_wsgi.sources.payload import request_body
from tests.conftest import LAYER_DIR

PNG = [("Content-Type", "image/png")]
# One codec per test run, not per example: the fixture's state is meant to last the whole test.
per_test_codec = settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_the_codec_is_pybase64_when_importable_else_the_standard_librarys(base64_codec: str) -> None:
    if base64_codec == "pybase64":
        import pybase64

        assert (codec().encode, codec().decode) == (pybase64.b64encode_as_string, pybase64.b64decode)
    else:
        assert (codec().encode, codec().decode) == (stdlib_encode, base64.b64decode)


def test_a_module_named_pybase64_without_its_functions_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pybase64", types.ModuleType("pybase64"))  # e.g. the function's own file
    codec.cache_clear()
    try:
        assert response_body(HttpResponse(200, "OK", PNG, b"\x89PNG")) == ("iVBORw==", True)
    finally:
        codec.cache_clear()


@per_test_codec
@given(body=st.binary(max_size=4096))
def test_binary_bodies_encode_to_the_standard_base64(base64_codec: str, body: bytes) -> None:
    text, is_base64 = response_body(HttpResponse(200, "OK", PNG, body))
    assert (text, is_base64) == ((base64.b64encode(body).decode(), True) if body else ("", False))


@per_test_codec
@given(body=st.binary(max_size=4096))
def test_base64_request_bodies_decode_to_the_exact_bytes(base64_codec: str, body: bytes) -> None:
    assert request_body(base64.b64encode(body).decode(), True) == body


@per_test_codec
@given(text=st.text(alphabet="ABCab09+/=-_ \n\té\x00", max_size=16))
def test_both_codecs_accept_and_refuse_the_same_bodies(base64_codec: str, text: str) -> None:
    try:
        expected: bytes | None = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        expected = None
    if expected is None:
        with pytest.raises(BadEventError, match="not valid base64"):
            request_body(text, True)
    else:
        assert request_body(text, True) == expected


def test_pybase64_is_imported_at_the_first_base64_body_not_at_start() -> None:
    script = (
        "import sys\n"
        "from lambda_wsgi import response\n"
        "assert 'pybase64' not in sys.modules, 'imported at start'\n"
        "response.response_body(response.HttpResponse(200, 'OK', [('Content-Type', 'image/png')], b'\\x89PNG'))\n"
        "assert 'pybase64' in sys.modules, 'not used for a binary body'\n"
    )
    # A fresh interpreter that finds the layer where Lambda puts it on sys.path, and nothing of the user's site.
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(LAYER_DIR), "PYTHONNOUSERSITE": "1"}
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=env, cwd=LAYER_DIR
    )
    assert completed.returncode == 0, completed.stderr
