"""The layer's settings: what each `LAMBDA_WSGI_*` variable means, read as Lambda hands the environment over."""

from __future__ import annotations

import pytest

from lambda_wsgi.settings import DEFAULT_APP, DEFAULT_PRIME_PATH, Settings


def test_an_environment_without_the_layers_variables_gives_the_defaults() -> None:
    settings = Settings.from_environ({"AWS_LAMBDA_FUNCTION_NAME": "site"})
    assert settings == Settings(
        app="routes:routes", base_path=None, access_log=False, prime_path=DEFAULT_PRIME_PATH, snap_start=False
    )
    assert settings.app == DEFAULT_APP


def test_each_variable_sets_its_setting() -> None:
    settings = Settings.from_environ(
        {
            "LAMBDA_WSGI_APP": "web:application",
            "LAMBDA_WSGI_BASE_PATH": "/api",
            "LAMBDA_WSGI_ACCESS_LOG": "on",
            "LAMBDA_WSGI_PRIME_PATH": "/health",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
        }
    )
    assert settings == Settings(
        app="web:application", base_path="/api", access_log=True, prime_path="/health", snap_start=True
    )


@pytest.mark.parametrize("name", ["LAMBDA_WSGI_APP", "LAMBDA_WSGI_PRIME_PATH"])
def test_an_empty_value_is_unset(name: str) -> None:
    """Terraform and the console leave a variable they were given no value for empty."""
    assert Settings.from_environ({name: ""}) == Settings()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("on", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("off", False),
        ("0", False),
        ("", False),
        ("enabled", False),
    ],
)
def test_the_access_log_switch_reads_the_usual_spellings(value: str, expected: bool) -> None:
    assert Settings.from_environ({"LAMBDA_WSGI_ACCESS_LOG": value}).access_log is expected


@pytest.mark.parametrize("value", ["off", "OFF", "Off"])
def test_priming_is_left_out_with_off(value: str) -> None:
    assert Settings.from_environ({"LAMBDA_WSGI_PRIME_PATH": value}).prime_path is None


def test_only_lambdas_snap_start_initialisation_turns_the_snapstart_hooks_on() -> None:
    assert not Settings.from_environ({"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}).snap_start
    assert not Settings.from_environ({"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}).snap_start


def test_stream_names_the_kinds_of_caller_that_stream() -> None:
    assert Settings.from_environ({}).stream == frozenset()
    assert Settings.from_environ({"LAMBDA_WSGI_STREAM": ""}).stream == frozenset()
    both = Settings.from_environ({"LAMBDA_WSGI_STREAM": " Function-URL, rest-api "})
    assert both.stream == {"function-url", "rest-api"}


def test_an_unknown_streaming_kind_is_an_init_error_that_names_the_choices() -> None:
    with pytest.raises(ValueError, match="LAMBDA_WSGI_STREAM names http-api; it takes function-url, rest-api"):
        Settings.from_environ({"LAMBDA_WSGI_STREAM": "function-url,http-api"})
