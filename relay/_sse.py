"""The answer engine's events → the relay's SSE events.

``conversation`` first, ``delta``s, one ``source`` per cited document, then ``done`` or
``error``, with ``: keep-alive`` comments while the upstream is quiet. An answer that
ends with a function call sends a fresh ``conversation`` token carrying the pending call,
then ``lead_form`` or ``handoff``, before ``done``. However the
stream ends (done, error, client gone), the upstream stream is closed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import traceback
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import msgspec

from answer import (
    OFFER_CONTACT_FORM,
    REQUEST_HANDOFF,
    AnswerEvent,
    AnswerSources,
    Cited,
    Completed,
    OpenTurn,
    Searched,
    TextDelta,
    ToolCalled,
    UpstreamError,
)
from kbcore import logfields
from kbcore.business import MAIN_VARIANT
from kbcore.kb import AssistantSpec
from kbcore.wire import KB_PATH
from relay import _log
from relay._token import PendingCall

KEEP_ALIVE = b": keep-alive\n\n"

HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
}


_encode = msgspec.json.Encoder().encode
_CLOSEST = 3


def frame(event: str, data: dict[str, Any]) -> bytes:
    # msgspec: compact UTF-8 JSON like json.dumps(ensure_ascii=False), several times faster
    return b"event: " + event.encode() + b"\ndata: " + _encode(data) + b"\n\n"


@dataclass
class Outcome:
    """What happened, for metrics and the access log (filled in as the stream runs)."""

    started: float  # loop time the request arrived
    first_delta: float | None = None  # loop time of the first delta
    result: str = "pending"  # done | error | aborted
    error_code: str | None = None
    incomplete: str | None = None  # done, but cut short: max_output_tokens, content_filter
    tokens: int = 0  # input + output tokens that `done` reported (charged to the client)
    input_tokens: int = 0  # of them, input (the next answer's budget reservation grows from it)
    results: int = 0  # file_search results returned
    top_score: float | None = None  # the best of their scores
    cited: int = 0  # documents cited (source events sent)
    handoff: bool = False  # the model asked for a person
    response_id: str | None = None  # the answer's id (its feedback names it)
    variant: str = MAIN_VARIANT  # the conversation's instructions (kbcore.business)
    channel: str = "web"
    # The documents file_search found, best first (at most _CLOSEST): for the gap report,
    # which names the documents that came closest to a question the KB did not answer.
    closest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def ttft(self) -> float | None:
        return None if self.first_delta is None else self.first_delta - self.started

    def found(self, attributes: Mapping[str, object] | None, score: float | None) -> None:
        path = (attributes or {}).get(KB_PATH)
        if not isinstance(path, str) or any(path == seen for _, seen in self.closest):
            return
        self.closest.append((score or 0.0, path))
        self.closest.sort(key=lambda entry: -entry[0])
        del self.closest[_CLOSEST:]

    def log_fields(self) -> dict[str, Any]:
        ttft = self.ttft
        fields: dict[str, Any] = {
            logfields.STREAM: self.result,
            "ttft_ms": None if ttft is None else round(ttft * 1000, 1),
            logfields.RESULTS: self.results,
            logfields.TOP_SCORE: self.top_score,
            logfields.CITED: self.cited,
            logfields.CLOSEST: [path for _, path in self.closest],
            logfields.INCOMPLETE: self.incomplete,
            logfields.CHANNEL: self.channel,
            logfields.VARIANT: self.variant,
            logfields.RESPONSE_ID: self.response_id,
        }
        if self.error_code:
            fields[logfields.UPSTREAM_ERROR] = self.error_code
        return fields


class AnswerStream:
    """The SSE body of one answer. ``close()`` is idempotent: it runs when the body ends
    however it ends, and again as the response's background task, which also covers a
    client that left before the body started.

    One task reads the upstream into a small queue (``_pump``), another puts a keep-alive
    there when nothing else came for ``keepalive_seconds``; the body takes from the
    queue. No task or ``asyncio.wait`` per upstream event, and the frames of events that
    arrived in one network read go out in one write."""

    def __init__(
        self,
        answer: OpenTurn,
        *,
        outcome: Outcome,
        token: Callable[[PendingCall | None], str],
        spec: AssistantSpec,
        sources: AnswerSources,
        keepalive_seconds: float,
        on_end: Callable[[Outcome], None],
        on_done: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.outcome = outcome
        self._on_done = on_done  # awaited before `done` leaves (feedback may follow at once)
        self._answer = answer
        self._token = token
        self._spec = spec
        self._sources = sources
        self._keepalive = keepalive_seconds
        self._on_end = on_end
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=64)
        self._tasks: list[asyncio.Task[None]] = []
        self._last_sent = 0.0
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
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                await asyncio.wait(self._tasks)
            await self._answer.aclose()
        finally:
            self._on_end(self.outcome)

    async def _pump(self) -> None:
        try:
            async for batch in self._answer.batches():
                await self._queue.put(batch)
            await self._queue.put(_END)
        except Exception as exc:  # handed to the body, which ends the stream with it
            await self._queue.put(exc)

    async def _keep_alive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            quiet = loop.time() - self._last_sent
            if quiet < self._keepalive:
                await asyncio.sleep(self._keepalive - quiet)
                continue
            self._last_sent = loop.time()
            with contextlib.suppress(asyncio.QueueFull):  # full: the answer is not quiet
                self._queue.put_nowait(_KEEP_ALIVE)

    async def _frames(self) -> AsyncGenerator[bytes, None]:
        outcome = self.outcome
        loop = asyncio.get_running_loop()
        self._last_sent = loop.time()
        self._tasks = [
            asyncio.create_task(self._pump(), name="relay-upstream"),
            asyncio.create_task(self._keep_alive(), name="relay-keep-alive"),
        ]
        yield frame("conversation", {"conversation": self._token(None)})
        while True:
            item = await self._queue.get()
            if item is _KEEP_ALIVE:
                yield KEEP_ALIVE
                continue
            if isinstance(item, _Signal):  # _END
                outcome.result, outcome.error_code = "error", "upstream_incomplete"
                yield frame(
                    "error",
                    {"code": "upstream_incomplete", "message": "The answer ended unexpectedly."},
                )
                return
            if isinstance(item, UpstreamError):
                outcome.result, outcome.error_code = "error", item.code
                yield frame("error", {"code": item.code, "message": str(item)})
                return
            if isinstance(item, Exception):  # a relay bug: end the stream cleanly, log it
                outcome.result, outcome.error_code = "error", "relay_error"
                _log.event(
                    logging.ERROR,
                    "stream_failed",
                    error=type(item).__name__,
                    traceback=traceback.format_exception(item),
                )
                yield frame("error", {"code": "relay_error", "message": "The relay failed."})
                return
            out: list[bytes] = []
            finished = False
            for event in item:
                if finished:
                    break
                finished = await self._frame(event, out, loop)
            if out:
                self._last_sent = loop.time()
                yield b"".join(out)
            if finished:
                return

    async def _frame(
        self, event: AnswerEvent, out: list[bytes], loop: asyncio.AbstractEventLoop
    ) -> bool:
        """Append ``event``'s frame to ``out``; ``True`` when it ends the answer."""
        outcome = self.outcome
        if isinstance(event, TextDelta):
            if outcome.first_delta is None:
                outcome.first_delta = loop.time()
            out.append(frame("delta", {"text": event.text}))
        elif isinstance(event, Searched):
            self._sources.searched(event.file_id, event.attributes)
            outcome.results += 1
            outcome.found(event.attributes, event.score)
            if event.score is not None and (
                outcome.top_score is None or event.score > outcome.top_score
            ):
                outcome.top_score = event.score
        elif isinstance(event, Cited):
            source = await self._sources.cite(event.file_id, event.filename)
            if source is not None:
                outcome.cited += 1
                out.append(frame("source", source.as_event()))
        elif isinstance(event, ToolCalled):
            out.extend(self._tool_frames(event))
        elif isinstance(event, Completed):
            outcome.result = "done"
            outcome.incomplete = event.incomplete
            outcome.tokens = event.input_tokens + event.output_tokens
            outcome.input_tokens = event.input_tokens
            outcome.response_id = event.response_id or None
            if self._on_done is not None and event.response_id:
                await self._on_done(event.response_id)
            usage = {"input_tokens": event.input_tokens, "output_tokens": event.output_tokens}
            out.append(
                frame(
                    "done",
                    {
                        "response_id": event.response_id,
                        "usage": usage,
                        "incomplete": event.incomplete,
                    },
                )
            )
            return True
        return False

    def _tool_frames(self, call: ToolCalled) -> list[bytes]:
        """A call the channel can act on: the token that carries it, then its event."""
        leads, handoff = self._spec.leads, self._spec.handoff
        if call.name == OFFER_CONTACT_FORM and leads is not None:
            prefill = call.arguments.get("prefill")
            fields = prefill if isinstance(prefill, dict) else {}
            event = frame(
                "lead_form",
                {
                    "call_id": call.call_id,
                    "fields": list(leads.fields),
                    "required": list(leads.required),
                    "prefill": {
                        k: v for k, v in fields.items() if k in leads.fields and isinstance(v, str)
                    },
                    "consent": dict(leads.consent.by_lang),
                    "privacy_url": leads.privacy_url,
                },
            )
        elif call.name == REQUEST_HANDOFF and handoff is not None:
            self.outcome.handoff = True
            event = frame("handoff", {"status": "human"})
        else:
            return []
        pending = PendingCall(call.call_id, call.name)
        return [frame("conversation", {"conversation": self._token(pending)}), event]


class _Signal(enum.Enum):
    KEEP_ALIVE = "keep-alive"
    END = "end"  # the upstream body ended (without a completed response)


_KEEP_ALIVE, _END = _Signal.KEEP_ALIVE, _Signal.END
_Item = list[AnswerEvent] | Exception | _Signal
