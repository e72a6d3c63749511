"""Hand-off threads in ``state``: which conversation is with a person, in which topic of
the operators' group, and what the operators said (numbered, for the widget's polling).

Every record expires with the thread (24 h), so a forgotten hand-off goes back to the bot
by itself, and nothing a visitor or an operator wrote outlives it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from state import State

THREAD_TTL_S = 24 * 3600.0
_THREADS = "handoff"  # conversation key -> Thread
_TOPICS = "handoff_topic"  # topic id -> conversation key
_REPLIES = "handoff_replies"  # conversation key -> [{"text", "at"}]


@dataclass(frozen=True)
class Thread:
    conversation: str  # "web:<conversation id>" or "tg:<chat id>"
    channel: str  # web | telegram
    topic: int  # the forum topic (message_thread_id) in the operators' group
    opened_at: float  # unix seconds
    language: str = "en"
    chat_id: int | None = None  # a Telegram visitor's chat


@dataclass(frozen=True)
class Reply:
    n: int
    text: str
    at: str  # ISO 8601 UTC

    def public(self) -> dict[str, Any]:
        return {"n": self.n, "text": self.text, "at": self.at}


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class Threads:
    """The threads of one state store (``state.open_state()``)."""

    def __init__(self, state: State, *, ttl: float = THREAD_TTL_S) -> None:
        self.state = state
        self.ttl = ttl

    def get(self, conversation: str, *, now: float | None = None) -> Thread | None:
        raw = self.state.get(_THREADS, conversation)
        if not isinstance(raw, dict):
            return None
        thread = Thread(**raw)
        if (now if now is not None else time.time()) - thread.opened_at >= self.ttl:
            return None
        return thread

    def by_topic(self, topic: int) -> Thread | None:
        conversation = self.state.get(_TOPICS, str(topic))
        if not isinstance(conversation, str):
            return None
        thread = self.get(conversation)
        return thread if thread is not None and thread.topic == topic else None

    def claim(self, conversation: str) -> bool:
        """One opener per conversation: ``False`` when another request is opening it."""
        return self.state.put_new(_THREADS + "_opening", conversation, 1, ttl=60)

    def release(self, conversation: str) -> None:
        self.state.delete(_THREADS + "_opening", conversation)

    def open(self, thread: Thread) -> None:
        self.state.put(_THREADS, thread.conversation, asdict(thread), ttl=self.ttl)
        self.state.put(_TOPICS, str(thread.topic), thread.conversation, ttl=self.ttl)

    def close(self, thread: Thread) -> None:
        self.state.delete(_THREADS, thread.conversation)
        self.state.delete(_TOPICS, str(thread.topic))

    def add_reply(self, conversation: str, text: str, *, now: float | None = None) -> Reply:
        at = _iso(now if now is not None else time.time())
        n = self.state.append(_REPLIES, conversation, {"text": text, "at": at}, ttl=self.ttl)
        return Reply(n, text, at)

    def replies(self, conversation: str, after: int) -> list[Reply]:
        out: list[Reply] = []
        for n, item in self.state.since(_REPLIES, conversation, after):
            if isinstance(item, dict):
                out.append(Reply(n, str(item.get("text", "")), str(item.get("at", ""))))
        return out
