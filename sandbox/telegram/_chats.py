"""The fake's Telegram: users, chats (private ones and forum groups), their messages and
topics, and the timeline of everything that went in (played by a person or a test) and
out (sent by the bot)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sandbox.telegram._errors import bad_request

# the operators' forum group that exists from the start (``kbsync dev`` points the bot at it)
OPERATORS_CHAT_ID = -1001000000001
TIMELINE_SIZE = 100_000
TOPIC_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
BOT_NAME = "Sandbox Assistant"
BOT_USERNAME = "kbsync_sandbox_bot"


@dataclass
class Message:
    message_id: int
    chat_id: int
    from_bot: bool
    user: dict[str, Any]
    text: str
    date: int
    thread_id: int | None = None
    html: str | None = None
    reply_markup: Any = None
    edited: int = 0

    def wire(self, chat: Chat) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.user,
            "chat": chat.wire(),
            "date": self.date,
        }
        if self.thread_id is not None:
            out["message_thread_id"] = self.thread_id
            out["is_topic_message"] = True
        if self.text:
            out["text"] = self.text
            if self.text.startswith("/"):
                command = self.text.split(maxsplit=1)[0]
                out["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if isinstance(self.reply_markup, dict) and "inline_keyboard" in self.reply_markup:
            # a Message carries only an inline keyboard; a reply keyboard is not echoed
            out["reply_markup"] = self.reply_markup
        if self.edited:
            out["edit_date"] = self.edited
        return out


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    closed: bool = False

    def wire(self) -> dict[str, Any]:
        return {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False
    bot_can_manage_topics: bool = False
    messages: dict[int, Message] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    next_message_id: int = 1

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.first_name or "Visitor"
            if self.username:
                out["username"] = self.username
        else:
            out["title"] = self.title or "Group"
            if self.is_forum:
                out["is_forum"] = True
        return out

    def add(self, message: Message) -> Message:
        self.messages[message.message_id] = message
        if len(self.messages) > 5_000:  # a long run keeps the recent ones
            del self.messages[min(self.messages)]
        return message

    def new_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class Chats:
    bot_id: int = 7000000001
    chats: dict[int, Chat] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    timeline: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=TIMELINE_SIZE))
    next_event: int = 1

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.chats.clear()
        self.users.clear()
        self.timeline.clear()
        self.next_event = 1
        self.chats[OPERATORS_CHAT_ID] = Chat(
            OPERATORS_CHAT_ID, "supergroup", title="Operators", is_forum=True,
            bot_can_manage_topics=True,
        )  # fmt: skip

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_NAME,
            "username": BOT_USERNAME,
        }

    def user(self, spec: dict[str, Any]) -> dict[str, Any]:
        """The user a control call plays (created on first use)."""
        user_id = spec.get("id")
        if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
            raise bad_request("user.id must be a positive integer")
        known = self.users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "Visitor"})
        for key in ("first_name", "last_name", "username", "language_code"):
            if isinstance(spec.get(key), str):
                known[key] = spec[key]
        self.users[user_id] = known
        return known

    def private(self, user: dict[str, Any]) -> Chat:
        chat = self.chats.get(user["id"])
        if chat is None:
            chat = Chat(
                user["id"], "private", first_name=user.get("first_name"),
                username=user.get("username"),
            )  # fmt: skip
            self.chats[chat.id] = chat
        return chat

    def find(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def log(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry = {"n": self.next_event, "at": time.time(), **entry}
        self.next_event += 1
        self.timeline.append(entry)
        return entry

    def since(self, after: int) -> list[dict[str, Any]]:
        return [entry for entry in self.timeline if entry["n"] > after]
