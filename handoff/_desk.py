"""The hand-off desk: opens a topic per conversation in the operators' forum group, carries
the visitor's messages there and the operators' replies back, until ``/done`` or 24 h.

The desk decides; the channels render. It talks to Telegram only through the
``Operators`` port (the bot implements it) and tells a Telegram visitor through
``Visitors``; a widget visitor polls ``replies``. A message counts as an operator's only
when it comes from the operators' group itself, inside a topic the desk opened: a message
from any other chat never reaches a visitor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from handoff._text import intro, topic_name
from handoff._threads import Reply, Thread, Threads
from kbcore.business import Handoff


class Operators(Protocol):
    """The operators' forum group, as the bot reaches it."""

    async def open_topic(self, name: str) -> int: ...

    async def post(self, topic: int, text: str) -> None: ...

    async def close_topic(self, topic: int) -> None: ...


class Visitors(Protocol):
    """Telegram visitors, as the bot reaches them."""

    async def tell(self, chat_id: int, text: str, language: str) -> None: ...


@dataclass(frozen=True)
class Opened:
    thread: Thread
    new: bool  # False: the conversation was already with a person


@dataclass(frozen=True)
class Closed:
    """Outside ``handoff.hours``: nobody is there; offer the lead form instead."""

    hours: str


@dataclass(frozen=True)
class Busy:
    """Another request is opening this conversation's topic right now."""


@dataclass(frozen=True)
class Status:
    status: str  # human | bot
    replies: list[Reply]

    def public(self) -> dict[str, object]:
        return {"status": self.status, "messages": [r.public() for r in self.replies]}


class Desk:
    def __init__(
        self,
        threads: Threads,
        operators: Operators,
        chat_id: int,
        visitors: Visitors | None = None,
    ) -> None:
        self.threads = threads
        self.operators = operators
        self.chat_id = chat_id  # HANDOFF_TELEGRAM_CHAT_ID
        self.visitors = visitors

    async def request(
        self,
        settings: Handoff,
        conversation: str,
        *,
        channel: str,
        visitor: str,
        language: str,
        transcript: Sequence[tuple[str, str]] = (),
        lead: str | None = None,
        reason: str | None = None,
        chat_id: int | None = None,
        now: datetime | None = None,
    ) -> Opened | Closed | Busy:
        """Hand ``conversation`` to a person: a new topic with what was said so far, or
        the open one; ``Closed`` outside the opening hours."""
        moment = now or datetime.now(UTC)
        existing = self.threads.get(conversation)
        if existing is not None:
            return Opened(existing, new=False)
        if not settings.is_open(moment):
            return Closed(settings.hours.text if settings.hours else "")
        if not self.threads.claim(conversation):
            return Busy()
        try:
            topic = await self.operators.open_topic(topic_name(visitor, channel))
            thread = Thread(conversation, channel, topic, moment.timestamp(), language, chat_id)
            self.threads.open(thread)
        finally:
            self.threads.release(conversation)
        for text in intro(visitor, channel, transcript, lead, reason):
            await self.operators.post(topic, text)
        return Opened(thread, new=True)

    def thread(self, conversation: str) -> Thread | None:
        return self.threads.get(conversation)

    async def visitor_said(self, conversation: str, text: str) -> bool:
        """Carry a visitor's message to the topic; ``False`` when no person has it."""
        thread = self.threads.get(conversation)
        if thread is None:
            return False
        await self.operators.post(thread.topic, text)
        return True

    async def operator_said(
        self, chat_id: int, topic: int | None, text: str, *, from_bot: bool = False
    ) -> Thread | None:
        """An operator's message: to the visitor when it is in one of the desk's topics
        of the operators' group; ``None`` (and nothing sent) otherwise."""
        if chat_id != self.chat_id or topic is None or from_bot or not text.strip():
            return None
        thread = self.threads.by_topic(topic)
        if thread is None:
            return None
        if text.strip().split("@", 1)[0] == "/done":
            await self.finish(thread)
            return thread
        self.threads.add_reply(thread.conversation, text)
        if thread.chat_id is not None and self.visitors is not None:
            await self.visitors.tell(thread.chat_id, text, thread.language)
        return thread

    async def finish(self, thread: Thread) -> None:
        """``/done``: the conversation goes back to the bot; the topic is closed."""
        self.threads.close(thread)
        await self.operators.close_topic(thread.topic)

    def status(self, conversation: str, after: int) -> Status:
        thread = self.threads.get(conversation)
        return Status(
            "human" if thread is not None else "bot",
            self.threads.replies(conversation, after),
        )
