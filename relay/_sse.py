"""Upstream answer events → the relay's SSE events (DESIGN.md "Relay HTTP API").

``conversation`` first, ``delta``s, one ``source`` per cited document, then ``done`` or
``error``, with ``: keep-alive`` comments while the upstream is quiet. However the
stream ends (done, error, client gone), the upstream stream is closed at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from relay import _log
from relay._errors import UpstreamError
from relay._sources import AnswerSources
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


@dataclass
class Outcome:
    """What happened, for metrics and the access log (filled in as the stream runs)."""

    started: float  # loop time the request arrived
    first_delta: float | None = None  # loop time of the first delta
    result: str = "pending"  # done | error | aborted
    error_code: str | None = None
    incomplete: str | None = None  # done, but cut short: max_output_tokens, content_filter
    results: int = 0  # file_search results returned
    top_score: float | None = None  # the best of their scores
    cited: int = 0  # documents cited (source events sent)

    @property
    def ttft(self) -> float | None:
        return None if self.first_delta is None else self.first_delta - self.started

    def log_fields(self) -> dict[str, Any]:
        ttft = self.ttft
        fields: dict[str, Any] = {
            "stream": self.result,
            "ttft_ms": None if ttft is None else round(ttft * 1000, 1),
            "results": self.results,
            "top_score": self.top_score,
            "cited": self.cited,
            "incomplete": self.incomplete,
        }
        if self.error_code:
            fields["upstream_error"] = self.error_code
        return fields


class AnswerStream:
    """The SSE body of one answer. ``close()`` is idempotent: it runs when the body ends
    however it ends, and again as the response's background task, which also covers a
    client that left before the body started."""

    def __init__(
        self,
        answer: Answer,
        *,
        outcome: Outcome,
        token: str,
        sources: AnswerSources,
        keepalive_seconds: float,
        on_end: Callable[[Outcome], None],
    ) -> None:
        self.outcome = outcome
        self._answer = answer
        self._events = answer.events()
        self._token = token
        self._sources = sources
        self._keepalive = keepalive_seconds
        self._on_end = on_end
        self._pending: asyncio.Future[AnswerEvent] | None = None
        self._closed = False

    async def frames(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._frames():
                yield chunk
        finally:
            # The client may be gone and this task cancelled: finish the cleanup regardless.
            with anyio.CancelScope(shield=True):
                await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.outcome.result == "pending":
            self.outcome.result = "aborted"
        try:
            if self._pending is not None:
                self._pending.cancel()
                await asyncio.wait({self._pending})
            await self._events.aclose()
            await self._answer.aclose()
        finally:
            self._on_end(self.outcome)

    async def _frames(self) -> AsyncGenerator[bytes, None]:
        outcome = self.outcome
        sources = self._sources
        loop = asyncio.get_running_loop()
        yield frame("conversation", {"conversation": self._token})
        while True:
            if self._pending is None:
                self._pending = asyncio.ensure_future(_next(self._events))
            done, _ = await asyncio.wait({self._pending}, timeout=self._keepalive)
            if not done:
                yield KEEP_ALIVE
                continue
            finished, self._pending = self._pending, None
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
            except Exception as exc:  # a relay bug: end the stream cleanly, log it
                outcome.result, outcome.error_code = "error", "relay_error"
                _log.event(
                    logging.ERROR,
                    "stream_failed",
                    error=type(exc).__name__,
                    traceback=traceback.format_exception(exc),
                )
                yield frame("error", {"code": "relay_error", "message": "The relay failed."})
                return
            if isinstance(event, TextDelta):
                if outcome.first_delta is None:
                    outcome.first_delta = loop.time()
                yield frame("delta", {"text": event.text})
            elif isinstance(event, Searched):
                sources.searched(event.file_id, event.attributes)
                outcome.results += 1
                if event.score is not None and (
                    outcome.top_score is None or event.score > outcome.top_score
                ):
                    outcome.top_score = event.score
            elif isinstance(event, Cited):
                source = await sources.cite(event.file_id, event.filename)
                if source is not None:
                    outcome.cited += 1
                    yield frame("source", source.as_event())
            elif isinstance(event, Completed):
                outcome.result = "done"
                usage = {"input_tokens": event.input_tokens, "output_tokens": event.output_tokens}
                outcome.incomplete = event.incomplete
                yield frame(
                    "done",
                    {
                        "response_id": event.response_id,
                        "usage": usage,
                        "incomplete": event.incomplete,
                    },
                )
                return
