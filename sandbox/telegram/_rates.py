"""What the bot sent, counted per second: per chat and in total, for each kind of send.

Telegram's published guidance (its bot FAQ) is about one message a second in a chat,
about thirty a second overall and twenty a minute in one group; past that it answers
429. The fake does not refuse (429s come from the fault settings); it records the
highest count seen in any one-second window (and any minute, per group) so a test or a
benchmark can prove the bot kept under the limits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

WINDOW_S = 1.0
GROUP_WINDOW_S = 60.0


@dataclass
class _Meter:
    per_chat: dict[int, deque[float]] = field(default_factory=dict)
    per_group_minute: dict[int, deque[float]] = field(default_factory=dict)
    overall: deque[float] = field(default_factory=deque)
    total: int = 0
    max_per_chat: int = 0
    max_overall: int = 0
    max_per_group_minute: int = 0

    def record(self, chat_id: int, now: float) -> None:
        self.total += 1
        self.max_per_chat = max(self.max_per_chat, _count(self.per_chat, chat_id, now, WINDOW_S))
        self.max_overall = max(self.max_overall, _push(self.overall, now, WINDOW_S))
        if chat_id < 0:
            self.max_per_group_minute = max(
                self.max_per_group_minute,
                _count(self.per_group_minute, chat_id, now, GROUP_WINDOW_S),
            )

    def public(self) -> dict[str, int]:
        return {
            "total": self.total,
            "max_per_chat_1s": self.max_per_chat,
            "max_overall_1s": self.max_overall,
            "max_per_group_60s": self.max_per_group_minute,
        }


def _push(times: deque[float], now: float, window: float) -> int:
    """Add ``now``; the number of sends in the window ending at ``now`` (half-open)."""
    times.append(now)
    while times and times[0] <= now - window:
        times.popleft()
    return len(times)


def _count(table: dict[int, deque[float]], chat_id: int, now: float, window: float) -> int:
    times = table.setdefault(chat_id, deque())
    count = _push(times, now, window)
    if len(table) > 10_000:  # forget quiet chats so a long run stays small
        for quiet in [c for c, t in table.items() if not t or t[-1] <= now - window]:
            del table[quiet]
    return count


@dataclass
class Rates:
    """One meter per kind: ``messages`` (sendMessage), ``drafts``, ``edits``."""

    meters: dict[str, _Meter] = field(default_factory=dict)

    def record(self, kind: str, chat_id: int, now: float) -> None:
        self.meters.setdefault(kind, _Meter()).record(chat_id, now)

    def public(self) -> dict[str, Any]:
        return {kind: self.meters.get(kind, _Meter()).public() for kind in KINDS}


KINDS = ("messages", "drafts", "edits")
