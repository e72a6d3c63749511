"""The hand-off engine: a conversation handed to people in a Telegram forum group.

Both channels use it — the web relay (``POST``/``GET /api/handoff``, the model's
``request_handoff``) and the bot (``/operator``, the operators' topic messages) — and
neither imports the other: the bot implements the ``Operators`` and ``Visitors`` ports,
and ``kbsync`` hands the relay a desk built on them.

>>> desk = Desk(Threads(open_state()), operators, chat_id=-1001234567890)
>>> opened = await desk.request(spec.handoff, "web:conv_1", channel="web",
...                             visitor="Anna", language="en")
>>> desk.status("web:conv_1", after=0).public()
{'status': 'human', 'messages': []}
"""

from __future__ import annotations

from handoff._desk import Busy, Closed, Desk, Opened, Operators, Status, Visitors
from handoff._threads import THREAD_TTL_S, Reply, Thread, Threads

__all__ = [
    "THREAD_TTL_S",
    "Busy",
    "Closed",
    "Desk",
    "Opened",
    "Operators",
    "Reply",
    "Status",
    "Thread",
    "Threads",
    "Visitors",
]


def web_key(conversation_id: str) -> str:
    """The desk's key for a widget conversation."""
    return f"web:{conversation_id}"


def telegram_key(chat_id: int) -> str:
    """The desk's key for a Telegram chat."""
    return f"tg:{chat_id}"


__all__ += ["telegram_key", "web_key"]
