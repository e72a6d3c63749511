"""The sender's retry rules: what may be sent again, and what must not be (no doubles)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import SendMessage

from telegram._errors import TelegramError
from telegram._pacer import Pacer
from telegram._send import Sender

METHOD = SendMessage(chat_id=1, text="x")


class Bot:
    """Answers send_message with the queued failures first, then a message."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def send_message(self, *_: Any, **__: Any) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sent"


def _send(bot: Bot) -> Any:
    """One message through a real pacer (a retry waits the chat's second, as live)."""
    return asyncio.run(Sender(bot, Pacer()).message(1, "hello"))  # type: ignore[arg-type]


def test_a_request_that_never_left_is_sent_again() -> None:
    never_left = TelegramNetworkError(
        METHOD, "ClientOSError: [Errno None] Can not write request body for http://x/sendMessage"
    )
    no_connection = TelegramNetworkError(METHOD, "ClientConnectorError: Cannot connect to host x")
    bot = Bot(never_left, no_connection)
    assert _send(bot) == "sent"
    assert bot.calls == 3


def test_a_request_that_may_have_arrived_is_not_sent_twice() -> None:
    bot = Bot(TelegramNetworkError(METHOD, "ServerDisconnectedError: Server disconnected"))
    with pytest.raises(TelegramError, match="Telegram sendMessage failed: ServerDisconnected"):
        _send(bot)
    assert bot.calls == 1


def test_429_pauses_then_sends_once() -> None:
    bot = Bot(TelegramRetryAfter(METHOD, "Too Many Requests: retry after 0", 0))
    assert _send(bot) == "sent"
    assert bot.calls == 2
