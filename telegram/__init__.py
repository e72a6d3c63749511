"""The Telegram channel: the same assistant in a bot (webhook or long polling).

It renders the answer engine's events as Telegram messages (drafts in private chats,
edits in groups), keeps a conversation per chat in ``state`` with the web's limits per
Telegram user, turns the model's contact form into a "Share phone" button and hands
visitors to operators through the ``handoff`` desk. It never imports the web relay:
``kbsync`` feeds it the relay's webhook deliveries.

>>> bot = TelegramBot(TelegramConfig.from_env(), open_state(), assistant.current,
...                   limits=ChatLimits(), outbox_path=outbox_path())
>>> await bot.start(); await bot.poll()          # kbsync telegram poll
>>> bot.feed(request_body)                       # the relay's POST /telegram/webhook
"""

from __future__ import annotations

from telegram._assistant import Current, Ready, Standalone
from telegram._bot import ALLOWED_UPDATES, TelegramBot
from telegram._config import DEFAULT_API_URL, ChatLimits, TelegramConfig, Window
from telegram._errors import TelegramConfigError, TelegramError
from telegram._log import configure as configure_logging

__all__ = [
    "ALLOWED_UPDATES",
    "DEFAULT_API_URL",
    "ChatLimits",
    "Current",
    "Ready",
    "Standalone",
    "TelegramBot",
    "TelegramConfig",
    "TelegramConfigError",
    "TelegramError",
    "Window",
    "configure_logging",
]
