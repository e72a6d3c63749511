"""``POST /api/handoff`` and ``GET /api/handoff``: a widget visitor asks for a person, then
reads the operators' replies.

``POST {"conversation": token, "message"?}`` → ``202 {"status": "human"}`` once the
conversation has its topic in the operators' forum group (the message, when given, goes
there too), or ``409 handoff_closed`` outside ``handoff.hours`` (the widget offers the
lead form). ``GET ?conversation=<token>&after=<n>`` → ``{"status": "human"|"bot",
"messages": [{"n", "text", "at"}]}``, polled by the widget while the status is ``human``.
The desk (``handoff``) comes with the Telegram bot that ``kbsync`` plugs in; without it
both answer ``404 handoff_off``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Request, Response, get, post

from answer import UpstreamError
from handoff import Busy, Closed, Desk, web_key
from relay import _log
from relay._admission import origin_allowed, read_json
from relay._errors import InvalidToken, refuse
from relay._runtime import Runtime, runtime_of
from relay._telegram_webhook import channel_of

MAX_HANDOFF_MESSAGE = 2000
TRANSCRIPT_WAIT_S = 5.0
POLL_AFTER_MAX = 1 << 31


def _desk(request: Request[Any, Any, Any]) -> Desk | None:
    channel = channel_of(request)
    return channel.desk if channel is not None else None


def _off() -> Response[Any]:
    return refuse(404, "handoff_off", "Talking to a person is not set up on this relay.")


async def _admit(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any] | None:
    if not origin_allowed(request, runtime):
        return refuse(403, "origin_not_allowed", "This origin may not use the chat.")
    limits = runtime.limits
    refused = await limits.check("handoff:" + limits.client(request))
    return refused.response() if refused is not None else None


def _conversation(runtime: Runtime, token: Any) -> str | Response[Any]:
    spec = runtime.spec.spec
    if spec is None:
        return refuse(503, "not_ready", "The assistant is starting; try again.", retry_after=5)
    if not isinstance(token, str) or not token:
        return refuse(400, "invalid_body", '"conversation" must be the conversation token.')
    try:
        claims = runtime.signer.verify(spec.name, token, check_turns=False)
    except InvalidToken as exc:
        return refuse(400, exc.code, str(exc))
    return claims.conversation_id


async def _said(runtime: Runtime, conversation_id: str) -> list[tuple[str, str]]:
    """What was said so far, for the operators; nothing when upstream cannot say in time."""
    upstream = runtime.upstream
    if upstream is None:
        return []
    try:
        return await asyncio.wait_for(upstream.said(conversation_id), TRANSCRIPT_WAIT_S)
    except (UpstreamError, TimeoutError) as exc:
        _log.event(logging.WARNING, "handoff_transcript_missing", error=type(exc).__name__)
        return []


@post("/api/handoff", status_code=202, summary="Ask for a person → 202 (409 outside hours)")
async def handoff_post(request: Request[Any, Any, Any]) -> Response[Any]:
    runtime = runtime_of(request)
    desk = _desk(request)
    spec = runtime.spec.spec
    if desk is None or (spec is not None and spec.handoff is None):
        return _off()
    data = await read_json(request, runtime)
    if isinstance(data, Response):
        return data
    if (refused := await _admit(request, runtime)) is not None:
        return refused
    if not isinstance(data, dict):
        return refuse(400, "invalid_body", 'The body must be a JSON object like {"conversation"}.')
    message = data.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_HANDOFF_MESSAGE):
        return refuse(
            400,
            "invalid_body",
            f'"message" must be text of at most {MAX_HANDOFF_MESSAGE} characters.',
        )
    conversation = _conversation(runtime, data.get("conversation"))
    if isinstance(conversation, Response):
        return conversation
    spec = runtime.spec.spec
    if spec is None or spec.handoff is None:
        return _off()
    key = web_key(conversation)
    transcript = await _said(runtime, conversation) if desk.thread(key) is None else []
    if message:
        transcript.append(("user", message))
    opened = await desk.request(
        spec.handoff, key, channel="web", visitor=f"Visitor {conversation[-6:]}",
        language="en", transcript=transcript,
    )  # fmt: skip
    if isinstance(opened, Closed):
        return Response(
            {
                "error": {
                    "code": "handoff_closed",
                    "message": f"Nobody is available now (we are here {opened.hours}); "
                    "leave a request and we will get back to you.",
                    "hours": opened.hours,
                }
            },
            status_code=409,
            media_type="application/json",
        )
    if not isinstance(opened, Busy) and opened.new:
        _log.event(logging.INFO, "handoff", channel="web", kb_name=spec.name)
    elif message:
        await desk.visitor_said(key, message)
    return Response({"status": "human"}, status_code=202, media_type="application/json")


@get("/api/handoff", summary="The operators' replies: ?conversation=<token>&after=<n>")
async def handoff_get(request: Request[Any, Any, Any]) -> Response[Any]:
    runtime = runtime_of(request)
    desk = _desk(request)
    if desk is None:
        return _off()
    if (refused := await _admit(request, runtime)) is not None:
        return refused
    conversation = _conversation(runtime, request.query_params.get("conversation"))
    if isinstance(conversation, Response):
        return conversation
    raw_after = request.query_params.get("after", "0")
    if not raw_after.isdigit() or int(raw_after) >= POLL_AFTER_MAX:
        return refuse(
            400, "bad_request", '"after" must be the number of the last reply seen (0 at first).'
        )
    status = desk.status(web_key(conversation), int(raw_after))
    return Response(status.public(), status_code=200, media_type="application/json")
