"""Page tokens: signed with PAGE_TOKEN_KEY (32+ characters); a rotated key still reads the tokens clients hold."""

from __future__ import annotations

import pytest
from page_token import InvalidTokenError, PageTokens

from tests.api.conftest import PAGE_TOKEN_KEY


@pytest.mark.parametrize("key", [None, "", "x", "k" * 31])
def test_a_missing_or_short_page_token_key_stops_the_app(api_env: dict[str, str], key: str | None) -> None:
    with pytest.MonkeyPatch.context() as patch:
        if key is None:
            patch.delenv("PAGE_TOKEN_KEY")
        else:
            patch.setenv("PAGE_TOKEN_KEY", key)
        with pytest.raises(RuntimeError, match=r"^PAGE_TOKEN_KEY .*at least 32 characters"):
            PageTokens.from_environment()


def test_a_key_of_32_characters_is_enough_and_tokens_depend_on_it() -> None:
    ours, other = PageTokens([PAGE_TOKEN_KEY]), PageTokens(["k" * 32])
    token = ours.encode(["a", "b"])
    assert ours.decode(token) == ["a", "b"]
    assert other.encode(["a", "b"]) != token
    with pytest.raises(InvalidTokenError):
        other.decode(token)


def test_a_rotated_key_still_reads_the_tokens_clients_hold(api_env: dict[str, str]) -> None:
    """PAGE_TOKEN_KEY signs; a key moved to PAGE_TOKEN_PREVIOUS_KEYS still verifies what it signed."""
    held = PageTokens([PAGE_TOKEN_KEY]).encode(["2024-05-01T12:00:00.000000Z#a"])
    new_key = "n" * 40
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAGE_TOKEN_KEY", new_key)
        patch.setenv("PAGE_TOKEN_PREVIOUS_KEYS", f"{'o' * 32},{PAGE_TOKEN_KEY}")
        rotated = PageTokens.from_environment()
    assert rotated.decode(held) == ["2024-05-01T12:00:00.000000Z#a"]
    fresh = rotated.encode(["x"])
    assert PageTokens([new_key]).decode(fresh) == ["x"]  # the new key signs
    with pytest.raises(InvalidTokenError):
        PageTokens([PAGE_TOKEN_KEY]).decode(fresh)
    with pytest.raises(InvalidTokenError):  # once a key is dropped, what it signed is refused
        PageTokens([new_key]).decode(held)


def test_a_short_previous_key_stops_the_app(api_env: dict[str, str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAGE_TOKEN_PREVIOUS_KEYS", "short")
        with pytest.raises(RuntimeError, match=r"^PAGE_TOKEN_PREVIOUS_KEYS holds a key of fewer than 32"):
            PageTokens.from_environment()
