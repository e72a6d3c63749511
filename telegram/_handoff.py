"""Hand-off from Telegram: ``/operator`` and the model's ``request_handoff`` ask the desk
for a person; while one has the chat, the visitor's messages go to their topic; the
operators' messages in the group reach the visitor (the desk checks where they came from)."""

from __future__ import annotations

import json
import logging

from aiogram.types import Message

from handoff import Busy, Closed, Opened, telegram_key
from kbcore import logfields as f
from telegram import _log
from telegram._context import BotContext
from telegram._errors import TelegramError
from telegram._lead import offer
from telegram._texts import say

log = logging.getLogger("kbsync.telegram")


def visitor_label(message: Message) -> str:
    user = message.from_user
    if user is None:
        return "Visitor"
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return f"{name} @{user.username}" if user.username else name or "Visitor"


async def request(ctx: BotContext, message: Message, lang: str, reason: str | None) -> str:
    """Ask for a person for this chat; tells the visitor; the tool output for the model."""
    chat_id = message.chat.id
    ready = ctx.current()
    if ctx.desk is None or ready is None or ready.spec.handoff is None:
        await ctx.sender.message(chat_id, say("handoff_off", lang))
        return json.dumps({"status": "unavailable"})
    lead = ctx.chats.state.get("tg_lead", str(chat_id))
    try:
        outcome = await ctx.desk.request(
            ready.spec.handoff, telegram_key(chat_id), channel="telegram",
            visitor=visitor_label(message), language=lang,
            transcript=ctx.chats.transcript(chat_id),
            lead=lead if isinstance(lead, str) else None, reason=reason, chat_id=chat_id,
        )  # fmt: skip
    except TelegramError as exc:
        log.error("hand-off failed: %s", exc)
        await ctx.sender.message(chat_id, say("handoff_failed", lang))
        return json.dumps({"status": "failed"})
    if isinstance(outcome, Closed):
        await ctx.sender.message(chat_id, say("handoff_closed", lang, hours=outcome.hours))
        await offer(ctx, chat_id, ready.spec, lang)
        return json.dumps({"status": "closed", "hours": outcome.hours})
    if isinstance(outcome, Busy) or (isinstance(outcome, Opened) and not outcome.new):
        await ctx.sender.message(chat_id, say("handoff_waiting", lang))
        return json.dumps({"status": "handed_off"})
    _log.event(f.HANDOFF, **{f.KB_NAME: ready.spec.name})
    await ctx.sender.message(chat_id, say("handoff_opened", lang))
    return json.dumps({"status": "handed_off"})


async def carry(ctx: BotContext, message: Message, text: str) -> bool:
    """The visitor's message to their topic when a person has the chat."""
    if ctx.desk is None:
        return False
    return await ctx.desk.visitor_said(telegram_key(message.chat.id), text)


async def from_operators(ctx: BotContext, message: Message) -> None:
    """A message in the operators' group: to its visitor when the desk says so."""
    if ctx.desk is None or message.text is None:
        return
    user = message.from_user
    thread = await ctx.desk.operator_said(
        message.chat.id,
        message.message_thread_id if message.is_topic_message else None,
        message.text,
        from_bot=user is None or user.is_bot,
    )
    if thread is None or thread.chat_id is None:
        return
    if message.text.strip().split("@", 1)[0] == "/done":
        await ctx.sender.message(thread.chat_id, say("handoff_done", thread.language))
