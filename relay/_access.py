"""One JSON log line and the request metrics for every HTTP request, streams included.

Wraps the whole Litestar ASGI handler (outside routing), so unknown paths and 405s
are counted too. A chat stream is logged when it ends, with its time to first token.
The route label is the matched handler's path template (``other`` when none matched),
so the routes are named once, by the handlers.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from kbcore import logfields
from kbcore.mask import mask
from relay import _log
from relay._metrics import Metrics
from relay._sse import Outcome

_STATE_KEY = "relay_access"


@dataclass
class AccessRecord:
    """What a handler adds to its request's log line (filled in as the request runs)."""

    kb_name: str | None = None  # the chat was admitted for this KB
    outcome: Outcome | None = None  # the answer stream, once it started
    upstream_error: str | None = None  # refused by the upstream before the stream
    question: str | None = None  # set only with LOG_QUESTIONS=1; masked when written

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.kb_name is not None:
            fields[logfields.KB_NAME] = self.kb_name
        if self.outcome is not None:
            fields.update(self.outcome.log_fields())
        if self.upstream_error is not None:
            fields[logfields.UPSTREAM_ERROR] = self.upstream_error
        if self.question is not None:
            fields[logfields.QUESTION] = mask(self.question)
        return fields


def access_record(scope: Scope) -> AccessRecord:
    """This request's record (made by ``AccessLog``; a fresh one outside it, e.g. in tests)."""
    state = scope.setdefault("state", {})
    record = state.get(_STATE_KEY)
    if not isinstance(record, AccessRecord):
        record = state[_STATE_KEY] = AccessRecord()
    return record


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app dies before answering, the server answers 500
        access = access_record(scope)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            # Set by Litestar's router on this scope once a route matched.
            route = scope.get("path_template") or "other"
            self.metrics.requests[(scope["method"], route, status)] += 1
            client = scope.get("client")
            _log.event(
                logging.INFO,
                "request",
                method=scope["method"],
                route=route,
                status=status,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                client=client[0] if client else None,
                **access.fields(),
            )
