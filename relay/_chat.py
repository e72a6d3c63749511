"""``POST /api/chat``: check the request, then stream the answer as SSE.

Checks run in a fixed order, each with its own status: content type (415), body size
(413), JSON shape (400), message length (400), origin (403), rate limit (429), readiness
(503), conversation token (400), concurrent streams (503). Before the stream starts every
failure is plain JSON ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.response import Stream

from kbcore.kb import AssistantSpec
from relay._errors import InvalidToken, UpstreamError, VectorStoreGone, refuse
from relay._runtime import Runtime, runtime_of
from relay._sse import HEADERS, AnswerStream, Outcome
from relay._upstream import Upstream


@dataclass(frozen=True)
class ChatRequest:
    message: str
    conversation: str | None


async def _read_body(request: Request[Any, Any, Any], cap: int) -> bytes | None:
    """The body, or ``None`` as soon as it is known to be longer than ``cap`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> ChatRequest | str:
    """The request, or a sentence saying what is wrong with its shape."""
    try:
        data = json.loads(body)
    except ValueError:  # bad JSON or bad UTF-8
        return "The body is not valid JSON."
    if not isinstance(data, dict):
        return 'The body must be a JSON object like {"message": "..."}.'
    message = data.get("message")
    if not isinstance(message, str):
        return 'The body needs "message" as a string.'
    try:
        message.encode()
    except UnicodeEncodeError:  # a lone surrogate escape such as "\ud800": not text
        return 'The "message" is not valid Unicode text (it holds a lone surrogate).'
    conversation = data.get("conversation")
    if conversation is not None and not isinstance(conversation, str):
        return '"conversation" must be a string (the token from the conversation event) or null.'
    return ChatRequest(message, conversation or None)


def origin_allowed(request: Request[Any, Any, Any], runtime: Runtime) -> bool:
    origin = request.headers.get("origin")
    if origin is None or runtime.config.any_origin:
        return True  # not a browser cross-origin request (curl, server to server)
    origin = origin.strip().rstrip("/").lower()
    if origin in runtime.config.allowed_origins:
        return True
    # Same origin (the demo page, or the widget served by the relay itself).
    host = (request.headers.get("host") or "").lower()
    return bool(host) and urlsplit(origin).netloc == host


@dataclass(frozen=True)
class _Admitted:
    """A request that passed every check and holds a stream slot."""

    message: str
    conversation_id: str | None
    spec: AssistantSpec
    vector_store_id: str
    upstream: Upstream


async def _admit(
    request: Request[Any, Any, Any], runtime: Runtime, access: dict[str, Any]
) -> _Admitted | Response[Any]:
    config = runtime.config
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return refuse(415, "unsupported_media_type", "Send the body as application/json.")
    body = await _read_body(request, config.max_body_bytes)
    if body is None:
        return refuse(
            413, "body_too_large", f"The body is larger than {config.max_body_bytes} bytes."
        )
    parsed = _parse(body)
    if isinstance(parsed, str):
        return refuse(400, "invalid_body", parsed)
    message = parsed.message.strip()
    if not message:
        return refuse(400, "empty_message", "The message is empty.")
    if len(message) > config.max_message_chars:
        return refuse(
            400,
            "message_too_long",
            f"The message is longer than {config.max_message_chars} characters.",
        )
    if config.log_messages:
        access["message"] = message
    if not origin_allowed(request, runtime):
        return refuse(403, "origin_not_allowed", "This origin may not use the chat.")
    if runtime.limiter is not None:
        store = request.app.stores.get(runtime.limiter.config.store)
        retry_after = await runtime.limiter.hit(request, store)
        if retry_after is not None:
            runtime.metrics.rate_limited += 1
            return refuse(
                429,
                "rate_limited",
                f"Too many messages; the limit is {config.rate_limit}. Try again later.",
                retry_after=retry_after,
            )
    spec, vector_store_id, upstream = (
        runtime.spec.spec,
        runtime.vector_store_id,
        runtime.upstream,
    )
    if spec is None or vector_store_id is None or upstream is None:
        return refuse(503, "not_ready", "The assistant is starting; try again.", retry_after=5)
    conversation_id: str | None = None
    if parsed.conversation:
        try:
            conversation_id = runtime.signer.verify(spec.name, parsed.conversation)
        except InvalidToken as exc:
            return refuse(400, "invalid_conversation", str(exc))
    if not runtime.slots.acquire():
        return refuse(
            503,
            "at_capacity",
            "The assistant is answering too many people; try again.",
            retry_after=2,
        )
    runtime.metrics.open_streams = runtime.slots.open
    return _Admitted(message, conversation_id, spec, vector_store_id, upstream)


@post("/api/chat", status_code=200, summary="Ask the assistant; answers as text/event-stream")
async def chat(request: Request[Any, Any, Any]) -> Response[Any]:
    started = asyncio.get_running_loop().time()
    runtime = runtime_of(request)
    access: dict[str, Any] = request.scope["state"].setdefault("relay_access", {})
    admitted = await _admit(request, runtime, access)
    if isinstance(admitted, Response):
        return admitted
    spec, upstream, vector_store_id = admitted.spec, admitted.upstream, admitted.vector_store_id
    try:
        conversation_id = admitted.conversation_id or await upstream.create_conversation(spec.name)
        answer = await upstream.open_answer(
            spec, vector_store_id, conversation_id, admitted.message
        )
    except BaseException as exc:
        _release(runtime)
        if not isinstance(exc, UpstreamError):
            raise
        if isinstance(exc, VectorStoreGone):
            runtime.forget_vector_store()
        runtime.metrics.upstream_errors[exc.code] += 1
        access["upstream_error"] = exc.code
        return refuse(exc.status, exc.code, str(exc), retry_after=exc.retry_after)

    def on_end(outcome: Outcome) -> None:
        _release(runtime)
        runtime.metrics.streams[outcome.result] += 1
        if outcome.error_code is not None and outcome.error_code != "relay_error":
            runtime.metrics.upstream_errors[outcome.error_code] += 1
        if outcome.first_delta is not None:
            ttft = outcome.first_delta - started
            runtime.metrics.ttft.observe(ttft)
            access["ttft_ms"] = round(ttft * 1000, 1)

    async def resolve_path(file_id: str, filename: str) -> str:
        return await upstream.file_path(vector_store_id, file_id, filename)

    body = AnswerStream(
        answer,
        token=runtime.signer.sign(spec.name, conversation_id),
        resolve_path=resolve_path,
        keepalive_seconds=runtime.config.keepalive_seconds,
        on_end=on_end,
    )
    access["outcome"] = body.outcome
    return Stream(
        body.frames(),
        media_type="text/event-stream",
        headers=HEADERS,
        status_code=200,
        background=BackgroundTask(body.close),
    )


def _release(runtime: Runtime) -> None:
    runtime.slots.release()
    runtime.metrics.open_streams = runtime.slots.open
