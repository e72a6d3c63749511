"""An answer on its way to a chat, the Telegram way.

Private chats: ``sendMessageDraft`` with the text so far (at most two a second, plain
text), then the final message(s) in HTML. Groups: one message with the first words,
edited with the text so far at most once a second, and edited a last time into the final
HTML; the pieces past 4,096 characters follow as new messages. A pump task sends the
latest text whenever its slot is free, so the answer is never held up by Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Sequence

from telegram._render import draft_text
from telegram._send import Markup, Sender


class _Pump:
    """Sends the latest text with ``push`` whenever it changed and the last send ended."""

    def __init__(self) -> None:
        self.text = ""
        self._shown = ""
        self._changed = asyncio.Event()
        self._done = False
        self._task: asyncio.Task[None] | None = None

    def add(self, delta: str) -> None:
        self.text += delta
        self._changed.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def push(self, text: str) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        while not self._done:
            await self._changed.wait()
            self._changed.clear()
            text = self.text
            if self._done or not text.strip() or text == self._shown:
                continue
            await self.push(text)
            self._shown = text

    async def stop(self) -> None:
        self._done = True
        self._changed.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task


class PrivateStream(_Pump):
    def __init__(self, sender: Sender, chat_id: int) -> None:
        super().__init__()
        self.sender = sender
        self.chat_id = chat_id
        self.draft_id = random.randint(1, 2**31 - 1)  # non-zero: Telegram's rule
        self.drafts = 0

    async def push(self, text: str) -> None:
        if await self.sender.draft(self.chat_id, self.draft_id, draft_text(text)):
            self.drafts += 1

    async def finish(self, pieces: Sequence[str], markup: Markup | None = None) -> None:
        """The final message(s); ``markup`` (the 👍/👎 row) goes under the last."""
        await self.stop()
        for n, piece in enumerate(pieces, 1):
            await self.sender.message(
                self.chat_id, piece, markup=markup if n == len(pieces) else None
            )


class GroupStream(_Pump):
    def __init__(
        self, sender: Sender, chat_id: int, thread_id: int | None, reply_to: int | None
    ) -> None:
        super().__init__()
        self.sender = sender
        self.chat_id = chat_id
        self.thread_id = thread_id
        self.reply_to = reply_to
        self.message_id: int | None = None

    async def push(self, text: str) -> None:
        shown = draft_text(text)
        if self.message_id is None:
            sent = await self.sender.message(
                self.chat_id, shown, html=False, thread_id=self.thread_id,
                reply_to=self.reply_to,
            )  # fmt: skip
            self.message_id = sent.message_id
        else:
            await self.sender.edit(self.chat_id, self.message_id, shown, html=False)

    async def finish(self, pieces: Sequence[str]) -> None:
        await self.stop()
        rest = list(pieces)
        if self.message_id is not None and rest:
            await self.sender.edit(self.chat_id, self.message_id, rest.pop(0), html=True)
        for piece in rest:
            await self.sender.message(
                self.chat_id, piece, thread_id=self.thread_id, reply_to=self.reply_to
            )
