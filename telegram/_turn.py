"""One visitor message answered: the chat's conversation from ``state``, one turn of the
answer engine, its events rendered as drafts or edits and then the final message, the
turn recorded, the tokens charged to the visitor's budget, a tool call acted on."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace

from aiogram.types import Message

from answer import (
    OFFER_CONTACT_FORM,
    REQUEST_HANDOFF,
    AnswerSources,
    Cited,
    Completed,
    Searched,
    TextDelta,
    ToolCalled,
    ToolOutput,
    Turn,
    UpstreamError,
)
from kbcore import logfields as f
from telegram import _feedback, _handoff, _lead, _log
from telegram._chats import Pending
from telegram._context import BotContext
from telegram._errors import TelegramError
from telegram._render import Link, escape, final_messages
from telegram._stream import GroupStream, PrivateStream
from telegram._texts import say

log = logging.getLogger("kbsync.telegram")
DISMISSED = json.dumps({"status": "dismissed"})


async def answer(ctx: BotContext, message: Message, text: str, lang: str) -> None:
    chat_id = message.chat.id
    ready = ctx.current()
    if ready is None:
        await ctx.sender.message(chat_id, say("not_ready", lang))
        return
    spec = ready.spec
    record, full = ctx.chats.load(chat_id, spec)
    if full:
        await ctx.sender.message(chat_id, say("full", lang))
    outputs: tuple[ToolOutput, ...] = ()
    if record.pending is not None:
        outputs = (ToolOutput(record.pending.call_id, record.pending.output or DISMISSED),)
    turn = Turn(
        spec, ready.vector_store_id, record.conversation_id, text,
        variant=record.variant, tool_outputs=outputs,
    )  # fmt: skip
    group = message.chat.type != "private"
    thread_id = message.message_thread_id if message.is_topic_message else None
    typing = asyncio.get_running_loop().create_task(ctx.sender.typing(chat_id, thread_id))
    try:
        opened = await ready.engine.start(turn)
    except UpstreamError as exc:
        log.warning("telegram answer failed before it began: %s", exc.code)
        await typing
        await ctx.sender.message(chat_id, say("apology", lang), thread_id=thread_id)
        return
    stream = (
        GroupStream(ctx.sender, chat_id, thread_id, message.message_id)
        if group
        else PrivateStream(ctx.sender, chat_id)
    )
    sources = AnswerSources(ready.documents, spec, ready.vector_store_id)
    links: list[Link] = []
    called: ToolCalled | None = None
    done: Completed | None = None
    failed = False
    results: list[float] = []  # file_search scores
    try:
        async for event in opened.events():
            if isinstance(event, TextDelta):
                stream.add(event.text)
            elif isinstance(event, Searched):
                sources.searched(event.file_id, event.attributes)
                results.append(event.score or 0.0)
            elif isinstance(event, Cited):
                source = await sources.cite(event.file_id, event.filename)
                if source is not None:
                    links.append(Link(source.title, source.url))
            elif isinstance(event, ToolCalled):
                called = event
            elif isinstance(event, Completed):
                done = event
    except UpstreamError as exc:
        log.warning("telegram answer broke off: %s", exc.code)
        failed = True
    finally:
        await opened.aclose()
        await typing  # (sent beside the upstream request, not before it)
    said = stream.text.strip()
    pieces = final_messages(said, links, say("sources", lang)) if said else []
    if failed or (done is not None and done.incomplete):
        note = escape(say("apology" if failed else "cut_short", lang))
        pieces = [*pieces[:-1], f"{pieces[-1]}\n\n{note}"] if pieces else [note]
    markup = None  # 👍/👎 under a complete answer (private chats: in a group anyone could press)
    if done is not None and done.response_id and not failed and pieces and not group:
        markup = _feedback.buttons(done.response_id)
        if markup is not None:
            ttl = ctx.chats.limits.conversation_ttl
            _feedback.remember(ctx.chats.state, chat_id, done.response_id, record.variant, ttl)
    try:
        if isinstance(stream, PrivateStream):
            await stream.finish(pieces, markup)
        else:
            await stream.finish(pieces)
    except TelegramError as exc:
        log.error("telegram answer not delivered: %s", exc)
    pending = Pending(called.call_id, called.name) if called is not None else None
    ctx.chats.save(
        chat_id,
        replace(record, conversation_id=opened.conversation_id, turn=record.turn + 1,
                pending=pending),
    )  # fmt: skip
    ctx.chats.said(chat_id, "user", text)
    ctx.chats.said(chat_id, "assistant", said)
    if done is not None and message.from_user is not None:
        ctx.chats.charge(message.from_user.id, done.input_tokens + done.output_tokens)
    _log.event(
        f.CHAT, **{
            f.KB_NAME: spec.name, f.VARIANT: record.variant,
            f.STREAM: "error" if failed else "done",
            f.RESPONSE_ID: done.response_id if done else None, f.RESULTS: len(results),
            f.TOP_SCORE: max(results) if results else None, f.CITED: len(links),
            f.INCOMPLETE: done.incomplete if done else None,
        },
    )  # fmt: skip
    if called is not None:
        await _act(ctx, message, called, lang, spec_has_leads=spec.leads is not None)


async def _act(
    ctx: BotContext, message: Message, called: ToolCalled, lang: str, *, spec_has_leads: bool
) -> None:
    chat_id = message.chat.id
    if called.name == OFFER_CONTACT_FORM and spec_has_leads and message.chat.type == "private":
        ready = ctx.current()
        if ready is not None:
            await _lead.offer(ctx, chat_id, ready.spec, lang)
    elif called.name == REQUEST_HANDOFF:
        reason = called.arguments.get("reason")
        output = await _handoff.request(
            ctx, message, lang, reason if isinstance(reason, str) else None
        )
        record = ctx.chats.state.get("tg_chat", str(chat_id))
        ready = ctx.current()
        if isinstance(record, dict) and ready is not None:
            current, _ = ctx.chats.load(chat_id, ready.spec)
            if current.pending is not None and current.pending.call_id == called.call_id:
                ctx.chats.save(
                    chat_id, replace(current, pending=replace(current.pending, output=output))
                )
