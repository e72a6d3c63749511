"""The Bot API client: one aiogram ``Bot`` whose session points at ``TELEGRAM_API_URL``
(the live API, or the sandbox's fake at ``http://127.0.0.1:8787/telegram``)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from telegram._config import TelegramConfig

REQUEST_TIMEOUT_S = 30


def make_bot(config: TelegramConfig, *, connections: int = 100) -> Bot:
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(config.api_url),
        limit=connections,
        timeout=REQUEST_TIMEOUT_S,
    )
    return Bot(config.token, session=session)
