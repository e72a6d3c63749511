"""A conversation per chat in ``state``, with the web's limits keyed by the Telegram user.

``tg_chat/<chat id>``: the OpenAI conversation, its variant, turn count, start time and
any pending tool call; it lives ``CONVERSATION_TTL`` and is replaced past ``MAX_TURNS``.
``tg_said/<chat id>``: what was said lately, for a hand-off's transcript (kept 24 h).
``tg_update/<bot>:<update id>``: each update processed once, whoever delivered it.
``tg_rate`` and ``tg_tokens``: messages and tokens per user per clock-aligned window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from kbcore.business import choose_variant
from kbcore.kb import AssistantSpec
from state import State
from telegram._config import ChatLimits

TRANSCRIPT_TTL_S = 24 * 3600.0
UPDATE_TTL_S = 7 * 24 * 3600.0
TRANSCRIPT_TURNS = 20


@dataclass(frozen=True)
class Pending:
    call_id: str
    name: str
    output: str | None = None  # set when the visitor answered it (a lead saved…)


@dataclass(frozen=True)
class ChatRecord:
    conversation_id: str | None
    variant: str
    turn: int
    started: float
    pending: Pending | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ChatRecord:
        pending = raw.get("pending")
        return cls(
            raw.get("conversation_id"),
            str(raw.get("variant") or "main"),
            int(raw.get("turn") or 0),
            float(raw.get("started") or 0),
            Pending(**pending) if isinstance(pending, dict) else None,
        )


class Chats:
    def __init__(
        self, state: State, limits: ChatLimits, clock: Callable[[], float] = time.time
    ) -> None:
        self.state = state
        self.limits = limits
        self.clock = clock

    def fresh(self, spec: AssistantSpec) -> ChatRecord:
        return ChatRecord(None, choose_variant(spec), 0, self.clock())

    def load(self, chat_id: int, spec: AssistantSpec) -> tuple[ChatRecord, bool]:
        """The chat's conversation; a new one when there is none, it expired or it is
        full (the flag says "full": the visitor is told)."""
        raw = self.state.get("tg_chat", str(chat_id))
        if not isinstance(raw, dict):
            return self.fresh(spec), False
        record = ChatRecord.from_json(raw)
        if self.clock() - record.started >= self.limits.conversation_ttl:
            return self.fresh(spec), False
        if record.turn >= self.limits.max_turns:
            return replace(self.fresh(spec), pending=None), True
        return record, False

    def save(self, chat_id: int, record: ChatRecord) -> None:
        self.state.put("tg_chat", str(chat_id), record.to_json(), ttl=self.limits.conversation_ttl)

    def forget(self, chat_id: int) -> None:
        """``/new``: the next message starts a new conversation."""
        self.state.delete("tg_chat", str(chat_id))
        self.state.delete("tg_said", str(chat_id))

    def said(self, chat_id: int, role: str, text: str) -> None:
        if text.strip():
            self.state.append(
                "tg_said", str(chat_id), {"role": role, "text": text}, ttl=TRANSCRIPT_TTL_S
            )

    def transcript(self, chat_id: int) -> list[tuple[str, str]]:
        items = self.state.since("tg_said", str(chat_id), 0)[-TRANSCRIPT_TURNS * 2 :]
        return [
            (str(item.get("role")), str(item.get("text")))
            for _, item in items
            if isinstance(item, dict)
        ]

    def first_time(self, bot_id: int, update_id: int) -> bool:
        """``True`` once per update, however often and by whom it is delivered."""
        return self.state.put_new("tg_update", f"{bot_id}:{update_id}", 1, ttl=UPDATE_TTL_S)

    # -- limits, per Telegram user ------------------------------------------------------

    def admit(self, user_id: int) -> str | None:
        """``None``: go on; else why not (``too_fast``, ``budget``), with ``quiet:`` in
        front when the user was already told in this window."""
        now = self.clock()
        rate = self.limits.rate
        if rate is not None:
            window = f"{user_id}:{int(now // rate.seconds)}"
            count = self.state.incr("tg_rate", window, ttl=rate.seconds * 2)
            if count > rate.count:
                return self._once("too_fast", window, rate.seconds)
        budget = self.limits.budget
        if budget is not None:
            window = f"{user_id}:{int(now // budget.seconds)}"
            spent = self.state.get("tg_tokens", window)
            if isinstance(spent, int) and spent >= budget.count:
                return self._once("budget", window, budget.seconds)
        return None

    def charge(self, user_id: int, tokens: int) -> None:
        budget = self.limits.budget
        if budget is None or tokens <= 0:
            return
        window = f"{user_id}:{int(self.clock() // budget.seconds)}"
        self.state.incr("tg_tokens", window, by=tokens, ttl=budget.seconds * 2)

    def _once(self, why: str, window: str, seconds: int) -> str:
        told = self.state.put_new("tg_told", f"{why}:{window}", 1, ttl=seconds * 2)
        return why if told else f"quiet:{why}"
