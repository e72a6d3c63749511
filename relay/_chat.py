"""``POST /api/chat``: admit the request (``relay._admission``), then stream the answer
as SSE. Upstream failures before the first byte are plain JSON errors too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from litestar import Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.response import Stream

from answer import AnswerSources, Turn, UpstreamError, VectorStoreGone
from relay import _log
from relay._access import access_record
from relay._admission import admit
from relay._errors import refuse
from relay._feedback import book_of
from relay._ledger import Ledger
from relay._limits import Lease
from relay._runtime import Runtime, runtime_of
from relay._sse import HEADERS, AnswerStream, Outcome
from relay._token import PendingCall
from state import StateError


@post("/api/chat", status_code=200, summary="Ask the assistant; answers as text/event-stream")
async def chat(request: Request[Any, Any, Any]) -> Response[Any]:
    outcome = Outcome(started=asyncio.get_running_loop().time())
    runtime = runtime_of(request)
    access = access_record(request.scope)
    admitted = await admit(request, runtime, access)
    if isinstance(admitted, Response):
        return admitted
    spec, vector_store_id = admitted.spec, admitted.vector_store_id
    access.kb_name = spec.name
    turn = Turn(
        spec,
        vector_store_id,
        admitted.conversation_id,
        admitted.message,
        variant=admitted.variant,
        tool_outputs=admitted.tool_outputs,
    )
    try:
        answer = await admitted.engine.start(turn)
    except BaseException as exc:
        _release(runtime, admitted.lease, 0)  # nothing spent: the reservation goes back
        if not isinstance(exc, UpstreamError):
            raise
        if runtime.ledger is not None and admitted.conversation_id is not None:
            # The answer never started: the same token may be retried.
            with contextlib.suppress(StateError):
                await runtime.ledger.give_back_turn(admitted.conversation_id, admitted.turn)
        if isinstance(exc, VectorStoreGone):
            runtime.forget_vector_store()
        runtime.metrics.upstream_errors[exc.code] += 1
        access.upstream_error = exc.code
        return refuse(exc.status, exc.code, str(exc), retry_after=exc.retry_after)

    ledger = runtime.ledger
    if ledger is not None and admitted.conversation_id is None:
        try:  # a new conversation's first token is turn 1: an older one cannot exist
            await ledger.take_turn(answer.conversation_id, 0)
        except StateError as exc:
            _log.event(logging.ERROR, "state_failed", error=str(exc))

    def on_end(outcome: Outcome) -> None:
        # Finished: charged its usage. Abandoned or cut off: its reservation stays charged.
        spent = outcome.tokens if outcome.result == "done" else None
        _release(runtime, admitted.lease, spent)
        if ledger is not None:
            tokens = admitted.lease.reserved if spent is None else spent
            runtime.limits.spawn(
                _spent(ledger, answer.conversation_id, tokens, outcome.input_tokens)
            )
        runtime.metrics.streams[outcome.result] += 1
        if outcome.error_code is not None and outcome.error_code != "relay_error":
            runtime.metrics.upstream_errors[outcome.error_code] += 1
        if outcome.result == "done" and outcome.cited == 0:
            runtime.metrics.answers_without_source += 1
        if (ttft := outcome.ttft) is not None:
            runtime.metrics.ttft.observe(ttft)

    def token(pending: PendingCall | None = None) -> str:
        return runtime.signer.sign(
            spec.name,
            answer.conversation_id,
            admitted.turn + 1,
            variant=admitted.variant,
            pending=pending,
        )

    outcome.variant = admitted.variant
    book = book_of(request)

    async def on_done(response_id: str) -> None:
        if book is not None:
            await book.answered(answer.conversation_id, response_id, admitted.variant)

    body = AnswerStream(
        answer,
        outcome=outcome,
        token=token,
        spec=spec,
        sources=AnswerSources(runtime.documents, spec, vector_store_id),
        keepalive_seconds=runtime.config.keepalive_seconds,
        on_end=on_end,
        on_done=on_done,
    )
    access.outcome = outcome
    return Stream(
        body.frames(),
        media_type="text/event-stream",
        headers=HEADERS,
        status_code=200,
        background=BackgroundTask(body.close),
    )


def _release(runtime: Runtime, lease: Lease, spent: int | None) -> None:
    lease.end(spent)  # the slots, and the client's token budget settled
    runtime.metrics.open_streams = runtime.slots.open


async def _spent(ledger: Ledger, conversation_id: str, tokens: int, input_tokens: int) -> None:
    try:
        await ledger.spent(conversation_id, tokens, input_tokens or None)
    except StateError as exc:
        _log.event(logging.ERROR, "state_failed", error=str(exc))
