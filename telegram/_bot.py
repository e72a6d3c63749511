"""The bot: one aiogram ``Bot`` (paced sender) and ``Dispatcher``, fed by the relay's
webhook route (``feed``) or by long polling (``poll``); each update processed once
(``update_id`` dedupe in ``state``), each in its own task, so the webhook answers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import Dispatcher
from aiogram.types import TelegramObject, Update
from pydantic import ValidationError

from handoff import Desk, Threads
from state import State
from telegram._assistant import Current
from telegram._chats import Chats
from telegram._config import ChatLimits, TelegramConfig
from telegram._context import BotContext
from telegram._errors import TelegramError
from telegram._handlers import build_router
from telegram._operators import ChatVisitors, GroupOperators
from telegram._pacer import Pacer
from telegram._send import Sender
from telegram._session import make_bot

log = logging.getLogger("kbsync.telegram")
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
POLL_TIMEOUT_S = 30
STOP_WAIT_S = 10.0


class TelegramBot:
    def __init__(
        self,
        config: TelegramConfig,
        state: State,
        current: Current,
        *,
        limits: ChatLimits,
        outbox_path: Path,
    ) -> None:
        self.config = config
        self.bot = make_bot(config)
        self.pacer = Pacer()
        self.sender = Sender(self.bot, self.pacer)
        desk = None
        if config.handoff_chat_id is not None:
            desk = Desk(
                Threads(state),
                GroupOperators(self.sender, config.handoff_chat_id),
                config.handoff_chat_id,
                ChatVisitors(self.sender),
            )
        self.ctx = BotContext(config, self.sender, Chats(state, limits), current, desk, outbox_path)
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(build_router())
        self.dispatcher.update.outer_middleware(self._once)
        self.dispatcher["ctx"] = self.ctx
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def desk(self) -> Desk | None:
        return self.ctx.desk

    async def start(self) -> None:
        """Learn the bot's own @username (for mentions in groups)."""
        me = await self.bot.get_me()
        self.ctx.username = me.username or ""

    async def _once(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and not self.ctx.chats.first_time(
            self.config.bot_id, event.update_id
        ):
            log.info("update %s seen before; skipped", event.update_id)
            return None
        return await handler(event, data)

    # -- webhook --------------------------------------------------------------------

    def feed(self, body: bytes) -> bool:
        """Take one webhook delivery and process it in the background; ``False`` when the
        body is not a JSON object (nothing is processed). An update of a shape this bot
        does not know is taken and let be."""
        try:
            raw = json.loads(body)
        except ValueError:
            return False
        if not isinstance(raw, dict):
            return False
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
        except ValidationError:
            log.info(
                "an update of an unknown shape was let be (update_id %s)", raw.get("update_id")
            )
            return True
        task = asyncio.get_running_loop().create_task(self._process(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _process(self, update: Update) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            log.exception("update %s failed", update.update_id)

    async def idle(self) -> None:
        """Wait until every update taken so far is processed."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def set_webhook(self, url: str, *, drop_pending: bool = False) -> None:
        if not self.config.webhook_secret:
            raise TelegramError(
                "TELEGRAM_WEBHOOK_SECRET is not set: without it anyone could post updates to "
                "the webhook; set it (1-256 of A-Z, a-z, 0-9, _ and -) on the relay and here."
            )
        await self.bot.set_webhook(
            url,
            secret_token=self.config.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending,
        )

    async def delete_webhook(self, *, drop_pending: bool = False) -> None:
        await self.bot.delete_webhook(drop_pending_updates=drop_pending)

    # -- long polling ---------------------------------------------------------------

    async def poll(self) -> None:
        """Long polling until cancelled; refuses while a webhook is set."""
        info = await self.bot.get_webhook_info()
        if info.url:
            raise TelegramError(
                f"A webhook is set ({info.url}), so Telegram keeps updates for it; run "
                "kbsync telegram delete-webhook first to poll instead."
            )
        await self.dispatcher.start_polling(
            self.bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=POLL_TIMEOUT_S,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            await self.dispatcher.stop_polling()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_WAIT_S)
        await self.bot.session.close()
