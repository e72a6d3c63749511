"""``kbsync relay``: the relay's own command, with the Telegram bot plugged in.

The relay and the bot are both channels and never import each other; here, above both,
the bot (when ``TELEGRAM_BOT_TOKEN`` is set) becomes the relay's ``TelegramChannel``: its
``POST /telegram/webhook`` and the hand-off desk behind ``/api/handoff``.
"""

from __future__ import annotations

from litestar import Litestar

from kbsync._telegram import channel_from_env
from relay import server

server.APP_FACTORY = "kbsync._relay:app"
main = server.main


def app() -> Litestar:
    """The uvicorn factory of each worker: the relay app and, when configured, the bot."""
    return server.make_app(telegram=channel_from_env())
