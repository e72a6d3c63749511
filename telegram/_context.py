"""What every handler works with: the sender, the chats, the assistant, the desk, the
outbox; and one lock per chat, so a chat's messages are answered one after another."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from handoff import Desk
from leads import Outbox
from telegram._assistant import Current
from telegram._chats import Chats
from telegram._config import TelegramConfig
from telegram._send import Sender

_MAX_LOCKS = 10_000


@dataclass
class BotContext:
    config: TelegramConfig
    sender: Sender
    chats: Chats
    current: Current
    desk: Desk | None
    outbox_path: Path
    username: str = ""  # the bot's @username, from getMe (for mentions in groups)
    _outbox: Outbox | None = None
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    def lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            if len(self._locks) >= _MAX_LOCKS:
                for key in [k for k, v in self._locks.items() if not v.locked()]:
                    del self._locks[key]
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox(self.outbox_path)
        return self._outbox
