"""Play a Telegram user: what ``POST /_sandbox/telegram/updates`` turns into an update.

Body (one of ``text``, ``contact``, ``callback``, ``edit``, ``sticker``, ``voice``,
``update``)::

    {"user": {"id": 1001, "first_name": "Anna", "language_code": "ru"},
     "chat": -1001000000001,            # optional: a group the user writes in
     "thread_id": 5,                     # optional: a forum topic of that group
     "reply_to": 12,                     # optional: the message replied to
     "text": "How much is a membership?"}
    {"user": {...}, "contact": {"phone_number": "+79161234567"}}
    {"user": {...}, "callback": {"message_id": 7, "data": "fb:up"}}
    {"user": {...}, "edit": {"message_id": 3, "text": "new words"}}
    {"user": {...}, "sticker": true} | {"user": {...}, "voice": true}
    {"update": {...}}                    # any raw update (its update_id is assigned)
"""

from __future__ import annotations

import time
from typing import Any

from sandbox._errors import bad_request
from sandbox.telegram._chats import Chat, Message
from sandbox.telegram._world import World

_KINDS = ("text", "contact", "callback", "edit", "sticker", "voice", "update")


def _chat(world: World, body: dict[str, Any], user: dict[str, Any]) -> Chat:
    chat_id = body.get("chat")
    if chat_id is None:
        return world.chats.private(user)
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise bad_request("'chat' must be a chat id (an integer).", param="chat")
    chat = world.chats.chats.get(chat_id)
    if chat is None:
        raise bad_request(f"No chat {chat_id}; create it with POST /_sandbox/telegram/chats.")
    return chat


def _message(world: World, chat: Chat, user: dict[str, Any], body: dict[str, Any]) -> Message:
    thread_id = body.get("thread_id")
    if thread_id is not None and (not isinstance(thread_id, int) or thread_id not in chat.topics):
        raise bad_request(f"No topic {thread_id!r} in chat {chat.id}.", param="thread_id")
    text = body.get("text")
    return Message(
        chat.new_id(), chat.id, False, user, text if isinstance(text, str) else "",
        int(time.time()), thread_id=thread_id,
    )  # fmt: skip


def play(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Turn ``body`` into an update, send it to the bot; what happened."""
    kinds = [kind for kind in _KINDS if kind in body]
    if len(kinds) != 1:
        raise bad_request(f"Give exactly one of {', '.join(_KINDS)}.")
    kind = kinds[0]
    if kind == "update":
        raw = body["update"]
        if not isinstance(raw, dict) or not raw:
            raise bad_request("'update' must be an update object.", param="update")
        update = world.updates.push({k: v for k, v in raw.items() if k != "update_id"})
        world.chats.log({"dir": "in", "kind": "raw", "update_id": update["update_id"]})
        return {"update_id": update["update_id"], "delivery": _delivery(world)}
    spec = body.get("user")
    if not isinstance(spec, dict):
        raise bad_request("'user' must be an object with an integer 'id'.", param="user")
    user = world.chats.user(spec)
    chat = _chat(world, body, user)
    if kind == "callback":
        return _callback(world, chat, user, body["callback"])
    if kind == "edit":
        return _edit(world, chat, user, body["edit"])
    if kind == "text" and (not isinstance(body["text"], str) or not body["text"]):
        raise bad_request("'text' must be a non-empty string.", param="text")
    message = _message(world, chat, user, body)
    wire = message.wire(chat)
    text = message.text
    if kind == "contact":
        contact = body["contact"]
        phone = contact.get("phone_number") if isinstance(contact, dict) else None
        if not isinstance(phone, str) or not phone:
            raise bad_request("'contact' needs a phone_number.", param="contact")
        wire["contact"] = {
            "phone_number": phone, "first_name": user.get("first_name", "Visitor"),
            "user_id": user["id"],
        }  # fmt: skip
        text = phone
    elif kind == "sticker":
        wire["sticker"] = {
            "file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgADsticker", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        }  # fmt: skip
    elif kind == "voice":
        wire["voice"] = {
            "file_id": "AwACAgIAAxkBAAE", "file_unique_id": "AgADvoice", "duration": 2,
            "mime_type": "audio/ogg",
        }  # fmt: skip
    reply_to = body.get("reply_to")
    if isinstance(reply_to, int) and reply_to in chat.messages:
        wire["reply_to_message"] = chat.messages[reply_to].wire(chat)
    chat.add(message)
    update = world.updates.push({"message": wire})
    world.chats.log(
        {
            "dir": "in", "kind": kind if kind != "text" else "message", "chat_id": chat.id,
            "user_id": user["id"], "message_id": message.message_id, "text": text,
            "thread_id": message.thread_id, "update_id": update["update_id"],
        }
    )  # fmt: skip
    return {
        "update_id": update["update_id"],
        "message_id": message.message_id,
        "chat_id": chat.id,
        "delivery": _delivery(world),
    }


def _callback(world: World, chat: Chat, user: dict[str, Any], spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("data"), str):
        raise bad_request("'callback' needs 'data' and 'message_id'.", param="callback")
    message = chat.messages.get(spec.get("message_id", -1))
    if message is None or not message.from_bot:
        raise bad_request("'callback.message_id' must be one of the bot's messages here.")
    query_id = world.new_callback()
    update = world.updates.push(
        {
            "callback_query": {
                "id": query_id, "from": user, "message": message.wire(chat),
                "chat_instance": str(chat.id), "data": spec["data"],
            }
        }
    )  # fmt: skip
    world.chats.log(
        {
            "dir": "in", "kind": "callback", "chat_id": chat.id, "user_id": user["id"],
            "message_id": message.message_id, "text": spec["data"], "query_id": query_id,
            "update_id": update["update_id"],
        }
    )  # fmt: skip
    return {"update_id": update["update_id"], "query_id": query_id, "delivery": _delivery(world)}


def _edit(world: World, chat: Chat, user: dict[str, Any], spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("text"), str):
        raise bad_request("'edit' needs 'message_id' and 'text'.", param="edit")
    message = chat.messages.get(spec.get("message_id", -1))
    if message is None or message.from_bot or message.user["id"] != user["id"]:
        raise bad_request("'edit.message_id' must be one of this user's messages here.")
    message.text = spec["text"]
    message.edited = int(time.time())
    update = world.updates.push({"edited_message": message.wire(chat)})
    world.chats.log(
        {
            "dir": "in", "kind": "edited", "chat_id": chat.id, "user_id": user["id"],
            "message_id": message.message_id, "text": message.text,
            "update_id": update["update_id"],
        }
    )  # fmt: skip
    return {"update_id": update["update_id"], "delivery": _delivery(world)}


def _delivery(world: World) -> str:
    return "webhook" if world.updates.webhook is not None else "getUpdates"
