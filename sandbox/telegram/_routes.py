"""The routes: the Bot API at ``/telegram/bot<token>/<method>``, and the fake's control
surface and page under ``/_sandbox/telegram/`` (loopback only, like every control route)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from litestar import Request, Response, get, post, route

from sandbox._errors import bad_request as control_error
from sandbox._faults import Fault
from sandbox._http import json_body, ok
from sandbox.telegram._chats import Chat
from sandbox.telegram._errors import BotApiError, not_found
from sandbox.telegram._methods import METHODS
from sandbox.telegram._page import page_asset
from sandbox.telegram._params import Params, read_params
from sandbox.telegram._play import play
from sandbox.telegram._world import parse_telegram_faults, world_of

_TOKEN = re.compile(r"bot([0-9]{1,20}):[A-Za-z0-9_-]{20,}")
_HANG_S = 60.0
_LOGGED = 2000  # characters of a logged parameter


def _envelope(error: BotApiError) -> Response[Any]:
    return Response(error.body(), status_code=error.code, media_type="application/json")


def _logged(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[:_LOGGED] if isinstance(v, str) else v) for k, v in values.items()}


@route("/telegram/{bot:str}/{method:str}", http_method=["GET", "POST"])
async def bot_api(request: Request[Any, Any, Any], bot: str, method: str) -> Response[Any]:
    world = world_of(request)
    match = _TOKEN.fullmatch(bot)
    handler = METHODS.get(method.lower())
    if match is None or handler is None:
        return _envelope(not_found())
    world.chats.bot_id = int(match.group(1))
    world.counts[f"{request.method} /telegram/bot{{token}}/{method}"] += 1
    try:
        values = await read_params(request)
        world.log.append({"method": method, "params": _logged(values), "at": time.time()})
        config = world.faults.config
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        fault = world.pick(method)
        if fault is Fault.TIMEOUT:
            await asyncio.sleep(_HANG_S)  # the client gives up first
        if fault is not None:
            raise world.refusal(fault)
        result = await handler(world, Params(values))
    except BotApiError as error:
        return _envelope(error)
    return ok({"ok": True, "result": result})


@post("/_sandbox/telegram/updates")
async def updates(request: Request[Any, Any, Any]) -> Response[Any]:
    """Play a user: a message, a contact, a button press (see ``_play``)."""
    world = world_of(request)
    try:
        return ok(play(world, await json_body(request)))
    except BotApiError as error:
        raise control_error(error.description) from None


@get("/_sandbox/telegram/sent")
async def sent(request: Request[Any, Any, Any]) -> Response[Any]:
    """What the bot sent (messages, drafts, edits, topics, actions), oldest first;
    ``?after=N`` for those after event N, ``?chat_id=`` for one chat; with the send
    rates counted so far."""
    world = world_of(request)
    after = _int_query(request, "after", 0)
    chat = request.query_params.get("chat_id")
    entries = [
        e
        for e in world.chats.since(after)
        if e["dir"] == "out" and (chat is None or str(e.get("chat_id")) == chat)
    ]
    return ok({"sent": entries, "last": world.chats.next_event - 1, "rates": world.rates.public()})


@get("/_sandbox/telegram/timeline")
async def timeline(request: Request[Any, Any, Any]) -> Response[Any]:
    """Both directions (for the page): ``?after=N``."""
    world = world_of(request)
    entries = world.chats.since(_int_query(request, "after", 0))
    chats = [chat.wire() for chat in world.chats.chats.values()]
    topics = {
        str(chat.id): [{**t.wire(), "closed": t.closed} for t in chat.topics.values()]
        for chat in world.chats.chats.values()
        if chat.is_forum
    }
    drafts = [{"chat_id": c, "draft_id": d, "text": t} for (c, d), t in world.drafts.items()]
    return ok(
        {"events": entries, "last": world.chats.next_event - 1, "chats": chats,
         "topics": topics, "drafts": drafts, "webhook": world.updates.info()}
    )  # fmt: skip


@post("/_sandbox/telegram/chats")
async def chats(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create or change a group: ``{"id": -100…, "title", "is_forum", "can_manage_topics"}``."""
    body = await json_body(request)
    chat_id = body.get("id")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int) or chat_id >= 0:
        raise control_error("'id' must be a negative integer (a group's id).", param="id")
    world = world_of(request)
    chat = world.chats.chats.setdefault(chat_id, Chat(chat_id, "supergroup"))
    chat.title = str(body.get("title", chat.title or "Group"))
    chat.is_forum = bool(body.get("is_forum", chat.is_forum))
    chat.bot_can_manage_topics = bool(body.get("can_manage_topics", chat.bot_can_manage_topics))
    return ok(chat.wire())


@get("/_sandbox/telegram/faults")
async def get_faults(request: Request[Any, Any, Any]) -> Response[Any]:
    return ok(world_of(request).faults.public())


@post("/_sandbox/telegram/faults")
async def set_faults(request: Request[Any, Any, Any]) -> Response[Any]:
    """The shared fault settings for Bot API calls, plus ``methods`` to aim them:
    ``{"rate": 1, "kinds": ["429"], "methods": ["sendMessage"], "retry_after_ms": 2000}``."""
    faults = parse_telegram_faults(await json_body(request))
    world_of(request).configure(faults)
    return ok(faults.public())


@get("/_sandbox/telegram/stats")
async def stats(request: Request[Any, Any, Any]) -> Response[Any]:
    world = world_of(request)
    return ok(
        {"total": sum(world.counts.values()), "requests": dict(world.counts),
         "rates": world.rates.public(), "webhook": world.updates.info()}
    )  # fmt: skip


@get("/_sandbox/telegram/requests")
async def requests(request: Request[Any, Any, Any]) -> Response[Any]:
    log = world_of(request).log
    limit = _int_query(request, "limit", len(log))
    return ok({"requests": list(log)[-limit:] if limit else []})


@get("/_sandbox/telegram/{name:str}")
async def page(name: str) -> Response[Any]:
    return page_asset(name)


@get("/_sandbox/telegram/", name="telegram_page_index")
async def page_index() -> Response[Any]:
    return page_asset("index.html")


def _int_query(request: Request[Any, Any, Any], name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        raise control_error(f"'{name}' must be an integer.", param=name) from None


ROUTES: list[Any] = [
    bot_api, updates, sent, timeline, chats, get_faults, set_faults, stats, requests,
    page_index, page,
]  # fmt: skip
