"""The Bot API methods the product uses, each a small function over the ``World``.

A handler returns the ``result`` of ``{"ok": true, "result": …}`` or raises
``BotApiError``. Names are matched case-insensitively, as the Bot API does.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from sandbox.telegram._chats import TOPIC_COLORS, Chat, Message, Topic
from sandbox.telegram._errors import bad_request
from sandbox.telegram._html import message_text, utf16_length
from sandbox.telegram._markup import check_markup
from sandbox.telegram._params import Params
from sandbox.telegram._updates import Webhook
from sandbox.telegram._world import CALLBACK_TTL_S, World

MAX_TEXT = 4096
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip

Handler = Callable[[World, Params], Awaitable[Any]]


def _loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def get_me(world: World, _: Params) -> Any:
    return {
        **world.chats.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


async def set_webhook(world: World, params: Params) -> Any:
    url = params.text("url", default="")
    drop = params.flag("drop_pending_updates")
    if not url:
        world.updates.delete_webhook(drop_pending=drop)
        return True
    if urlsplit(url).scheme not in ("http", "https") or not _loopback(url):
        # the live API wants HTTPS on 443/80/88/8443; the fake delivers only on this machine
        raise bad_request("bad webhook: the sandbox delivers only to loopback http(s) URLs")
    secret = params.text("secret_token", default="") or None
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    connections = params.integer("max_connections", default=40)
    if not 1 <= connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    world.updates.set_webhook(Webhook(url, secret, connections), drop_pending=drop)
    return True


async def delete_webhook(world: World, params: Params) -> Any:
    world.updates.delete_webhook(drop_pending=params.flag("drop_pending_updates"))
    return True


async def get_webhook_info(world: World, _: Params) -> Any:
    return world.updates.info()


async def get_updates(world: World, params: Params) -> Any:
    limit = params.integer("limit", default=100)
    if not 1 <= limit <= 100:
        limit = 100  # the live API clamps rather than refuses
    timeout = max(0, params.integer("timeout", default=0))
    return await world.updates.get(params.integer("offset", default=0), limit, timeout)


def _text(params: Params, *, empty_ok: bool = False) -> tuple[str, str, str | None]:
    """(as sent, as read, parse mode) of ``text``; 400 when empty or too long."""
    raw = params.text("text", default="")
    parse_mode = params.text("parse_mode", default="") or None
    plain = message_text(raw, parse_mode)
    if not plain.strip() and not empty_ok:
        raise bad_request("message text is empty")
    if utf16_length(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    return raw, plain, parse_mode


def _thread(chat: Chat, params: Params) -> int | None:
    thread_id = params.optional_integer("message_thread_id")
    if thread_id is None or not chat.is_forum:
        return None
    topic = chat.topics.get(thread_id)
    if topic is None:
        raise bad_request("message thread not found")
    if topic.closed:
        raise bad_request("TOPIC_CLOSED")
    return thread_id


async def send_message(world: World, params: Params) -> Any:
    chat = world.chats.find(params.chat_id())
    raw, plain, parse_mode = _text(params)
    markup = check_markup(params.json("reply_markup"), private=chat.type == "private")
    thread_id = _thread(chat, params)
    message = chat.add(
        Message(
            chat.new_id(), chat.id, True, world.chats.bot_user(), plain, int(time.time()),
            thread_id=thread_id, html=raw if parse_mode else None, reply_markup=markup,
        )
    )  # fmt: skip
    world.record("messages", chat.id)
    for key in [key for key in world.drafts if key[0] == chat.id]:
        del world.drafts[key]  # a message ends the chat's drafts
    world.chats.log(
        {
            "dir": "out", "kind": "message", "chat_id": chat.id,
            "message_id": message.message_id, "text": plain, "html": message.html,
            "parse_mode": parse_mode, "reply_markup": markup, "thread_id": thread_id,
        }
    )  # fmt: skip
    return message.wire(chat)


async def send_message_draft(world: World, params: Params) -> Any:
    chat = world.chats.find(params.chat_id())
    if chat.type != "private":
        raise bad_request("message drafts can be sent only to private chats")
    draft_id = params.integer("draft_id")
    if draft_id == 0:
        raise bad_request("draft_id must be non-zero")
    raw, plain, parse_mode = _text(params, empty_ok=True)
    world.drafts[(chat.id, draft_id)] = plain
    world.record("drafts", chat.id)
    world.chats.log(
        {
            "dir": "out", "kind": "draft", "chat_id": chat.id, "draft_id": draft_id,
            "text": plain, "html": raw if parse_mode else None, "parse_mode": parse_mode,
        }
    )  # fmt: skip
    return True


async def edit_message_text(world: World, params: Params) -> Any:
    if params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = world.chats.find(params.chat_id())
    message = chat.messages.get(params.integer("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    raw, plain, parse_mode = _text(params)
    markup = check_markup(params.json("reply_markup"), private=chat.type == "private")
    html = raw if parse_mode else None
    if plain == message.text and html == message.html and markup == message.reply_markup:
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    message.text, message.html, message.reply_markup = plain, html, markup
    message.edited = int(time.time())
    world.record("edits", chat.id)
    world.chats.log(
        {
            "dir": "out", "kind": "edit", "chat_id": chat.id,
            "message_id": message.message_id, "text": plain, "html": html,
            "parse_mode": parse_mode, "reply_markup": markup, "thread_id": message.thread_id,
        }
    )  # fmt: skip
    return message.wire(chat)


async def send_chat_action(world: World, params: Params) -> Any:
    chat = world.chats.find(params.chat_id())
    action = params.text("action")
    if action not in ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.chats.log({"dir": "out", "kind": "action", "chat_id": chat.id, "action": action})
    return True


async def answer_callback_query(world: World, params: Params) -> Any:
    query_id = params.text("callback_query_id")
    pressed = world.callbacks.get(query_id)
    if pressed is None or pressed[1] or time.monotonic() - pressed[0] > CALLBACK_TTL_S:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    world.callbacks[query_id] = (pressed[0], True)
    text = params.text("text", default="")
    world.chats.log({"dir": "out", "kind": "callback_answer", "query_id": query_id, "text": text})
    return True


def _forum(world: World, params: Params) -> Chat:
    chat = world.chats.find(params.chat_id())
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    if not chat.bot_can_manage_topics:
        raise bad_request("not enough rights to manage topics")
    return chat


async def create_forum_topic(world: World, params: Params) -> Any:
    chat = _forum(world, params)
    name = params.text("name", default="")
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
    color = params.integer("icon_color", default=TOPIC_COLORS[0])
    if color not in TOPIC_COLORS:
        raise bad_request("TOPIC_ICON_COLOR_INVALID")
    topic = Topic(chat.new_id(), name, color)  # a topic's id is its first message's id
    chat.topics[topic.thread_id] = topic
    world.chats.log(
        {"dir": "out", "kind": "topic", "chat_id": chat.id, "thread_id": topic.thread_id,
         "text": name}
    )  # fmt: skip
    return topic.wire()


async def close_forum_topic(world: World, params: Params) -> Any:
    chat = _forum(world, params)
    topic = chat.topics.get(params.integer("message_thread_id"))
    if topic is None:
        raise bad_request("message thread not found")
    if topic.closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = True
    world.chats.log(
        {"dir": "out", "kind": "topic_closed", "chat_id": chat.id, "thread_id": topic.thread_id}
    )
    return True


METHODS: dict[str, Handler] = {
    "getme": get_me,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "getupdates": get_updates,
    "sendmessage": send_message,
    "sendmessagedraft": send_message_draft,
    "editmessagetext": edit_message_text,
    "sendchataction": send_chat_action,
    "answercallbackquery": answer_callback_query,
    "createforumtopic": create_forum_topic,
    "closeforumtopic": close_forum_topic,
}
SENDS = frozenset({"sendmessage", "sendmessagedraft", "editmessagetext"})
