"""Upstream answer events → the relay's SSE events (DESIGN.md "Relay HTTP API").

``conversation`` first, ``delta``s, one ``source`` per cited document, then ``done`` or
``error``, with ``: keep-alive`` comments while the upstream is quiet. However the
stream ends (done, error, client gone), the upstream stream is closed at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio

from relay._errors import UpstreamError
from relay._upstream import Answer, AnswerEvent, Cited, Completed, Searched, TextDelta

KEEP_ALIVE = b": keep-alive\n\n"

HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
}


def frame(event: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


async def _next(events: AsyncIterator[AnswerEvent]) -> AnswerEvent:
    return await events.__anext__()


class Outcome:
    """What happened, for metrics and the access log (filled in as the stream runs)."""

    def __init__(self) -> None:
        self.first_delta: float | None = None  # loop time of the first delta
        self.result = "pending"  # done | error | aborted
        self.error_code: str | None = None


async def answer_stream(
    answer: Answer,
    *,
    token: str,
    resolve_path: Callable[[str, str], Awaitable[str]],
    keepalive_seconds: float,
    outcome: Outcome,
    on_end: Callable[[], None],
) -> AsyncIterator[bytes]:
    """The SSE body; ``on_end`` runs exactly once when the stream is over, however it ends."""
    events = answer.events()
    pending: asyncio.Future[AnswerEvent] | None = None
    sent_sources: set[str] = set()
    searched: dict[str, str] = {}
    loop = asyncio.get_running_loop()
    try:
        yield frame("conversation", {"conversation": token})
        while True:
            if pending is None:
                pending = asyncio.ensure_future(_next(events))
            done, _ = await asyncio.wait({pending}, timeout=keepalive_seconds)
            if not done:
                yield KEEP_ALIVE
                continue
            finished, pending = pending, None
            try:
                event = finished.result()
            except StopAsyncIteration:
                outcome.result, outcome.error_code = "error", "upstream_incomplete"
                yield frame(
                    "error",
                    {"code": "upstream_incomplete", "message": "The answer ended unexpectedly."},
                )
                return
            except UpstreamError as exc:
                outcome.result, outcome.error_code = "error", exc.code
                yield frame("error", {"code": exc.code, "message": str(exc)})
                return
            if isinstance(event, TextDelta):
                if outcome.first_delta is None:
                    outcome.first_delta = loop.time()
                yield frame("delta", {"text": event.text})
            elif isinstance(event, Searched):
                if event.path:
                    searched[event.file_id] = event.path
            elif isinstance(event, Cited):
                if event.file_id in sent_sources:
                    continue
                sent_sources.add(event.file_id)
                path = searched.get(event.file_id) or await resolve_path(
                    event.file_id, event.filename
                )
                yield frame(
                    "source",
                    {"file_id": event.file_id, "filename": event.filename, "path": path},
                )
            elif isinstance(event, Completed):
                outcome.result = "done"
                usage = {"input_tokens": event.input_tokens, "output_tokens": event.output_tokens}
                yield frame("done", {"response_id": event.response_id, "usage": usage})
                return
    finally:
        if outcome.result == "pending":
            outcome.result = "aborted"
        # The client may be gone and this task cancelled: finish the cleanup regardless.
        with anyio.CancelScope(shield=True):
            if pending is not None:
                pending.cancel()
                await asyncio.wait({pending})
            await events.aclose()
            await answer.aclose()
            on_end()
