"""Every call the bot makes to Telegram, paced (``Pacer``) and retried the Bot API's way.

``429`` pauses all sending for ``retry_after`` and the call is tried again; a ``5xx`` is
tried again after a short pause; a message that could not be sent at all raises
``TelegramError`` naming the call. A ``sendMessage`` whose connection failed after the
request went out is not repeated: Telegram may have delivered it, and a visitor must not
read an answer twice; one that never left (no connection, or a kept-alive connection the
server had just closed, so the body could not be written) is. Drafts are best effort: a
lost one is replaced by the next.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from telegram._errors import TelegramError
from telegram._pacer import DRAFTS, EDITS, MESSAGES, Pacer

ATTEMPTS = 4
SERVER_RETRY_S = 0.5
MAX_WAIT_S = 60.0
NOT_MODIFIED = "message is not modified"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

# aiohttp's words when the request never reached the server (aiogram keeps them)
NEVER_SENT = ("Cannot connect to host", "Can not write request body")

T = TypeVar("T")
Markup = ReplyKeyboardMarkup | ReplyKeyboardRemove | Any
log = logging.getLogger("kbsync.telegram")


def never_sent(exc: TelegramNetworkError) -> bool:
    return any(words in exc.message for words in NEVER_SENT)


class Sender:
    def __init__(self, bot: Bot, pacer: Pacer) -> None:
        self.bot = bot
        self.pacer = pacer

    async def _call(
        self,
        what: str,
        kind: str,
        chat_id: int,
        call: Callable[[], Awaitable[T]],
        *,
        repeat_on_network: bool = True,
        attempts: int = ATTEMPTS,
    ) -> T:
        pause = SERVER_RETRY_S
        for attempt in range(1, attempts + 1):
            async with self.pacer.slot(kind, chat_id):
                try:
                    return await call()
                except TelegramRetryAfter as exc:
                    wait = min(float(exc.retry_after), MAX_WAIT_S)
                    self.pacer.pause(wait)
                    failure: Exception = exc
                except TelegramServerError as exc:
                    failure = exc
                except TelegramNetworkError as exc:
                    if not repeat_on_network and not never_sent(exc):
                        raise TelegramError(f"Telegram {what} failed: {exc.message}") from exc
                    failure = exc
                except TelegramBadRequest as exc:
                    raise TelegramError(f"Telegram refused {what}: {exc.message}") from exc
            if attempt < attempts and not isinstance(failure, TelegramRetryAfter):
                await asyncio.sleep(pause)
                pause *= 2
        raise TelegramError(f"Telegram {what} failed {attempts} times; the last: {failure}")

    async def message(
        self,
        chat_id: int,
        text: str,
        *,
        html: bool = True,
        thread_id: int | None = None,
        markup: Markup | None = None,
        reply_to: int | None = None,
    ) -> Message:
        return await self._call(
            "sendMessage",
            MESSAGES,
            chat_id,
            lambda: self.bot.send_message(
                chat_id,
                text,
                parse_mode="HTML" if html else None,
                message_thread_id=thread_id,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
                reply_parameters=(
                    ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                ),
            ),
            repeat_on_network=False,
        )

    async def draft(self, chat_id: int, draft_id: int, text: str) -> bool:
        """One draft update; ``False`` when Telegram did not take it (the next will)."""
        try:
            return await self._call(
                "sendMessageDraft",
                DRAFTS,
                chat_id,
                lambda: self.bot.send_message_draft(
                    chat_id=chat_id, draft_id=draft_id, text=text, parse_mode=None
                ),
                attempts=1,
            )
        except TelegramError as exc:
            log.info("draft not shown: %s", exc)
            return False

    async def edit(self, chat_id: int, message_id: int, text: str, *, html: bool) -> None:
        try:
            await self._call(
                "editMessageText",
                EDITS,
                chat_id,
                lambda: self.bot.edit_message_text(
                    text=text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode="HTML" if html else None,
                    link_preview_options=NO_PREVIEW,
                ),
            )
        except TelegramError as exc:
            if NOT_MODIFIED not in str(exc):
                raise

    async def typing(self, chat_id: int, thread_id: int | None = None) -> None:
        try:
            await self.bot.send_chat_action(chat_id, "typing", message_thread_id=thread_id)
        except (TelegramBadRequest, TelegramNetworkError, TelegramServerError) as exc:
            log.info("typing not shown: %s", exc)
        except TelegramRetryAfter as exc:
            self.pacer.pause(min(float(exc.retry_after), MAX_WAIT_S))

    async def answer_callback(self, query_id: str, text: str | None = None) -> None:
        try:
            await self.bot.answer_callback_query(query_id, text=text)
        except (TelegramBadRequest, TelegramNetworkError, TelegramServerError) as exc:
            log.info("callback not answered: %s", exc)
        except TelegramRetryAfter as exc:
            self.pacer.pause(min(float(exc.retry_after), MAX_WAIT_S))

    async def create_topic(self, chat_id: int, name: str) -> int:
        topic = await self._call(
            "createForumTopic",
            MESSAGES,
            chat_id,
            lambda: self.bot.create_forum_topic(chat_id, name),
            repeat_on_network=False,
        )
        return topic.message_thread_id

    async def close_topic(self, chat_id: int, thread_id: int) -> None:
        await self._call(
            "closeForumTopic",
            EDITS,
            chat_id,
            lambda: self.bot.close_forum_topic(chat_id, thread_id),
        )
