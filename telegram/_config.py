"""The bot's configuration, read once from the environment; a bad value names the variable.

``TELEGRAM_BOT_TOKEN`` (from BotFather), ``TELEGRAM_API_URL`` (default
``https://api.telegram.org``; requests go to ``{TELEGRAM_API_URL}/bot<token>/<method>``),
``TELEGRAM_WEBHOOK_SECRET`` (what Telegram sends back in
``X-Telegram-Bot-Api-Secret-Token``), ``HANDOFF_TELEGRAM_CHAT_ID`` (the operators' forum
group). The chat limits are the web's own (``RATE_LIMIT``, ``TOKEN_BUDGET``,
``CONVERSATION_TTL``, ``MAX_TURNS``, ``MAX_MESSAGE_CHARS``), read by the relay's
configuration and handed over by ``kbsync`` as ``ChatLimits``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from telegram._errors import TelegramConfigError

DEFAULT_API_URL = "https://api.telegram.org"
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class Window:
    """At most ``count`` per clock-aligned window of ``seconds``."""

    count: int
    seconds: int


@dataclass(frozen=True)
class ChatLimits:
    """The web's limits, applied per Telegram user."""

    rate: Window | None = Window(20, 60)  # messages
    budget: Window | None = None  # input + output tokens
    conversation_ttl: int = 30 * 86400
    max_turns: int = 50
    max_message_chars: int = 2000


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    webhook_secret: str | None = field(default=None, repr=False)
    handoff_chat_id: int | None = None

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramConfig | None:
        """The configuration, or ``None`` when ``TELEGRAM_BOT_TOKEN`` is not set."""
        environ = os.environ if env is None else env

        def text(name: str) -> str | None:
            value = (environ.get(name) or "").strip()
            return value or None

        token = text("TELEGRAM_BOT_TOKEN")
        if token is None:
            return None
        if not _TOKEN.fullmatch(token):
            raise TelegramConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
                "letters, digits, _ or -); copy it again from BotFather."
            )
        api_url = (text("TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/")
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TelegramConfigError(
                f"TELEGRAM_API_URL must be an http(s) URL like {DEFAULT_API_URL}; got {api_url!r}."
            )
        secret = text("TELEGRAM_WEBHOOK_SECRET")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise TelegramConfigError(
                "TELEGRAM_WEBHOOK_SECRET may hold only 1-256 of A-Z, a-z, 0-9, _ and - "
                "(Telegram's rule for secret_token)."
            )
        chat = text("HANDOFF_TELEGRAM_CHAT_ID")
        if chat is not None and not re.fullmatch(r"-[0-9]{1,20}", chat):
            raise TelegramConfigError(
                "HANDOFF_TELEGRAM_CHAT_ID must be the operators' group id, a negative number "
                f"like -1001234567890; got {chat!r}."
            )
        return cls(token, api_url, secret, int(chat) if chat else None)
