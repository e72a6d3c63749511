"""A fake of the Telegram Bot API, for the bot's development and tests.

``/telegram/bot<token>/<method>`` serves the methods the bot uses with the Bot API's
envelope and error shapes; ``/_sandbox/telegram/*`` plays users, shows what the bot sent
with its send rates, injects faults, and serves a page to chat as a user and as an
operator. It knows nothing of the product.
"""

from __future__ import annotations

from sandbox.telegram._chats import OPERATORS_CHAT_ID
from sandbox.telegram._routes import ROUTES
from sandbox.telegram._world import STATE_KEY, World

__all__ = ["OPERATORS_CHAT_ID", "ROUTES", "STATE_KEY", "World"]
