"""One JSON log line and the request metrics for every HTTP request, streams included.

Wraps the whole Litestar ASGI handler (outside routing), so unknown paths and 405s
are counted too. A chat stream is logged when it ends, with its time to first token.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from relay import _log
from relay._metrics import Metrics

ROUTES = frozenset(
    {
        "/api/chat",
        "/api/ping",
        "/healthz",
        "/readyz",
        "/metrics",
        "/widget.js",
        "/",
        "/schema/openapi.json",
    }
)


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
        access: dict[str, Any] = scope.setdefault("state", {}).setdefault("relay_access", {})

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope["path"]
            route = path if path in ROUTES else "other"
            self.metrics.requests[(scope["method"], route, status)] += 1
            client = scope.get("client")
            record: dict[str, Any] = {
                "method": scope["method"],
                "route": route,
                "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client[0] if client else None,
            }
            outcome = access.get("outcome")
            if outcome is not None:
                record["stream"] = outcome.result
                record["ttft_ms"] = access.get("ttft_ms")
                if outcome.error_code:
                    record["upstream_error"] = outcome.error_code
            if "upstream_error" in access:
                record["upstream_error"] = access["upstream_error"]
            if "message" in access:  # only with LOG_MESSAGES=1
                record["message"] = access["message"]
            _log.event(logging.INFO, "request", **record)
