"""``POST /api/feedback``: a visitor's 👍/👎 on an answer of their own conversation → 204.

Admission as ``/api/chat`` (media type, body size, JSON, origin, the rate limit in a
window of its own), then the token must verify for this KB (a full conversation may
still rate its last answer; an expired one may not), and the answer must be one this
conversation produced: when an answer completes, the chat stream records its response
id with its conversation in ``state`` (``FeedbackBook.answered``, before the ``done``
event leaves, so a quick click finds it), and feedback on any other id — a forged one,
another visitor's — is refused. Every refusal is a 400 and logs no feedback line. The
log line ``{"event": "feedback", "response_id", "rating", "reason", "variant",
"channel", "kb_name"}`` is what ``kbsync report`` counts; a later rating of the same
answer replaces the earlier one there (the last wins).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from litestar import Request, Response, post

from kbcore import logfields as f
from kbcore.business import FEEDBACK_REASONS
from relay import _log
from relay._access import access_record
from relay._admission import origin_allowed, read_json
from relay._errors import InvalidToken, refuse
from relay._runtime import runtime_of
from state import State, open_state

ANSWERS = "answers"  # state namespace: response id → {"c": conversation id, "v": variant}
CODE = "invalid_feedback"
MAX_ID = 128
_APP_KEY = "relay_feedback"


class FeedbackBook:
    """Which conversation produced which answer, for as long as a conversation lives."""

    def __init__(self, ttl: float, environ: dict[str, str] | None = None) -> None:
        self.ttl = ttl
        self.environ = dict(os.environ if environ is None else environ)
        self.state: State | None = None

    async def start(self) -> None:
        self.state = await asyncio.to_thread(open_state, env=self.environ)

    async def stop(self) -> None:
        if self.state is not None:
            self.state.close()
            self.state = None

    async def answered(self, conversation_id: str, response_id: str, variant: str) -> None:
        """Remember that ``conversation_id`` produced ``response_id`` (its answer is rated
        by the same conversation's token only)."""
        if self.state is None or not response_id:
            return
        record = {"c": conversation_id, "v": variant}
        await asyncio.to_thread(self.state.put, ANSWERS, response_id, record, ttl=self.ttl)

    async def producer(self, response_id: str) -> dict[str, Any] | None:
        if self.state is None:
            return None
        found = await asyncio.to_thread(self.state.get, ANSWERS, response_id)
        return found if isinstance(found, dict) else None


def install(app_state: Any, book: FeedbackBook) -> None:
    app_state[_APP_KEY] = book


def book_of(request: Request[Any, Any, Any]) -> FeedbackBook | None:
    book = request.app.state.get(_APP_KEY)
    return book if isinstance(book, FeedbackBook) else None


def _bad(message: str) -> Response[Any]:
    return refuse(400, CODE, message)


def _shape(data: Any) -> tuple[str, str, str, str | None] | str:
    """``(token, response id, rating, reason)`` or a sentence saying what is wrong."""
    if not isinstance(data, dict):
        return 'The body must be a JSON object like {"conversation", "response_id", "rating"}.'
    token, response_id = data.get("conversation"), data.get("response_id")
    rating, reason = data.get("rating"), data.get("reason")
    if not isinstance(token, str) or not token:
        return '"conversation" must be the conversation token.'
    if not isinstance(response_id, str) or not 0 < len(response_id) <= MAX_ID:
        return '"response_id" must be the id of an answer (from its done event).'
    if rating not in ("up", "down"):
        return '"rating" must be "up" or "down".'
    if reason is not None and (rating != "down" or reason not in FEEDBACK_REASONS):
        return f'"reason" goes with "down" only, as one of: {", ".join(FEEDBACK_REASONS)}.'
    return token, response_id, rating, reason


@post("/api/feedback", status_code=204, summary="👍/👎 on an answer of this conversation → 204")
async def feedback(request: Request[Any, Any, Any]) -> Response[None]:
    # Response[None]: what Litestar wants of a 204 route; refusals are JSON all the same.
    runtime = runtime_of(request)
    data = await read_json(request, runtime)
    if isinstance(data, Response):
        return data
    if not origin_allowed(request, runtime):
        return refuse(403, "origin_not_allowed", "This origin may not use the chat.")
    limits = runtime.limits
    refused = await limits.check("feedback:" + limits.client(request))
    if refused is not None:
        return refused.response()
    spec, book = runtime.spec.spec, book_of(request)
    if spec is None or book is None or book.state is None:
        return refuse(503, "not_ready", "The assistant is starting; try again.", retry_after=5)
    shaped = _shape(data)
    if isinstance(shaped, str):
        return _bad(shaped)
    token, response_id, rating, reason = shaped
    access_record(request.scope).kb_name = spec.name
    try:  # a conversation at MAX_TURNS may still rate its last answer
        claims = runtime.signer.verify(spec.name, token, check_turns=False)
    except InvalidToken as exc:
        return refuse(400, exc.code, str(exc))
    producer = await book.producer(response_id)
    if producer is None or producer.get("c") != claims.conversation_id:
        # Unknown and someone else's read alike: nothing to learn by probing.
        return _bad("This answer is not one of this conversation's; rate the answers you got.")
    variant = producer.get("v") if isinstance(producer.get("v"), str) else claims.variant
    _log.event(
        logging.INFO,
        f.FEEDBACK,
        **{
            f.RESPONSE_ID: response_id,
            f.RATING: rating,
            f.REASON: reason,
            f.VARIANT: variant,
            f.CHANNEL: "web",
            f.KB_NAME: spec.name,
        },
    )
    return Response(None, status_code=204)
