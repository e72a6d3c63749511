"""Conversation tokens: the conversation id, KB name, issue time and turn, HMAC-SHA256 signed."""

from __future__ import annotations

import pytest

from relay._errors import ConversationExpired, ConversationFull, InvalidToken
from relay._token import Claims, TokenSigner
from testing.clock import FakeClock

NOW = 1_800_000_000.0


def test_round_trip() -> None:
    signer = TokenSigner("secret", clock=FakeClock(NOW))
    token = signer.sign("club", "conv_abc123")
    assert token.startswith("conv_abc123.")
    assert signer.verify("club", token) == Claims("conv_abc123", "club", 1_800_000_000, 1)
    assert signer.verify("club", signer.sign("club", "conv_abc123", 7)).turn == 7


def test_expires_after_the_ttl() -> None:
    clock = FakeClock(NOW)
    signer = TokenSigner("secret", ttl=3600, clock=clock)
    token = signer.sign("club", "conv_1")
    clock.now += 3600
    assert signer.verify("club", token).issued_at == 1_800_000_000
    clock.now += 1
    with pytest.raises(ConversationExpired, match="older than 1 h; start a new chat"):
        signer.verify("club", token)


def test_full_at_max_turns() -> None:
    signer = TokenSigner("secret", max_turns=3)
    assert signer.verify("club", signer.sign("club", "conv_1", 2)).turn == 2
    with pytest.raises(ConversationFull, match="reached its 3 messages"):
        signer.verify("club", signer.sign("club", "conv_1", 3))
    assert ConversationFull.code == "conversation_full"
    assert ConversationExpired.code == "conversation_expired"
    assert InvalidToken.code == "invalid_conversation"


def test_previous_secret_verifies_but_never_signs() -> None:
    old = TokenSigner("old-secret").sign("club", "conv_1")
    rotated = TokenSigner("new-secret", previous=["old-secret"])
    assert rotated.verify("club", old).conversation_id == "conv_1"
    fresh = rotated.sign("club", "conv_1", 2)
    assert TokenSigner("new-secret").verify("club", fresh).turn == 2
    with pytest.raises(InvalidToken):
        TokenSigner("old-secret").verify("club", fresh)
    with pytest.raises(InvalidToken):
        TokenSigner("new-secret").verify("club", old)  # rotation over: the old one is gone


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
