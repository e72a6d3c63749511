"""Assemble the relay: routes, CORS, stores, lifespan, error shape, access log.

>>> from relay.app import create_app
>>> app = create_app()          # reads the environment (and .env) once

``create_app`` is also the uvicorn factory (``relay.app:create_app``) for ``--workers``.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException

from relay import _log
from relay._access import AccessLog
from relay._chat import chat
from relay._config import Config
from relay._counters import Clock
from relay._errors import refuse
from relay._feedback import FeedbackBook, feedback
from relay._feedback import install as install_feedback
from relay._handoff import handoff_get, handoff_post
from relay._headers import SecurityHeaders
from relay._lead import LeadDesk, install, lead
from relay._routes import demo, healthz, metrics, openapi, ping, readyz, widget, widget_pinned
from relay._runtime import Runtime
from relay._telegram_webhook import Answering, TelegramChannel, telegram_webhook
from relay._telegram_webhook import install as install_telegram

ROUTE_HANDLERS = [
    chat,
    lead,
    feedback,
    handoff_post,
    handoff_get,
    telegram_webhook,
    ping,
    healthz,
    readyz,
    metrics,
    widget,
    widget_pinned,
    demo,
    openapi,
]


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    message = {
        404: "No such route.",
        405: "This route does not accept that method.",
    }.get(exc.status_code, exc.detail)
    return refuse(exc.status_code, code, message, headers=exc.headers)


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.event(
        logging.ERROR,
        "internal_error",
        path=request.url.path,
        error=type(exc).__name__,
        traceback=traceback.format_exception(exc),
    )
    return refuse(500, "internal_error", "The relay failed; try again.")


def create_app(
    config: Config | None = None,
    *,
    clock: Clock = time.time,
    telegram: TelegramChannel | None = None,
) -> Litestar:
    """The relay app; ``config`` defaults to ``Config.from_env()``. ``clock`` (seconds
    since the epoch) times the rate limits, budgets and conversation tokens. ``telegram``:
    the bot that ``kbsync`` plugs in (its webhook route and the hand-off desk)."""
    config = config or Config.from_env()
    runtime = Runtime(config, clock=clock)
    desk = LeadDesk(lambda: runtime.spec.spec)  # the lead outbox, its delivery (sinks: env)
    book = FeedbackBook(float(config.conversation_ttl))  # which conversation gave which answer
    cors = None
    if config.allowed_origins:
        cors = CORSConfig(
            allow_origins=list(config.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )

    def answering() -> Answering | None:
        spec, store, engine = runtime.spec.spec, runtime.vector_store_id, runtime.engine
        if spec is None or store is None or engine is None:
            return None
        return spec, store, engine, runtime.documents

    async def telegram_start() -> None:
        if telegram is not None:
            await telegram.start(answering)

    async def telegram_stop() -> None:
        if telegram is not None:
            await telegram.stop()

    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        on_startup=[runtime.start, desk.start, book.start, telegram_start],
        on_shutdown=[telegram_stop, book.stop, desk.stop, runtime.stop],
        cors_config=cors,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        openapi_config=None,
        logging_config=None,
        debug=False,
    )
    app.state.relay = runtime
    install(app.state, desk)
    install_feedback(app.state, book)
    install_telegram(app.state, telegram)
    app.asgi_handler = AccessLog(SecurityHeaders(app.asgi_handler), runtime.metrics)
    return app
