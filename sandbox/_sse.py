"""Server-Sent Events for response streams, with stream accounting.

``EventStream`` sends each event as ``event: <type>`` plus one JSON ``data:`` line, and
counts the stream in ``Store.streams``: ``open`` while it runs, then ``completed`` (the
source ran to its end) or ``aborted`` (the client went away, or the source raised
``Dropped``). A client that closes the connection is noticed at once, even while the
source sleeps between deltas, because the body is sent in a task raced against
``receive()`` returning ``http.disconnect``. ``Dropped`` makes the app return without
finishing the chunked body, so uvicorn closes the connection and the client sees an
incomplete read: the wire picture of a dropped connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any

import anyio
from litestar import Request, Response
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Send

from sandbox._state import JSON, Store

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class Dropped(Exception):
    """Raised by an event source to cut the connection without a terminal event."""


def encode(event: JSON) -> bytes:
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event['type']}\ndata: {data}\n\n".encode()


class EventStream(Response[bytes]):
    """A ``text/event-stream`` response fed by an async iterator of events."""

    def __init__(
        self,
        events: AsyncGenerator[JSON, None],
        store: Store,
        *,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(b"", media_type="text/event-stream", headers=SSE_HEADERS)
        self.events = events
        self.store = store
        self.on_close = on_close

    def to_asgi_response(
        self, app: Any, request: Request[Any, Any, Any], **kwargs: Any
    ) -> ASGIResponse:
        headers = {**(kwargs.get("headers") or {}), **self.headers}
        return _ASGIEventStream(
            self.events,
            self.store,
            self.on_close,
            headers=headers,
            encoded_headers=kwargs.get("encoded_headers"),
            media_type="text/event-stream",
            status_code=200,
        )


class _ASGIEventStream(ASGIResponse):
    _should_set_content_length = False

    def __init__(
        self,
        events: AsyncGenerator[JSON, None],
        store: Store,
        on_close: Callable[[], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.events = events
        self.store = store
        self.on_close = on_close

    async def send_body(self, send: Send, receive: Receive) -> None:
        streams = self.store.streams
        streams["open"] += 1
        outcome = "aborted"
        try:
            async with anyio.create_task_group() as group:

                async def pump() -> None:
                    nonlocal outcome
                    try:
                        async with aclosing(self.events) as events:
                            async for event in events:
                                chunk = encode(event)
                                await send(
                                    {"type": "http.response.body", "body": chunk, "more_body": True}
                                )
                    except Dropped:
                        group.cancel_scope.cancel()
                        return
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    outcome = "completed"
                    group.cancel_scope.cancel()

                group.start_soon(pump)
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        group.cancel_scope.cancel()
                        break
        finally:
            streams["open"] -= 1
            streams[outcome] += 1
            # called here, not by the source: a source that never started has no finally
            self.on_close()


class CutResponse(Response[bytes]):
    """Headers, then the connection closes before any body: a drop outside a stream."""

    def to_asgi_response(
        self, app: Any, request: Request[Any, Any, Any], **kwargs: Any
    ) -> ASGIResponse:
        return _ASGICut(media_type="application/json", status_code=200)


class _ASGICut(ASGIResponse):
    _should_set_content_length = False

    async def send_body(self, send: Send, receive: Receive) -> None:
        return
