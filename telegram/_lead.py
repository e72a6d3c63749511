"""Leads in Telegram: the model's ``offer_contact_form`` becomes a consent message with a
"Share phone" button (``request_contact``); the contact shared with it goes to the same
outbox as the web's leads, and the model hears ``saved`` (or ``dismissed``) next turn."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from kbcore import logfields as f
from kbcore.business import Leads
from kbcore.kb import AssistantSpec
from leads import InvalidLead, LeadsError, make_lead
from telegram import _log
from telegram._chats import Pending
from telegram._context import BotContext
from telegram._render import escape
from telegram._texts import say

log = logging.getLogger("kbsync.telegram")
SAVED_TTL_S = 24 * 3600.0


def consent_text(form: Leads, lang: str) -> str:
    parts = [say("consent", lang), form.consent.pick(lang)]
    if form.privacy_url:
        parts.append(say("privacy", lang, url=form.privacy_url))
    return "\n\n".join(parts)


def share_keyboard(lang: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=say("share_phone", lang), request_contact=True)],
            [KeyboardButton(text=say("no_thanks", lang))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def offer(ctx: BotContext, chat_id: int, spec: AssistantSpec, lang: str) -> bool:
    """Show the consent and the button; ``False`` when leads are off."""
    if spec.leads is None:
        return False
    await ctx.sender.message(
        chat_id, escape(consent_text(spec.leads, lang)), markup=share_keyboard(lang)
    )
    return True


def is_refusal(text: str) -> bool:
    return text.strip() in {say("no_thanks", "en"), say("no_thanks", "ru")}


async def dismissed(ctx: BotContext, message: Message, lang: str) -> None:
    """ "No, thanks": the keyboard goes; the model hears ``dismissed`` next turn."""
    await ctx.sender.message(message.chat.id, "👌", markup=ReplyKeyboardRemove())


async def received(ctx: BotContext, message: Message, lang: str) -> None:
    """A contact shared with the button: a lead in the outbox, then thanks."""
    chat_id = message.chat.id
    contact = message.contact
    user = message.from_user
    ready = ctx.current()
    if contact is None or user is None:
        return
    if ready is None or ready.spec.leads is None:
        await ctx.sender.message(chat_id, say("lead_off", lang), markup=ReplyKeyboardRemove())
        return
    if contact.user_id != user.id:
        await ctx.sender.message(chat_id, say("not_own_contact", lang))
        return
    spec, form = ready.spec, ready.spec.leads
    record, _ = ctx.chats.load(chat_id, spec)
    fields = {"phone": contact.phone_number, "name": contact.first_name or user.first_name}
    try:
        lead = make_lead(
            form, fields, consent=True, kb_name=spec.name, channel="telegram",
            variant=record.variant, language=lang, conversation_id=record.conversation_id,
        )  # fmt: skip
        ctx.outbox().add(lead, form.sinks)
    except InvalidLead as exc:
        log.info("telegram lead refused: %s", sorted(exc.fields))
        await ctx.sender.message(chat_id, say("lead_failed", lang))
        return
    except LeadsError as exc:
        log.error("telegram lead not saved: %s", exc)
        await ctx.sender.message(chat_id, say("lead_failed", lang))
        return
    _log.event(f.LEAD, **{f.LEAD_ID: lead.id, f.VARIANT: record.variant, f.KB_NAME: spec.name})
    summary = ", ".join(lead.fields.present().values())
    ctx.chats.state.put("tg_lead", str(chat_id), summary, ttl=SAVED_TTL_S)
    if record.pending is not None and record.pending.output is None:
        output = json.dumps({"status": "saved", "lead": lead.id})
        ctx.chats.save(chat_id, replace(record, pending=replace(record.pending, output=output)))
    await ctx.sender.message(chat_id, say("lead_saved", lang), markup=ReplyKeyboardRemove())


def pending_form(call_id: str) -> Pending:
    return Pending(call_id, "offer_contact_form")
