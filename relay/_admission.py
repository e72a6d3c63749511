"""Admission of ``POST /api/chat``: every check a request passes before any upstream call.

Checks run in a fixed order, each with its own status: content type (415), body size
(413), JSON shape (400, deep nesting included), message length (400), origin (403), rate
limit and token budget (429), readiness (503), conversation token (400: invalid,
expired or full), the client's open answers (429) and the process's (503), then the
conversation's turn in ``state`` (400 ``conversation_replayed``: an old token). Each
failure is plain JSON ``{"error": {"code", "message"}}``; a request that passes holds a
``Lease`` on a stream slot with its budget reservation (``relay._ledger.reservation``),
which the chat handler ends with the answer's token usage.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response

from answer import REQUEST_HANDOFF, Engine, ToolOutput
from kbcore.business import choose_variant
from kbcore.kb import AssistantSpec
from relay import _log
from relay._access import AccessRecord
from relay._errors import InvalidToken, refuse
from relay._ledger import reservation
from relay._limits import Lease, Refused
from relay._runtime import Runtime
from state import StateError

DISMISSED = '{"status": "dismissed"}'  # the form was offered; the visitor wrote on
HANDED_OFF = '{"status": "handed_off"}'  # the visitor was offered a person


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


async def json_body_bytes(
    request: Request[Any, Any, Any], runtime: Runtime
) -> bytes | Response[Any]:
    """A visitor's POST body, or its refusal: 415 unless JSON, 413 over ``MAX_BODY_BYTES``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return refuse(415, "unsupported_media_type", "Send the body as application/json.")
    cap = runtime.config.max_body_bytes
    body = await _read_body(request, cap)
    if body is None:
        return refuse(413, "body_too_large", f"The body is larger than {cap} bytes.")
    return body


async def read_json(request: Request[Any, Any, Any], runtime: Runtime) -> Any | Response[Any]:
    """The parsed JSON of a visitor's POST (lead, feedback, hand-off), or its refusal:
    415, 413, and 400 for what is not JSON (deep nesting included), as ``/api/chat``."""
    body = await json_body_bytes(request, runtime)
    if isinstance(body, Response):
        return body
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return refuse(400, "invalid_body", "The body is not valid JSON.")


def _parse(body: bytes) -> ChatRequest | str:
    """The request, or a sentence saying what is wrong with its shape."""
    try:
        data = json.loads(body)
    except ValueError:  # bad JSON or bad UTF-8
        return "The body is not valid JSON."
    except RecursionError:  # deep nesting: not a ValueError, and never a chat message
        return 'The body is nested too deeply; send a JSON object like {"message": "..."}.'
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
    """Whether a browser on this page's origin may use the chat. It stops browsers only:
    a script sends any Origin it likes, and the limits are what bound it."""
    origin = request.headers.get("origin")
    if origin is None or runtime.config.any_origin:
        return True  # not a browser cross-origin request (curl, server to server)
    origin = origin.strip().rstrip("/").lower()
    if origin in runtime.config.allowed_origins:
        return True
    if not runtime.config.demo:
        return False
    # The demo page, served by the relay itself. Origin and Host both come from the
    # client (DNS rebinding forges the pair), so this holds only where the demo is on.
    host = (request.headers.get("host") or "").lower()
    return bool(host) and urlsplit(origin).netloc == host


@dataclass(frozen=True)
class Admitted:
    """A request that passed every check and holds a stream slot (``lease``)."""

    message: str
    conversation_id: str | None
    turn: int  # messages the conversation had before this one (0: a new conversation)
    spec: AssistantSpec
    vector_store_id: str
    engine: Engine
    lease: Lease
    variant: str  # chosen once per conversation, then carried by its token
    tool_outputs: tuple[ToolOutput, ...] = ()  # answers to the call the last turn ended with


async def admit(
    request: Request[Any, Any, Any], runtime: Runtime, access: AccessRecord
) -> Admitted | Response[Any]:
    config = runtime.config
    body = await json_body_bytes(request, runtime)
    if isinstance(body, Response):
        return body
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
    if not origin_allowed(request, runtime):
        return refuse(403, "origin_not_allowed", "This origin may not use the chat.")
    limits = runtime.limits
    client = limits.client(request)
    refused = await limits.check(client)
    if refused is not None:
        if refused.code == "rate_limited":
            runtime.metrics.rate_limited += 1
        return refused.response()
    spec, vector_store_id, engine = (
        runtime.spec.spec,
        runtime.vector_store_id,
        runtime.engine,
    )
    if spec is None or vector_store_id is None or engine is None:
        return refuse(503, "not_ready", "The assistant is starting; try again.", retry_after=5)
    conversation_id: str | None = None
    turn = 0
    variant = choose_variant(spec)
    outputs: tuple[ToolOutput, ...] = ()
    if parsed.conversation:
        try:
            claims = runtime.signer.verify(spec.name, parsed.conversation)
        except InvalidToken as exc:
            return refuse(400, exc.code, str(exc))
        conversation_id, turn, variant = claims.conversation_id, claims.turn, claims.variant
        if (pending := claims.pending) is not None:
            # The visitor wrote on: the call is answered by what they did (or did not do).
            unanswered = HANDED_OFF if pending.name == REQUEST_HANDOFF else DISMISSED
            outputs = (ToolOutput(pending.call_id, pending.output or unanswered),)
    ledger = runtime.ledger
    reserve = 0
    if config.token_budget is not None:
        try:
            last = await ledger.last_input(conversation_id) if ledger else None
        except StateError as exc:
            return _state_failed(exc)
        reserve = reservation(spec, message, last)
    lease = await limits.open(client, reserve)
    if isinstance(lease, Refused):
        return lease.response()
    if ledger is not None and conversation_id is not None:
        # Last, so that a refusal above leaves the token usable (a retry after a 429).
        try:
            await ledger.take_turn(conversation_id, turn)
        except (InvalidToken, StateError) as exc:
            lease.end(0)  # nothing was spent: the reservation goes back
            if isinstance(exc, StateError):
                return _state_failed(exc)
            return refuse(400, exc.code, str(exc))
    runtime.metrics.open_streams = limits.slots.open
    if config.log_questions:  # only an admitted question: a refused one is not a chat
        access.question = message
    return Admitted(
        message, conversation_id, turn, spec, vector_store_id, engine, lease, variant, outputs
    )


def _state_failed(exc: StateError) -> Response[Any]:
    _log.event(logging.ERROR, "state_failed", error=str(exc))
    return refuse(
        503, "not_ready", "The relay cannot reach its state store; try again.", retry_after=5
    )
