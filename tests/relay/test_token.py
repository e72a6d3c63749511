"""Conversation tokens: HMAC-SHA256 over the KB name and the conversation id."""

from __future__ import annotations

import pytest

from relay._errors import InvalidToken
from relay._token import TokenSigner


def test_round_trip() -> None:
    signer = TokenSigner("secret")
    token = signer.sign("club", "conv_abc123")
    assert token.startswith("conv_abc123.")
    assert signer.verify("club", token) == "conv_abc123"


@pytest.mark.parametrize(
    "token",
    [
        "conv_abc123",
        "conv_abc124." + TokenSigner("secret").sign("club", "conv_abc123").split(".")[1],
        TokenSigner("secret").sign("club", "conv_abc123")[:-1] + "x",
        TokenSigner("other").sign("club", "conv_abc123"),
        TokenSigner("secret").sign("another-kb", "conv_abc123"),
        ".sig",
        "conv_é.abc",
        "c" * 600 + ".abc",
    ],
)
def test_refused(token: str) -> None:
    with pytest.raises(InvalidToken, match="conversation token"):
        TokenSigner("secret").verify("club", token)
