"""The hand-off desk's ports, implemented with the bot: the operators' forum group
(topics, posts) and Telegram visitors (the operators' replies)."""

from __future__ import annotations

from telegram._render import escape, split
from telegram._send import Sender

OPERATOR_MARK = "👤 "


class GroupOperators:
    def __init__(self, sender: Sender, chat_id: int) -> None:
        self.sender = sender
        self.chat_id = chat_id

    async def open_topic(self, name: str) -> int:
        return await self.sender.create_topic(self.chat_id, name[:128])

    async def post(self, topic: int, text: str) -> None:
        for piece in split(text):
            await self.sender.message(self.chat_id, escape(piece), thread_id=topic)

    async def close_topic(self, topic: int) -> None:
        await self.sender.close_topic(self.chat_id, topic)


class ChatVisitors:
    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    async def tell(self, chat_id: int, text: str, language: str) -> None:
        for piece in split(OPERATOR_MARK + text):
            await self.sender.message(chat_id, escape(piece))
