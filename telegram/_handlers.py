"""The bot's handlers: small functions over typed updates, on one aiogram ``Router``.

Private chats: ``/start`` (greeting and starters), ``/new``, ``/operator``, text (answered,
or carried to a person), a shared contact (a lead), anything else a polite "text only".
Groups: the operators' group (replies to visitors, ``/done``), else only messages that
mention the bot or reply to it. Edits are let be; unknown updates are ignored.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, KeyboardButton, Message, ReplyKeyboardMarkup

from telegram import _feedback, _handoff, _lead, _turn
from telegram._context import BotContext
from telegram._render import escape
from telegram._texts import language, say

log = logging.getLogger("kbsync.telegram")
PRIVATE = F.chat.type == "private"


def _lang(message: Message) -> str:
    return language(message.from_user.language_code if message.from_user else None)


async def _admitted(ctx: BotContext, message: Message, lang: str) -> bool:
    """The web's limits, per Telegram user; one message says so, then silence."""
    user = message.from_user
    if user is None or user.is_bot:
        return False
    refused = ctx.chats.admit(user.id)
    if refused is None:
        return True
    if not refused.startswith("quiet:"):
        await ctx.sender.message(message.chat.id, say(refused, lang))
    return False


async def start(message: Message, ctx: BotContext) -> None:
    lang = _lang(message)
    ready = ctx.current()
    spec = ready.spec if ready else None
    greeting = (
        spec.telegram.greeting.pick(lang)
        if spec and spec.telegram and spec.telegram.greeting
        else say("greeting", lang)
    )
    starters = spec.starters.pick(lang) if spec and spec.starters else ()
    markup = (
        ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=s)] for s in starters],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        if starters
        else None
    )
    await ctx.sender.message(message.chat.id, escape(greeting), markup=markup)


async def new(message: Message, ctx: BotContext) -> None:
    ctx.chats.forget(message.chat.id)
    await ctx.sender.message(message.chat.id, say("new", _lang(message)))


async def operator(message: Message, ctx: BotContext) -> None:
    lang = _lang(message)
    if await _admitted(ctx, message, lang):
        async with ctx.lock(message.chat.id):
            await _handoff.request(ctx, message, lang, reason="the visitor asked (/operator)")


async def contact(message: Message, ctx: BotContext) -> None:
    lang = _lang(message)
    async with ctx.lock(message.chat.id):
        await _lead.received(ctx, message, lang)


async def text(message: Message, ctx: BotContext) -> None:
    lang = _lang(message)
    words = (message.text or "").strip()
    if not words or not await _admitted(ctx, message, lang):
        return
    async with ctx.lock(message.chat.id):
        if await _handoff.carry(ctx, message, words):
            return
        if _lead.is_refusal(words):
            await _lead.dismissed(ctx, message, lang)
            return
        if len(words) > ctx.chats.limits.max_message_chars:
            limit = ctx.chats.limits.max_message_chars
            await ctx.sender.message(message.chat.id, say("too_long", lang, limit=limit))
            return
        await _turn.answer(ctx, message, words, lang)


async def in_group(message: Message, ctx: BotContext) -> None:
    if message.chat.id == ctx.config.handoff_chat_id:
        await _handoff.from_operators(ctx, message)
        return
    asked = _addressed(message, ctx)
    if asked is None:
        return
    lang = _lang(message)
    if not asked or not await _admitted(ctx, message, lang):
        return
    async with ctx.lock(message.chat.id):
        await _turn.answer(ctx, message, asked, lang)


def _addressed(message: Message, ctx: BotContext) -> str | None:
    """The question when the bot is mentioned or replied to in a group, else ``None``."""
    words = message.text or ""
    mention = f"@{ctx.username}" if ctx.username else None
    if mention and mention.lower() in words.lower():
        start = words.lower().index(mention.lower())
        return (words[:start] + words[start + len(mention) :]).strip()
    replied = message.reply_to_message
    if (
        replied is not None
        and replied.from_user is not None
        and (replied.from_user.id == ctx.config.bot_id)
    ):
        return words.strip()
    return None


async def not_text(message: Message, ctx: BotContext) -> None:
    """Stickers, voice, photos…: the bot reads text only, and says so."""
    await ctx.sender.message(message.chat.id, say("text_only", _lang(message)))


async def pressed(query: CallbackQuery, ctx: BotContext) -> None:
    ready = ctx.current()
    lang = language(query.from_user.language_code if query.from_user else None)
    rated = _feedback.counted(ctx.chats.state, query, ready.spec.name) if ready else None
    await ctx.sender.answer_callback(query.id, _feedback.thanks(lang) if rated else None)


async def edited(_: Message) -> None:
    """An edit is not a new question: let it be."""


def build_router() -> Router:
    """A router with every handler (one per dispatcher: aiogram attaches a router once)."""
    router = Router(name="kbsync")
    router.message.register(start, CommandStart(), PRIVATE)
    router.message.register(new, Command("new"), PRIVATE)
    router.message.register(operator, Command("operator"), PRIVATE)
    router.message.register(contact, F.contact, PRIVATE)
    router.message.register(text, F.text, PRIVATE)
    router.message.register(in_group, F.text, ~PRIVATE)
    router.message.register(not_text, PRIVATE)
    router.callback_query.register(pressed)
    router.edited_message.register(edited)
    return router
