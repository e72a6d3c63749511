"""👍/👎 under the bot's answers in private chats: inline buttons, checked and logged as the
web's feedback is (``POST /api/feedback``).

When an answer completes, its response id is remembered with its chat and variant
(``tg_answers/<response id>``, as long as a conversation lives). A press carries
``fb:up:<response id>`` or ``fb:down:<response id>`` as its callback data; a client can
send any data for any message of its chat, so the press counts only when the answer was
this chat's. A counted press logs ``{"event": "feedback", "response_id", "rating",
"reason": null, "variant", "channel": "telegram", "kb_name"}``; a later press replaces the
earlier in ``kbsync report`` (the last wins).
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from kbcore import logfields as f
from state import State
from telegram import _log
from telegram._texts import say

PREFIX = "fb"
ANSWERS = "tg_answers"  # state namespace: response id → {"chat": chat id, "v": variant}
MAX_DATA = 64  # bytes of callback_data Telegram takes


def buttons(response_id: str) -> InlineKeyboardMarkup | None:
    """The 👍/👎 row for an answer; ``None`` when its id would not fit the callback data."""
    up, down = f"{PREFIX}:up:{response_id}", f"{PREFIX}:down:{response_id}"
    if len(down.encode()) > MAX_DATA:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="👍", callback_data=up),
                InlineKeyboardButton(text="👎", callback_data=down),
            ]
        ]
    )


def remember(state: State, chat_id: int, response_id: str, variant: str, ttl: float) -> None:
    state.put(ANSWERS, response_id, {"chat": chat_id, "v": variant}, ttl=ttl)


def rating_of(data: str | None) -> tuple[str, str] | None:
    """``(rating, response id)`` of a feedback press, or ``None`` for any other data."""
    prefix, _, rest = (data or "").partition(":")
    rating, _, response_id = rest.partition(":")
    if prefix != PREFIX or rating not in ("up", "down") or not response_id:
        return None
    return rating, response_id


def counted(state: State, query: CallbackQuery, kb_name: str) -> bool | None:
    """``None``: not a feedback press; ``True``: counted and logged; ``False``: refused (not
    an answer of this chat)."""
    parsed = rating_of(query.data)
    if parsed is None:
        return None
    rating, response_id = parsed
    chat = query.message.chat.id if query.message is not None else None
    producer = state.get(ANSWERS, response_id)
    if not isinstance(producer, dict) or chat is None or producer.get("chat") != chat:
        return False
    variant = producer.get("v") if isinstance(producer.get("v"), str) else "main"
    _log.event(
        f.FEEDBACK,
        **{
            f.RESPONSE_ID: response_id,
            f.RATING: rating,
            f.REASON: None,
            f.VARIANT: variant,
            f.KB_NAME: kb_name,
        },
    )
    return True


def thanks(lang: str) -> str:
    return say("thanks", lang)
