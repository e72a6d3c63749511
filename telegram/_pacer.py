"""Sending within Telegram's limits: one message a second per chat (twenty a minute in a
group), about thirty a second overall, two drafts a second per chat, and a pause for
everyone when Telegram answers ``429 retry_after``.

Spacing within a chat is counted from the end of the previous send there, so that however
long one request took, the next arrives at least the interval later; overall spacing is
counted between starts at 1/28 s, which keeps any one-second window at Telegram under 30
even when requests take different times to get there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

PER_CHAT_S = 1.0 + 0.02
PER_GROUP_S = 3.0 + 0.02  # twenty a minute
DRAFT_S = 0.5 + 0.02
OVERALL_S = 1 / 28
MESSAGES = "messages"
EDITS = "edits"
DRAFTS = "drafts"
_INTERVALS = {DRAFTS: DRAFT_S, EDITS: PER_CHAT_S}
_FORGET_S = 10.0


@dataclass
class _Chat:
    free_at: float = 0.0  # monotonic time the next send of this kind may start
    lock: asyncio.Lock | None = None


class Pacer:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._chats: dict[tuple[str, int], _Chat] = {}
        self._overall_at = 0.0
        self._overall = asyncio.Lock()
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Telegram said ``retry_after``: nothing is sent before it passes."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    @asynccontextmanager
    async def slot(self, kind: str, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat's slot for one send of ``kind`` (``messages``, ``edits`` or
        ``drafts``); messages and edits also take a turn of the overall pace."""
        chat = self._chats.setdefault((kind, chat_id), _Chat())
        if chat.lock is None:
            chat.lock = asyncio.Lock()
        async with chat.lock:
            await self._wait(chat.free_at)
            if kind != DRAFTS:
                await self._overall_turn()
            try:
                yield
            finally:
                group = PER_GROUP_S if chat_id < 0 else PER_CHAT_S
                chat.free_at = self.clock() + _INTERVALS.get(kind, group)
        self._forget()

    async def _overall_turn(self) -> None:
        async with self._overall:
            await self._wait(self._overall_at)
            self._overall_at = max(self.clock(), self._overall_at) + OVERALL_S

    async def _wait(self, until: float) -> None:
        while True:
            ready = max(until, self._paused_until)
            delay = ready - self.clock()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    def _forget(self) -> None:
        if len(self._chats) < 5000:
            return
        now = self.clock()
        for key in [k for k, c in self._chats.items() if c.free_at < now - _FORGET_S]:
            chat = self._chats[key]
            if chat.lock is None or not chat.lock.locked():
                del self._chats[key]
